"""amish.core.secrets: every secret name Asterisk's configs use, masked in every form amish shows or stores.

Each name of SECRET_NAMES goes through the same table of output forms: the
trace, the recording, the pretty/raw/json output of GetConfig and
GetConfigJSON (as the pipe tool prints them on a terminal), an event that
carries it as a header (PJSIPShowAuths spells md5_cred ``Md5Cred``), an
UpdateConfig that sets it, and the history. Names that are not secrets stay
readable, so masking cannot hide what a person needs to see.
"""

from __future__ import annotations

import io
import json

import pytest

from amish.core import secrets
from amish.transports.connection import Pending
from amish.runtime.formats import result_json, result_raw
from amish.runtime.history import has_secret
from amish.core.protocol import Message, Parser
from amish.ui.render import render_event_full, render_event_line, render_result, to_plain
from amish.core.secrets import MASK, SECRET_NAMES, is_secret_name, mask_bytes, mask_typed, typed_secret_spans
from amish.shell.views import render_sent
from amish.transports.wire import Recorder, Tracer, read_recording

NAMES = sorted(SECRET_NAMES)


def camel(name: str) -> str:
    """Asterisk's ast_to_camel_case, as PJSIP's AMI events spell config fields (md5_cred -> Md5Cred)."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def value_for(name: str) -> str:
    return f"leak-{name.replace('_', '')}-7Qz"


def parse(data: bytes) -> list[Message]:
    return [m for m in Parser(expect_banner=False).receive_data(data) if isinstance(m, Message)]


def getconfig_bytes(name: str, value: str) -> bytes:
    return (
        "Response: Success\r\nActionID: a1\r\nCategory-000000: auth1\r\n"
        "Line-000000-000000: type=auth\r\n"
        f"Line-000000-000001: {name}={value}\r\n"
        "Line-000000-000002: username=alice\r\n\r\n"
    ).encode()


def getconfigjson_bytes(name: str, value: str) -> bytes:
    return (
        'Response: Success\r\nActionID: a2\r\n'
        f'JSON: {{"auth1":{{"type":"auth","{name}":"{value}","username":"alice"}}}}\r\n\r\n'
    ).encode()


def event_bytes(name: str, value: str) -> bytes:
    return (
        "Event: AuthDetail\r\nObjectType: auth\r\nObjectName: auth1\r\nUsername: alice\r\n"
        f"{camel(name)}: {value}\r\nActionID: a3\r\n\r\n"
    ).encode()


def updateconfig_bytes(name: str, value: str) -> bytes:
    return (
        "Action: UpdateConfig\r\nActionID: a4\r\nSrcFilename: x.conf\r\nDstFilename: x.conf\r\n"
        "Action-000000: Append\r\nCat-000000: auth1\r\n"
        f"Var-000000: {name}\r\nValue-000000: {value}\r\n\r\n"
    ).encode()


def finished(action: Message, data: bytes) -> Pending:
    msgs = parse(data)
    pending = Pending(action, "a1", None)
    pending.response = msgs[0]
    pending.events = msgs[1:]
    pending.done_at = pending.sent_at + 0.001
    return pending


# -- the table ------------------------------------------------------------------


def _trace(data: bytes, direction: str) -> str:
    out = io.StringIO()
    tracer = Tracer(out, clock=lambda: 0.0, peer="p:1")
    cut = data.index(b"leak") + 2  # the secret line split between two reads
    tracer(direction, data[:cut])
    tracer(direction, data[cut:])
    tracer.flush()
    return out.getvalue()


def _record(data: bytes, direction: str, tmp_path) -> str:
    path = tmp_path / "s.amish"
    recorder = Recorder(path, meta={"peer": "p:1"})
    cut = data.index(b"leak") + 2
    recorder(direction, data[:cut])
    recorder(direction, data[cut:])
    recorder.close()
    text = path.read_text()
    assert read_recording(path).chunks  # still a recording
    return text


FORMS = {
    "trace GetConfig": lambda n, v, tmp: _trace(getconfig_bytes(n, v), "in"),
    "trace GetConfigJSON": lambda n, v, tmp: _trace(getconfigjson_bytes(n, v), "in"),
    "trace event header": lambda n, v, tmp: _trace(event_bytes(n, v), "in"),
    "trace UpdateConfig sent": lambda n, v, tmp: _trace(updateconfig_bytes(n, v), "out"),
    "record GetConfig": lambda n, v, tmp: _record(getconfig_bytes(n, v), "in", tmp),
    "record GetConfigJSON": lambda n, v, tmp: _record(getconfigjson_bytes(n, v), "in", tmp),
    "record event header": lambda n, v, tmp: _record(event_bytes(n, v), "in", tmp),
    "record UpdateConfig sent": lambda n, v, tmp: _record(updateconfig_bytes(n, v), "out", tmp),
    "GetConfig pretty": lambda n, v, tmp: to_plain(
        render_result(finished(Message([("Action", "GetConfig")]), getconfig_bytes(n, v))), 200),
    "GetConfig raw": lambda n, v, tmp: result_raw(
        finished(Message([("Action", "GetConfig")]), getconfig_bytes(n, v)), mask=True).decode(),
    "GetConfig json": lambda n, v, tmp: result_json(
        finished(Message([("Action", "GetConfig")]), getconfig_bytes(n, v)), mask=True),
    "GetConfigJSON pretty": lambda n, v, tmp: to_plain(
        render_result(finished(Message([("Action", "GetConfigJSON")]), getconfigjson_bytes(n, v))), 200),
    "GetConfigJSON raw": lambda n, v, tmp: result_raw(
        finished(Message([("Action", "GetConfigJSON")]), getconfigjson_bytes(n, v)), mask=True).decode(),
    "GetConfigJSON json": lambda n, v, tmp: result_json(
        finished(Message([("Action", "GetConfigJSON")]), getconfigjson_bytes(n, v)), mask=True),
    "event line": lambda n, v, tmp: to_plain(render_event_line(parse(event_bytes(n, v))[0]), 400),
    "event full": lambda n, v, tmp: to_plain(render_event_full(parse(event_bytes(n, v))[0]), 200),
    "event json": lambda n, v, tmp: json.dumps(parse(event_bytes(n, v))[0].masked().to_dict()),
    "UpdateConfig echo": lambda n, v, tmp: to_plain(render_sent(parse(updateconfig_bytes(n, v))[0]), 400),
}


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("name", NAMES)
def test_every_secret_name_is_masked_in_every_form(name, form, tmp_path):
    value = value_for(name)
    out = FORMS[form](name, value, tmp_path)
    assert value not in out
    assert value[:8] not in out  # not even a piece of it
    assert "auth1" in out  # the rest is still there
    if form != "event line":  # the one-line summary leaves the header out altogether
        assert MASK in out


@pytest.mark.parametrize("name", NAMES)
def test_every_secret_name_keeps_its_line_out_of_history(name):
    assert has_secret(f"UpdateConfig SrcFilename=x.conf DstFilename=x.conf Action-000000=Append Cat-000000=a "
                      f"Var-000000={name} Value-000000=v")
    assert has_secret(f"SomeAction {camel(name)}=v")
    assert has_secret(f"Action: SomeAction\n{name}: v")


# -- what is not a secret ----------------------------------------------------------------

NOT_SECRETS = [
    "outkey", "inkey",  # dundi.conf/iax.conf: names of RSA keys
    "dbsecret", "secretpath",  # where a secret is kept in astdb
    "tlsprivatekey", "priv_key_file", "dtls_private_key",  # paths
    "externpass", "externpasscheck", "minpassword", "password_format", "passwordlocation",
    "username", "auth_type", "realm", "outbound_auth", "auth",
]


@pytest.mark.parametrize("name", NOT_SECRETS)
def test_names_that_hold_no_secret_stay_readable(name):
    assert not is_secret_name(name)
    data = getconfig_bytes(name, "shown-value") + getconfigjson_bytes(name, "shown-value")
    assert mask_bytes(data).count(b"shown-value") == 2
    for m in parse(data):
        assert m.masked() is m


def test_secret_names_match_with_or_without_underscores_in_any_case():
    for name in ("md5_cred", "Md5Cred", "MD5CRED", "oauth_secret", "OauthSecret", "RefreshToken", " Secret "):
        assert is_secret_name(name), name


def test_the_fast_no_knows_every_name():
    """Message.masked looks no further when no needle is in a message: every name must hold one."""
    for name in NAMES:
        for spelling in (name, camel(name)):
            assert any(n.decode() in spelling.lower() for n in secrets.NEEDLES), spelling
            assert secrets.headers_may_hold_secret([(spelling, "x")]), spelling
    assert not secrets.headers_may_hold_secret([("Event", "Newchannel"), ("Channel", "PJSIP/1"), ("Uniqueid", "1")])


# -- voicemail boxes -----------------------------------------------------------------------

VOICEMAIL = (
    b"Response: Success\r\nActionID: v\r\nCategory-000000: general\r\nLine-000000-000000: format=wav49|gsm|wav\r\n"
    b"Line-000000-000001: maxmsg=100\r\nLine-000000-000002: minpassword=4\r\n"
    b"Category-000001: default\r\nLine-000001-000000: 1234=4242,Example Mailbox,root@localhost\r\n"
    b"Line-000001-000001: 4310=-5432,Sales,sales@example.com\r\nLine-000001-000002: 4400=7788\r\n\r\n"
)
VOICEMAIL_JSON = (
    b'Response: Success\r\nActionID: v\r\nJSON: {"general":{"maxmsg":"100","minpassword":"4"},'
    b'"default":{"1234":"4242,Example Mailbox,root@localhost","4310":"-5432,Sales,sales@example.com","4400":"7788"}}'
    b"\r\n\r\n"
)


@pytest.mark.parametrize("data", [VOICEMAIL, VOICEMAIL_JSON], ids=["GetConfig", "GetConfigJSON"])
def test_a_voicemail_box_pin_is_masked_and_the_rest_of_its_line_kept(data):
    for out in (mask_bytes(data).decode(), to_plain(render_result(finished(Message([("Action", "GetConfig")]), data)), 200),
                result_raw(finished(Message([("Action", "GetConfig")]), data), mask=True).decode(),
                result_json(finished(Message([("Action", "GetConfig")]), data), mask=True)):
        for pin in ("4242", "5432", "7788"):
            assert pin not in out, out
        for kept in ("Example Mailbox", "root@localhost", "Sales", "maxmsg", "100"):
            assert kept in out, out
        assert "minpassword" in out and "4" in out


# -- typed input ----------------------------------------------------------------------------

TYPED = [
    ("Login Username=admin Secret=hunter2", "Login Username=admin Secret=********"),
    ('Login Username=admin Secret="two words"', "Login Username=admin Secret=********"),
    ("Login Username=admin Secret:=hunter2", "Login Username=admin Secret:=********"),
    ("Action: Login\nUsername: admin\nSecret: hunter2\n", "Action: Login\nUsername: admin\nSecret: ********\n"),
    ("Action: Login\r\nAuthType: MD5\r\nKey: 0123abcd", "Action: Login\r\nAuthType: MD5\r\nKey: ********"),
    ("login Username=admin Key=0123abcd", "login Username=admin Key=********"),
    ("DBPut Family=cf Key=7001 Val=7002", "DBPut Family=cf Key=7001 Val=7002"),
    ("UpdateConfig Var-000000=md5_cred Value-000000=abc Var-000001=realm Value-000001=pbx",
     "UpdateConfig Var-000000=md5_cred Value-000000=******** Var-000001=realm Value-000001=pbx"),
    ("PJSIPX Password=p1 Md5Cred=p2 Username=alice", "PJSIPX Password=******** Md5Cred=******** Username=alice"),
    ("Login Username=admin Secret= hunter2", "Login Username=admin Secret= ********"),  # misplaced: still hidden
    ("Login Username=admin Secret hunter2 Events=off", "Login Username=admin Secret ******** Events=off"),
    ("Action:Login Secret=hunter2", "Action:Login Secret=********"),
    ("Action: Login\nSecret:  two words \nEvents: off", "Action: Login\nSecret: ********\nEvents: off"),
    ("Action: Originate\nVariable: A=1\nChannel: PJSIP/1", "Action: Originate\nVariable: A=1\nChannel: PJSIP/1"),
    ("Ping", "Ping"),
    ("!core show channels", "!core show channels"),
]


@pytest.mark.parametrize("typed, shown", TYPED)
def test_typed_secrets_are_masked(typed, shown):
    assert mask_typed(typed) == shown


def test_typed_spans_cover_exactly_the_value():
    text = "Login Username=admin Secret=hunter2 Events=off"
    assert [text[s:e] for s, e in typed_secret_spans(text)] == ["hunter2"]
    text = "Action: Login\nSecret: hunter2\nEvents: off"
    assert [text[s:e] for s, e in typed_secret_spans(text)] == ["hunter2"]


# -- the real Asterisk ----------------------------------------------------------------------

REAL_FILE = "amish-test-secrets.conf"
REAL = {"dbpass": "leak-dbpass-real", "md5_cred": "leak-md5cred-real", "password": "leak-password-real",
        "oauth_secret": "leak-oauth-real"}


def test_the_real_asterisks_getconfig_and_getconfigjson_are_masked_in_trace_record_and_output(
        asterisk, admin, amish_cmd, tmp_path):
    """Issue 15 item 14: dbpass= in GetConfig and "md5_cred" in GetConfigJSON reached the trace."""
    import os
    import subprocess

    created = admin.send([("Action", "CreateConfig"), ("Filename", REAL_FILE)])
    if not created.ok:  # written by an earlier run: start it afresh
        assert created.response.get("Message") == "File exists", created.response
        for cat in ("auth1", "default"):
            admin.send([("Action", "UpdateConfig"), ("SrcFilename", REAL_FILE), ("DstFilename", REAL_FILE),
                        ("Reload", "no"), ("Action-000000", "DelCat"), ("Cat-000000", cat)])
    update = [("Action", "UpdateConfig"), ("SrcFilename", REAL_FILE), ("DstFilename", REAL_FILE),
              ("Reload", "no"), ("Action-000000", "NewCat"), ("Cat-000000", "auth1")]
    n = 1
    for name, value in [*REAL.items(), ("username", "alice")]:
        update += [(f"Action-{n:06d}", "Append"), (f"Cat-{n:06d}", "auth1"), (f"Var-{n:06d}", name),
                   (f"Value-{n:06d}", value)]
        n += 1
    update += [(f"Action-{n:06d}", "NewCat"), (f"Cat-{n:06d}", "default"),
               (f"Action-{n + 1:06d}", "Append"), (f"Cat-{n + 1:06d}", "default"), (f"Var-{n + 1:06d}", "1234"),
               (f"Value-{n + 1:06d}", "4242,Example Mailbox,root@localhost")]
    written = admin.send(update)
    assert written.ok, written.response
    trace, rec = tmp_path / "trace", tmp_path / "rec.amish"
    for fmt in ("raw", "json"):
        r = subprocess.run(
            [*amish_cmd, "-u", "admin", "-p", str(asterisk.port), f"--trace={trace}", "--record", str(rec),
             "--format", fmt, "-f", "-", asterisk.host],
            input=f"GetConfig Filename={REAL_FILE}\nGetConfigJSON Filename={REAL_FILE}\n",
            capture_output=True, text=True, timeout=60,
            env={**os.environ, "AMISH_SECRET": "amish-admin-secret"},
        )
        assert r.returncode == 0, r.stderr
        assert "leak-dbpass-real" in r.stdout  # a pipe gets the data as it is (a backup must be exact)
        stored = trace.read_text() + rec.read_text()
        assert "Example Mailbox" in stored and "alice" in stored and "auth1" in stored
        for value in (*REAL.values(), "amish-admin-secret", "4242"):
            assert value not in stored, (fmt, value)
        assert "dbpass=********" in stored and '\\"md5_cred\\":\\"********\\"' in rec.read_text()


def test_the_secrets_module_is_ui_free():
    import subprocess
    import sys

    code = ("import sys, amish.core.secrets; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('prompt_toolkit', 'rich', 'pygments')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(
    "stdin",
    [
        b"Secret=hunter2 Login\n",  # the secret where the action's name should be: quoted by the error
        b"Login Username=admin Secret=hunter2 x\n",
        b"Action: Login\nUsername: admin\nSecret: hunter2\nnot a header\n\n",
        b"Logn Username=admin Secret=hunter2\nPing x\n",
    ],
    ids=["secret-first", "stray-word", "telnet-bad-line", "later-line"],
)
def test_pipe_tool_errors_about_the_input_never_quote_a_secret(stdin, tmp_path):
    """A bad input is refused before connecting; its one line may quote the input, never a secret in it."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
    env.update(AMISH_SECRET="x", XDG_CONFIG_HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "amish", "-u", "admin", "-p", "1", "127.0.0.1"],
                          input=stdin, capture_output=True, env=env, timeout=60)
    assert proc.returncode == 4, proc.stderr
    assert b"hunter2" not in proc.stderr and b"hunter2" not in proc.stdout, proc.stderr
    assert proc.stderr.startswith(b"amish: <stdin>:"), proc.stderr
