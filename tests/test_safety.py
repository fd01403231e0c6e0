"""Safety rails as tables: read-only, confirmations, clear-text logins."""

from __future__ import annotations

import pytest

from amish.catalogue import ActionSpec, Catalogue
from amish.protocol import Message
from amish.safety import confirmation_reason, is_loopback, plaintext_login_warning, read_only_refusal


def live_catalogue():
    """A catalogue as ListCommands leaves it (privileges as Asterisk 22 reports them)."""
    specs = [
        ActionSpec("CoreShowChannels", privilege="system,reporting,all", available=True),
        ActionSpec("Originate", privilege="originate,all", available=True),
        ActionSpec("Hangup", privilege="system,call,all", available=True),
        ActionSpec("DBPut", privilege="system,all", available=True),
        ActionSpec("BridgeKick", privilege="", available=True),
        ActionSpec("QueueReset", privilege="", available=True),
        ActionSpec("LoggerRotate", privilege="system,reporting,all", available=True),
        ActionSpec("VoicemailUsersList", privilege="call,reporting,all", available=True),
        ActionSpec("NewFancyReport", privilege="reporting,all", available=True),
        ActionSpec("NewFancyWriter", privilege="call,all", available=True),
    ]
    return Catalogue(specs)


def act(name, **headers):
    return Message([("Action", name), *headers.items()])


READ_ONLY = [
    (act("Ping"), None),
    (act("CoreShowChannels"), None),
    (act("GetConfig", Filename="sip.conf"), None),
    (act("DBGet", Family="cf", Key="1"), None),
    (act("NewFancyReport"), None),
    (act("VoicemailUsersList"), None),
    (act("Command", Command="core show channels"), None),
    (act("Command", Command="pjsip show endpoints"), None),
    (act("Command", Command="database show cf"), None),
    (act("Originate", Channel="Local/1@x"), "needs the originate privilege"),
    (act("Hangup", Channel="x"), "needs the call,system privilege"),
    (act("DBPut", Family="a", Key="b", Val="c"), "needs the system privilege"),
    (act("BridgeKick"), "not a known read-only action"),
    (act("QueueReset"), "not a known read-only action"),
    (act("LoggerRotate"), "changes state"),
    (act("NewFancyWriter"), "needs the call privilege"),
    (act("NotInTheCatalogue"), "not a known read-only action"),
    (act("Command", Command="core restart now"), "not one that only shows"),
    (act("Command", Command="channel request hangup all"), "not one that only shows"),
    (act("Command", Command="module unload show_thing.so"), "not one that only shows"),
    (act("Command", Command="core show channels; core stop now"), "not one that only shows"),
]


@pytest.mark.parametrize("message, refusal", READ_ONLY, ids=[f"{m.get('Action')} {m.get('Command') or ''}".strip() for m, _ in READ_ONLY])
def test_read_only(message, refusal):
    got = read_only_refusal(message, live_catalogue())
    if refusal is None:
        assert got is None
    else:
        assert got is not None and refusal in got


def test_read_only_without_live_data_passes_only_known_readers():
    bundled = Catalogue.bundled()
    assert read_only_refusal(act("CoreShowChannels"), bundled) is None
    assert "not a known read-only action" in read_only_refusal(act("Originate", Channel="x"), bundled)


CONFIRM = [
    (act("Hangup", Channel="PJSIP/7001-1"), "hangs up a call (PJSIP/7001-1)"),
    (act("Redirect", Channel="PJSIP/7001-1", Exten="1"), "moves a call"),
    (act("UpdateConfig", SrcFilename="a.conf"), "rewrites a configuration file (a.conf)"),
    (act("Reload"), "reloads modules"),
    (act("DBDelTree", Family="cf"), "deletes a family"),
    (act("Command", Command="core restart gracefully"), "runs the CLI command"),
    (act("Command", Command="module reload res_pjsip.so"), "runs the CLI command"),
    (act("Command", Command="core show channels"), None),
    (act("Ping"), None),
    (act("Originate", Channel="x"), None),
    (act("DBGet", Family="cf"), None),
]


@pytest.mark.parametrize("message, reason", CONFIRM, ids=[f"{m.get('Action')} {m.get('Command') or ''}".strip() for m, _ in CONFIRM])
def test_confirmation(message, reason):
    got = confirmation_reason(message)
    if reason is None:
        assert got is None
    else:
        assert got is not None and reason in got


@pytest.mark.parametrize(
    "host, tls, auth, warns",
    [
        ("127.0.0.1", False, "plain", False),
        ("localhost", False, "plain", False),
        ("::1", False, "plain", False),
        ("[::1]", False, "plain", False),
        ("10.0.0.5", False, "plain", True),
        ("pbx.example.com", False, "plain", True),
        ("pbx.example.com", True, "plain", False),
        ("pbx.example.com", False, "md5", False),
    ],
)
def test_plaintext_login_warning(host, tls, auth, warns):
    warning = plaintext_login_warning(host, tls=tls, auth=auth)
    assert (warning is not None) is warns
    if warns:
        assert "--tls" in warning and "--auth md5" in warning


@pytest.mark.parametrize("host, loop", [("127.0.0.5", True), ("localhost", True), ("::1", True), ("192.0.2.1", False), ("example.com", False)])
def test_is_loopback(host, loop):
    assert is_loopback(host) is loop
