"""The action/event catalogue: bundled data, live merges, the XML reader, the cache."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from amish import catalogue as catmod
from amish.catalogue import ActionSpec, Catalogue, Param, fetch_live, fetch_manager_show, parse_manager_show
from amish.transports.connection import Connection
from amish.core.protocol import Message

from conftest import ADMIN, READER, ROOT

BUNDLED_JSON = ROOT / "amish" / "data" / "catalogue.json"
XML_IN_SANDBOX = "usr/share/asterisk/documentation/core-en_US.xml"


@pytest.fixture(scope="module")
def bundled() -> Catalogue:
    return Catalogue.bundled()


@pytest.fixture
def sandbox_xml(asterisk) -> Path:
    path = Path(asterisk.root) / XML_IN_SANDBOX
    assert path.is_file(), f"no Asterisk XML documentation at {path}"
    return path


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Never touch the real ~/.cache from tests."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


# -- bundled data -------------------------------------------------------------

ACTIONS = [
    # name, list_action, final_event, required params, present params
    ("Originate", False, None, {"Channel"}, {"Exten", "Context", "Priority", "Application", "Data", "Async", "Variable", "Timeout"}),
    ("Hangup", False, None, {"Channel"}, {"Cause"}),
    ("Redirect", False, None, {"Channel", "Context", "Exten", "Priority"}, {"ExtraChannel"}),
    ("MixMonitor", False, None, {"Channel"}, {"File", "Options", "Command"}),
    ("Command", False, None, {"Command"}, set()),
    ("DBPut", False, None, {"Family", "Key"}, {"Val"}),
    ("DBGet", False, None, {"Family", "Key"}, set()),
    ("GetConfig", False, None, {"Filename"}, {"Category", "Filter"}),
    ("UpdateConfig", False, None, {"SrcFilename", "DstFilename"}, {"Action-000000", "Cat-000000"}),
    ("CoreShowChannels", True, "CoreShowChannelsComplete", set(), set()),
    ("Status", True, "StatusComplete", set(), {"Channel", "AllVariables"}),
    ("QueueStatus", False, None, set(), {"Queue", "Member"}),
    ("Login", False, None, {"Username"}, {"Secret", "AuthType", "Key", "Events"}),
    ("Ping", False, None, set(), set()),
]


@pytest.mark.parametrize("name, list_action, final, required, present", ACTIONS, ids=[a[0] for a in ACTIONS])
def test_bundled_actions(bundled, name, list_action, final, required, present):
    spec = bundled.action(name)
    assert spec is not None
    assert spec.name == name
    assert spec.list_action is list_action
    assert spec.final_event == final
    assert {p.name for p in spec.params if p.required} == required
    assert present <= {p.name for p in spec.params}
    assert spec.params[0].name == "ActionID"  # resolved from the xi:include of Login's ActionID
    assert spec.source == frozenset({"bundled"})
    assert spec.available is None and spec.synopsis == "" and spec.description == ""


PARAMS = [
    # action, header (any case), expected Param fields
    ("Originate", "Channel", dict(required=True, multiple=False)),
    ("Originate", "variable", dict(name="Variable", required=False, multiple=True)),
    ("Originate", "Async", dict(required=False, multiple=False)),
    ("Originate", "Timeout", dict(default="30000")),
    ("PJSIPNotify", "Variable", dict(multiple=True)),
    ("Login", "AuthType", dict(values=("plain", "MD5"))),
    ("Login", "Events", dict(values=("on", "off"))),  # "system,call,log,..." is a placeholder
    ("Status", "AllVariables", dict(values=("true", "false"))),
    ("UpdateConfig", "Action-000007", dict(name="Action-000000", values=("NewCat", "RenameCat", "DelCat", "EmptyCat", "Update", "Delete", "Append", "Insert"))),
    # the options, not the actions they are listed under (Asterisk's XML nests them so)
    ("UpdateConfig", "Options-000003", dict(name="Options-000000", values=("allowdups", "template"))),
    ("Filter", "MatchCriteria", dict(values=("action(include)", "action(exclude)", "regex", "exact", "startsWith", "endsWith", "contains", "none"))),
    ("Bridge", "Tone", dict(values=("no", "Channel1", "Channel2", "Both"))),
    ("AOCMessage", "UnitAmount(3)", dict(name="UnitAmount(0)")),
    ("Originate", "NoSuchHeader", None),
    ("NoSuchAction", "Channel", None),
]


@pytest.mark.parametrize("action, header, expected", PARAMS)
def test_bundled_params(bundled, action, header, expected):
    param = bundled.param(action, header)
    if expected is None:
        assert param is None
        return
    assert param is not None
    for field, value in expected.items():
        assert getattr(param, field) == value, field


_TEMPLATE_MARKS = ("<", ">", "[", "]", '"', "|", "...")


def test_bundled_values_are_literal(bundled):
    """Every documented value of every action and event header can be sent as it is:
    no placeholders such as ``name(<event_name>)`` or ``inherit="template[,...]"``."""
    specs = [(a.name, a.params) for a in bundled.actions()] + [(e.name, e.headers) for e in bundled.events()]
    bad = [(name, p.name, v) for name, params in specs for p in params for v in p.values
           if any(mark in v for mark in _TEMPLATE_MARKS)]
    assert bad == []


def test_no_header_lists_the_headings_of_its_documentation(bundled, sandbox_xml):
    """Across all actions: where Asterisk's XML nests a header's values under
    headings (UpdateConfig's Options under the Action values they apply to), the
    headings are not taken for the header's values. Read with ElementTree alone,
    apart from the generator."""
    import xml.etree.ElementTree as ET

    root = ET.parse(sandbox_xml).getroot()
    checked = []
    for manager in root.iter("manager"):
        for param in manager.iterfind("syntax/parameter"):
            headings = {e.get("name") for e in param.iter("enum") if e.find("enumlist") is not None}
            if not headings:
                continue
            spec = bundled.param(manager.get("name"), param.get("name"))
            assert spec is not None
            assert not headings & set(spec.values), (manager.get("name"), param.get("name"))
            assert spec.values, (manager.get("name"), param.get("name"))  # the nested ones are there
            checked.append(f"{manager.get('name')}/{param.get('name')}")
    assert {"UpdateConfig/Options-000000", "Filter/MatchCriteria"} <= set(checked)


def test_action_lookup_is_case_insensitive(bundled):
    assert bundled.action("originate") is bundled.action("ORIGINATE") is bundled.action("Originate")
    assert bundled.action("NoSuchAction") is None
    assert "coreshowchannels" in bundled


def test_action_id_is_never_required(bundled):
    for spec in bundled.actions():
        for p in spec.params:
            if p.name.lower() == "actionid":
                assert not p.required, spec.name
        assert "ActionID" not in bundled.required_missing(spec.name, [])


def test_counts_and_sorting(bundled):
    names = bundled.action_names()
    assert len(names) == 154  # Asterisk 22: 154 actions, 181 events
    assert len(bundled.event_names()) == 181
    assert list(names) == sorted(names, key=str.lower)
    assert len(set(n.lower() for n in names)) == len(names)


EVENTS = [
    # name, class, headers that must be there (with their values when given)
    ("Newchannel", "call", {"Channel": (), "ChannelStateDesc": ("Down", "Rsrvd", "OffHook", "Dialing", "Ring", "Ringing", "Up", "Busy", "Dialing Offhook", "Pre-ring", "Unknown"), "Uniqueid": (), "Linkedid": ()}),
    ("Hangup", "call", {"Cause": (), "Cause-txt": (), "Channel": ()}),
    ("VarSet", "dialplan", {"Variable": (), "Value": (), "Channel": ()}),
    ("OriginateResponse", "call", {"ActionID": (), "Response": ("Failure", "Success"), "Uniqueid": ()}),
    ("DialBegin", "call", {"Channel": (), "DestChannel": (), "DestUniqueid": (), "DestChannelStateDesc": None, "DialString": ()}),
    ("BridgeEnter", "call", {"BridgeUniqueid": (), "BridgeVideoSourceMode": ("none", "talker", "single"), "BridgeVideoSource": (), "Channel": ()}),
    ("BlindTransfer", "call", {"TransfererChannel": (), "TransfereeUniqueid": (), "BridgeUniqueid": (), "IsExternal": ("Yes", "No")}),
    ("CoreShowChannel", "call", {"ActionID": (), "Channel": (), "BridgeId": (), "Duration": ()}),
    ("CoreShowChannelsComplete", "call", {"EventList": (), "ListItems": ()}),
    ("BridgeInfoComplete", "command", {"BridgeUniqueid": ()}),  # documented inline in BridgeInfo's responses
    ("FullyBooted", "system", {"Status": (), "Uptime": ()}),
    ("FailedACL", "security", {"Severity": ("Informational", "Error"), "Service": (), "AccountID": ()}),
]


@pytest.mark.parametrize("name, event_class, headers", EVENTS, ids=[e[0] for e in EVENTS])
def test_bundled_events(bundled, name, event_class, headers):
    spec = bundled.event(name.upper())
    assert spec is not None and spec.name == name
    assert spec.event_class == event_class
    names = [h.name for h in spec.headers]
    assert len(set(n.lower() for n in names)) == len(names)
    for header, values in headers.items():
        h = spec.header(header)
        assert h is not None, header
        if values is not None:
            assert h.values == values, header


def test_snapshot_expansion_order(bundled):
    spec = bundled.event("DialBegin")
    names = [h.name for h in spec.headers]
    channel = ["Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName",
               "ConnectedLineNum", "ConnectedLineName", "Language", "AccountCode", "Context",
               "Exten", "Priority", "Uniqueid", "Linkedid"]
    assert names == channel + ["Dest" + n for n in channel] + ["DialString"]


SUGGEST = [
    ("QueueStats", "QueueStatus"),
    ("orig", "Originate"),
    ("ORIG", "Originate"),
    ("hangup", "Hangup"),
    ("CoreShowChanels", "CoreShowChannels"),
    ("DBGt", "DBGet"),
]


@pytest.mark.parametrize("typed, expected", SUGGEST)
def test_suggest(bundled, typed, expected):
    got = bundled.suggest(typed)
    assert expected in got
    assert len(got) <= 3


def test_suggest_edge_cases(bundled):
    assert bundled.suggest("hangup")[0] == "Hangup"  # the exact match first
    assert bundled.suggest("xyzzyplugh") == []
    assert bundled.suggest("") == []
    assert len(bundled.suggest("Queue", n=5)) == 5
    assert all(s.lower().startswith("queue") for s in bundled.suggest("Queue", n=5))


REQUIRED = [
    ("Originate", [], ["Channel"]),
    ("Originate", ["Channel"], []),
    ("originate", ["CHANNEL", "Exten"], []),
    ("Originate", ["ActionID"], ["Channel"]),
    ("DBPut", ["Family"], ["Key"]),
    ("DBPut", ["Family", "Key"], []),
    ("Redirect", ["Channel", "Exten"], ["Context", "Priority"]),
    ("Login", [], ["Username"]),
    ("CoreShowChannels", [], []),
    ("NoSuchAction", [], []),
]


@pytest.mark.parametrize("action, given, missing", REQUIRED)
def test_required_missing(bundled, action, given, missing):
    assert bundled.required_missing(action, given) == missing


def test_bundled_json_is_structure_only():
    text = BUNDLED_JSON.read_text(encoding="utf-8")
    doc = json.loads(text)
    assert doc["format"] == 1
    for section in ("actions", "events"):
        for name, obj in doc[section].items():
            assert set(obj) <= {"params", "list", "final", "class", "headers"}, name
            for p in obj.get("params", obj.get("headers", [])):
                assert isinstance(p, str) or set(p) <= {"name", "required", "multiple", "default", "values"}
    # no prose from Asterisk: synopses and descriptions are not there
    for sentence in ("Originate a call", "Channel name to call", "Raised when a new channel is created"):
        assert sentence not in text
    assert len(text) < 150_000


def test_bundled_is_shared_and_immutable(bundled):
    a, b = Catalogue.bundled(), Catalogue.bundled()
    assert a is not b
    assert a.action("Originate") is b.action("Originate")  # one load, shared immutable specs
    with pytest.raises(AttributeError):
        a.action("Originate").name = "x"  # frozen


def test_import_does_not_load_the_json():
    code = (
        "import sys; import amish.catalogue as c; import amish.catalogue.store as store; "
        "assert store._bundled_state is None, 'loaded at import'; "
        "assert 'prompt_toolkit' not in sys.modules and 'rich' not in sys.modules; "
        "assert 'xml.etree.ElementTree' not in sys.modules and 'difflib' not in sys.modules; "
        "c.Catalogue.bundled(); assert store._bundled_state is not None"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr  # (its speed, < 0.5 s, is measured by bench/micro.py)


# -- the generator -------------------------------------------------------------


def test_generator_reproduces_the_committed_json(sandbox_xml, tmp_path):
    out = tmp_path / "catalogue.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen-catalogue"), str(sandbox_xml), "-o", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == BUNDLED_JSON.read_bytes(), "amish/data/catalogue.json is stale: run scripts/gen-catalogue"
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen-catalogue"), str(sandbox_xml), "-o", str(BUNDLED_JSON), "--check"],
        capture_output=True, text=True, timeout=120,
    )
    assert check.returncode == 0, check.stderr


def test_generator_refuses_a_bad_file(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<docs><manager name='X'>")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen-catalogue"), str(bad), "-o", str(tmp_path / "out.json")],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2 and "gen-catalogue" in proc.stderr
    assert not (tmp_path / "out.json").exists()


MINI_XML = """<?xml version="1.0" encoding="UTF-8"?>
<docs xmlns:xi="http://www.w3.org/2001/XInclude">
<module language="en_US" name="m"><support_level>core</support_level></module>
<manager name="Login" language="en_US">
  <synopsis>Sign in.</synopsis>
  <syntax><parameter name="ActionID"><para>An id.</para></parameter>
  <parameter name="Username" required="true"><para>Who.</para></parameter></syntax>
</manager>
<manager name="Widget" language="en_US">
  <synopsis>Make a <literal>widget</literal>.</synopsis>
  <syntax>
    <xi:include xpointer="xpointer(/docs/manager[@name='Login']/syntax/parameter[@name='ActionID'])" />
    <parameter name="Size" required="yes" default="3"><enumlist><enum name="1"/><enum name="3"/></enumlist></parameter>
    <parameter name="Tag" multiple="true"/>
    <parameter name="Colour"><xi:include xpointer="xpointer(/docs/managerEvent[@name='WidgetMade']/managerEventInstance/syntax/parameter[@name='Colour']/enumlist)" /></parameter>
  </syntax>
  <description><para>Builds <replaceable>one</replaceable>.</para><para>Second.</para></description>
  <responses>
    <list-elements><xi:include xpointer="xpointer(/docs/managerEvent[@name='WidgetMade'])" /></list-elements>
    <managerEvent name="WidgetsDone" language="en_US"><managerEventInstance class="EVENT_FLAG_SYSTEM">
      <syntax><parameter name="ListItems"/></syntax></managerEventInstance></managerEvent>
  </responses>
</manager>
<managerEvent name="WidgetMade" language="en_US">
  <managerEventInstance class="EVENT_FLAG_CALL">
    <synopsis>A widget was made.</synopsis>
    <syntax>
      <channel_snapshot prefix="Maker"/>
      <bridge_snapshot/>
      <parameter name="Colour"><enumlist><enum name="red"/><enum name="blue"/></enumlist></parameter>
      <xi:include xpointer="xpointer(docs/manager[@name='Widget']/syntax/parameter[contains(@name, 'Ta')])" />
    </syntax>
  </managerEventInstance>
</managerEvent>
</docs>
"""


def test_read_docs_on_a_small_file(tmp_path):
    path = tmp_path / "core-en_US.xml"
    path.write_text(MINI_XML)
    actions, events = catmod.read_docs(path)
    widget = actions["widget"]
    assert [p.name for p in widget.params] == ["ActionID", "Size", "Tag", "Colour"]
    assert widget.params[1] == Param("Size", required=True, default="3", values=("1", "3"))
    assert widget.params[2].multiple and widget.params[3].values == ("red", "blue")
    assert widget.list_action and widget.final_event == "WidgetsDone"
    assert widget.synopsis == widget.description == ""  # structure only
    made = events["widgetmade"]
    assert made.event_class == "call"
    names = [h.name for h in made.headers]
    assert names[:2] == ["MakerChannel", "MakerChannelState"] and "MakerLinkedid" in names
    assert "BridgeUniqueid" in names and "BridgeVideoSourceMode" in names
    assert names[-2:] == ["Colour", "Tag"]
    assert events["widgetsdone"].event_class == "system"
    # with prose (merge_xml)
    actions, events = catmod.read_docs(path, prose=True)
    assert actions["widget"].synopsis == "Make a 'widget'."
    assert actions["widget"].description == "Builds <one>.\n\nSecond."
    assert actions["widget"].syntax.splitlines()[:3] == ["Action: Widget", "[ActionID:] <value>", "Size: <value>"]
    assert events["widgetmade"].synopsis == "A widget was made."


# -- merges without a server ---------------------------------------------------


def list_commands(*pairs: tuple[str, str]) -> Message:
    return Message([("Response", "Success"), ("ActionID", "x-1"), *pairs])


def test_merge_list_commands_unit():
    cat = Catalogue.bundled()
    n = cat.merge_list_commands(
        list_commands(
            ("Originate", "Start a call.  (Priv: originate,all)"),
            ("Ping", "Keep alive.  (Priv: <none>)"),
            ("MyModuleAction", "Something new.  (Priv: user,all)"),
        )
    )
    assert n == 3
    o = cat.action("Originate")
    assert o.available is True and o.privilege == "originate,all" and o.synopsis == "Start a call."
    assert o.source == {"bundled", "live"}
    assert o.param("Channel").required  # structure kept
    assert cat.action("Ping").privilege == ""
    new = cat.action("mymoduleaction")
    assert new.name == "MyModuleAction" and new.params == () and new.available and new.source == {"live"}
    assert cat.action("Hangup").available is False
    assert "Hangup" not in cat.action_names(available_only=True)
    assert "MyModuleAction" in cat.action_names(available_only=True)
    # the bundled data itself is untouched
    assert Catalogue.bundled().action("Originate").available is None


def test_merge_list_commands_error_changes_nothing():
    cat = Catalogue.bundled()
    before = cat.actions()
    assert cat.merge_list_commands(Message([("Response", "Error"), ("Message", "Permission denied")])) == 0
    assert cat.actions() == before


SHOW_PAGE = """
  -= Info about Manager Command 'Widget' =- 

[Synopsis]
Make a widget. 

[Provided By]
mymodule

[Since]
1.0.0

[Description]
Builds a widget of the given size
and colour.

[Syntax]
Action: Widget
[ActionID:] <value>
Size: <value>
[Colour:] <value>
[UnitAmount(0):] <value>

[Arguments]

ActionID
    An id.

Size
    How big.
    small
    big

[Privilege]
call,all

[See Also]
Not available

[List Responses]
Event: WidgetItem

  -= Info about Manager Event 'WidgetItem' =- 

[Synopsis]
One item.

[Syntax]
Event: WidgetItem
Channel: <value>

[End List Responses]

[Final Response]
Event: WidgetDone

  -= Info about Manager Event 'WidgetDone' =- 

[Synopsis]
Done.

[End Final Response]
""".splitlines()


def test_parse_manager_show():
    page = parse_manager_show(SHOW_PAGE)
    assert page["name"] == "Widget"
    assert page["synopsis"] == "Make a widget."
    assert page["description"] == "Builds a widget of the given size\nand colour."
    assert page["params"] == [("ActionID", False), ("Size", True), ("Colour", False), ("UnitAmount(0)", False)]
    assert page["arguments"]["size"] == "How big.\nsmall\nbig"
    assert page["privilege"] == "call,all"
    assert page["list_action"] is True and page["final_event"] == "WidgetDone"
    assert parse_manager_show(["", ""]) is None  # what Asterisk sends for an unknown action
    assert parse_manager_show([]) is None


def test_merge_manager_show_keeps_bundled_structure():
    cat = Catalogue.bundled()
    lines = [
        "", "  -= Info about Manager Command 'Originate' =- ", "", "[Synopsis]", "Call out. ", "",
        "[Description]", "Our words.", "", "[Syntax]", "Action: Originate", "[ActionID:] <value>",
        "Channel: <value>", "[Variable:] <value>", "[NewThing:] <value>", "", "[Privilege]", "originate,all", "",
        "[List Responses]", "None", "", "[End List Responses]", "", "[Final Response]", "None", "",
        "[End Final Response]", "",
    ]
    assert cat.merge_manager_show("originate", lines)
    o = cat.action("Originate")
    assert o.synopsis == "Call out." and o.description == "Our words." and o.privilege == "originate,all"
    assert [p.name for p in o.params] == ["ActionID", "Channel", "Variable", "NewThing"]
    assert o.param("Channel").required and o.param("Variable").multiple and not o.param("NewThing").required
    assert o.source == {"bundled", "manager-show"}
    assert o.syntax.startswith("Action: Originate\n")
    before = cat.actions()
    assert not cat.merge_manager_show("Nope", ["", ""])
    assert cat.actions() == before


def test_cache_roundtrip(tmp_path):
    cat = Catalogue.bundled()
    assert cat.save_cache() is None  # no version yet
    cat.version = "22.0.0-test"
    assert cat.merge_manager_show("Widget", SHOW_PAGE)
    path = cat.save_cache()
    assert path is not None and path.parent == tmp_path / "cache" / "amish"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left behind

    fresh = Catalogue.bundled()
    assert fresh.action("Widget") is None
    assert fresh.load_cache("22.0.0-test") == 1
    assert fresh.version == "22.0.0-test"
    assert fresh.action("Widget").synopsis == "Make a widget."
    assert Catalogue.bundled().load_cache("21.0.0") == 0  # another version: nothing
    path.write_text("{not json")
    assert Catalogue.bundled().load_cache("22.0.0-test") == 0


def test_cache_dir_default(monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", "/home/someone")
    assert catmod.cache_dir() == Path("/home/someone/.cache/amish")


def test_readers_never_see_a_half_merged_catalogue(sandbox_xml):
    cat = Catalogue.bundled()
    errors: list[BaseException] = []
    stop = threading.Event()
    seen = set()

    def reader():
        try:
            while not stop.is_set():
                names = cat.action_names()
                assert names, "empty"
                for name in names[:: max(1, len(names) // 20)]:
                    assert cat.action(name) is not None, name
                seen.add(len(names))
                cat.suggest("orig")
                cat.required_missing("Originate", ["Channel"])
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for i in range(3):
            cat.merge_list_commands(list_commands(("Originate", "x  (Priv: originate,all)"), (f"Extra{i}", "y  (Priv: <none>)")))
            cat.merge_manager_show("Widget", SHOW_PAGE)
            cat.merge_xml(sandbox_xml)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert not errors, errors
    assert cat.action("Extra2") is not None and cat.action("Widget") is not None


# -- against the real Asterisk ---------------------------------------------------


def login(sandbox, user) -> Connection:
    conn = Connection(sandbox.host, sandbox.port)
    conn.connect()
    conn.login(*user, events="off")
    return conn


@pytest.mark.asterisk
def test_list_commands_as_admin(admin):
    cat = Catalogue.bundled()
    assert fetch_live(admin, cat)
    o = cat.action("Originate")
    assert o.available is True and "originate" in o.privilege.split(",")
    assert "live" in o.source and o.synopsis
    assert cat.action("Command").available is True
    assert cat.version and cat.version.startswith("22.")  # from CoreSettings
    # modules the sandbox does not load are not available
    assert any(a.available is False for a in cat.actions())


@pytest.mark.asterisk
def test_list_commands_as_reader(asterisk):
    conn = login(asterisk, READER)
    try:
        cat = Catalogue.bundled()
        assert fetch_live(conn, cat)
        assert cat.action("Originate").available is False
        assert cat.action("Command").available is False
        assert cat.action("CoreShowChannels").available is True  # reporting
        assert cat.action("Ping").available is True  # no privilege needed
        before = cat.actions()
        assert fetch_manager_show(conn, cat, "Originate") is False  # no command privilege
        assert cat.actions() == before
    finally:
        conn.close()


@pytest.mark.asterisk
def test_manager_show_command(admin, tmp_path):
    cat = Catalogue.bundled()
    assert fetch_live(admin, cat)
    assert fetch_manager_show(admin, cat, "Originate")
    o = cat.action("Originate")
    assert o.synopsis and o.description
    assert o.param("Channel").required and not o.param("ActionID").required
    assert o.param("Variable").multiple  # from the bundled structure
    assert o.param("Channel").description  # from [Arguments]
    assert o.privilege == "originate,all"
    assert o.syntax.startswith("Action: Originate")
    assert {"bundled", "live", "manager-show"} <= o.source
    # a list action's list and final response
    assert fetch_manager_show(admin, cat, "CoreShowChannels")
    c = cat.action("CoreShowChannels")
    assert c.list_action and c.final_event == "CoreShowChannelsComplete"
    # an unknown action: nothing changes
    before = cat.actions()
    assert fetch_manager_show(admin, cat, "NoSuchActionAtAll") is False
    assert fetch_manager_show(admin, cat, "Originate; core stop now") is False
    assert cat.actions() == before
    # the cache of this server version now holds both pages
    fresh = Catalogue.bundled()
    assert fresh.load_cache(cat.version) == 2
    assert fresh.action("Originate").description == o.description


@pytest.mark.asterisk
def test_bundled_matches_the_live_server(admin):
    """Every action the sandbox runs has the bundled parameters, in order, with the
    same required flags as its own `manager show command` page."""
    cat = Catalogue.bundled()
    assert fetch_live(admin, cat)
    live = [a.name for a in cat.actions() if a.available]
    assert len(live) > 100
    for name in live:
        bundled = Catalogue.bundled().action(name)
        result = admin.send([("Action", "Command"), ("Command", f"manager show command {name}")])
        page = parse_manager_show(result.response.getall("Output"))
        assert page is not None, name
        assert [(p.name, p.required) for p in bundled.params] == page["params"], name


@pytest.mark.asterisk
def test_merge_xml(sandbox_xml):
    cat = Catalogue.bundled()
    assert cat.merge_xml(sandbox_xml) == 154
    o = cat.action("Originate")
    assert o.synopsis and o.description and "xml" in o.source
    assert o.param("Channel").required and o.param("Channel").description
    assert o.param("Variable").multiple
    assert cat.event("Newchannel").synopsis
    assert len(cat.action_names()) == 154


def test_merge_xml_adds_unknown_actions(tmp_path):
    path = tmp_path / "core-en_US.xml"
    path.write_text(MINI_XML)
    cat = Catalogue.bundled()
    cat.merge_list_commands(list_commands(("Ping", "p  (Priv: <none>)")))
    assert cat.merge_xml(path) == 2
    w = cat.action("Widget")
    assert w.source == {"xml"} and w.available is False  # live data says this login cannot run it
    assert cat.action("Login").synopsis == "Sign in." and cat.action("Login").source >= {"bundled", "xml"}
    assert cat.event("WidgetMade").synopsis == "A widget was made."
    with pytest.raises(OSError):
        cat.merge_xml(tmp_path / "missing.xml")
