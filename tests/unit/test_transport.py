"""The transport seam (amish.transports.base): one interface, implemented, and asked rather than probed.

Both implementations (TCP/TLS `Connection`, `ReplayConnection`) must have every
member of the Protocol with the Protocol's signature, so a mode written
against `Transport` works on either (and on the HTTP transport to come); and
no module outside the transports may ask a connection what it is with
getattr/hasattr/isinstance or reach into its private attributes: capabilities
are attributes of the interface (``live``).
"""

from __future__ import annotations

import ast
import inspect
import re
import typing

import pytest

from amish.core.errors import AmishError, ConnectionLost

from amish.transports.connection import Connection
from amish.transports.http import HttpConnection
from amish.transports.replay import ReplayConnection, ReplayError
from amish.transports.base import LiveTransport, Transport

from conftest import ROOT

PACKAGE = ROOT / "amish"
#: The modules that are transports (or define the seam): they may look at their own insides.
TRANSPORTS = {"connection.py", "replay.py", "transport.py", "http.py", "shared.py"}


@pytest.fixture
def tcp():
    conn = Connection("127.0.0.1", 1)  # never connected: only its interface is looked at
    yield conn
    conn.close()


@pytest.fixture
def web():
    conn = HttpConnection("127.0.0.1", 1)  # never connected: only its interface is looked at
    yield conn
    conn.close()


@pytest.fixture
def replay():
    conn = ReplayConnection([(0.0, "in", b"Asterisk Call Manager/9.0.0\r\n")], meta={"peer": "127.0.0.1:5038"})
    yield conn
    conn.close()


def protocol_members(proto: type) -> dict[str, object]:
    """Every member a Protocol declares (its own and its Protocol bases'): name -> annotation or function/property."""
    out: dict[str, object] = {}
    for cls in reversed(proto.__mro__):
        if cls in (typing.Protocol, typing.Generic, object) or not getattr(cls, "_is_protocol", False):
            continue
        for name, annotation in cls.__dict__.get("__annotations__", {}).items():
            out[name] = annotation
        for name, value in vars(cls).items():
            if not name.startswith("_") and (inspect.isfunction(value) or isinstance(value, property)):
                out[name] = value
    return out


def test_members_are_what_the_modes_use():
    # the list itself is the interface: changing it is a decision, not an accident
    assert set(protocol_members(Transport)) == {
        "kind", "live", "address", "tls", "username", "banner", "closed_reason", "connected", "peer_ip",
        "submit", "send", "send_raw", "abandon", "subscribe", "unsubscribe", "close",
    }
    assert set(protocol_members(LiveTransport)) - set(protocol_members(Transport)) == {"connect", "login"}


def test_both_implementations_are_transports(tcp, replay):
    assert isinstance(tcp, Transport) and isinstance(tcp, LiveTransport)
    assert isinstance(replay, Transport)
    assert not isinstance(replay, LiveTransport)  # a recording is not logged in to: nothing opens it but open()
    assert not isinstance(object(), Transport)


def test_capabilities_are_attributes_of_the_interface(tcp, replay):
    assert (tcp.kind, tcp.live) == ("tcp", True)
    assert (replay.kind, replay.live) == ("replay", False)
    assert tcp.peer_ip is None  # not connected
    assert replay.peer_ip == "127.0.0.1"
    with pytest.raises(ReplayError):  # not live: nothing is ever sent
        replay.submit([("Action", "Ping")])


def _same_signature(proto_fn, impl_fn) -> list[str]:
    """What differs: every Protocol parameter with its kind and default, and no extra required one."""
    want = inspect.signature(proto_fn).parameters
    have = inspect.signature(impl_fn).parameters
    problems = []
    for name, p in want.items():
        q = have.get(name)
        if q is None:
            problems.append(f"no parameter {name!r}")
        elif q.kind != p.kind:
            problems.append(f"{name!r} is {q.kind.description}, not {p.kind.description}")
        elif q.default != p.default:
            problems.append(f"{name!r} defaults to {q.default!r}, not {p.default!r}")
    if not problems and [n for n in have if n in want] != list(want):
        problems.append(f"parameters in another order: {list(have)}")
    for name, q in have.items():
        if name not in want and q.default is q.empty and q.kind not in (q.VAR_POSITIONAL, q.VAR_KEYWORD):
            problems.append(f"extra required parameter {name!r}")
    return problems


IMPLEMENTATIONS = [(Connection, LiveTransport, "tcp"), (ReplayConnection, Transport, "replay"),
                   (HttpConnection, LiveTransport, "web")]


@pytest.mark.parametrize("impl, proto, fixture", IMPLEMENTATIONS,
                         ids=["Connection", "ReplayConnection", "HttpConnection"])
def test_every_member_exists_with_the_protocol_signature(impl, proto, fixture, request):
    instance = request.getfixturevalue(fixture)
    for name, member in protocol_members(proto).items():
        if inspect.isfunction(member):
            impl_fn = getattr(impl, name, None)
            assert callable(impl_fn), f"{impl.__name__}.{name} is missing"
            assert not _same_signature(member, impl_fn), f"{impl.__name__}.{name}: {_same_signature(member, impl_fn)}"
        elif isinstance(member, property):
            assert isinstance(getattr(impl, name, None), property), f"{impl.__name__}.{name} is not a property"
        else:  # a data attribute: there on a fresh instance, of the declared kind
            assert hasattr(instance, name), f"{impl.__name__} has no {name}"
    assert isinstance(instance.kind, str) and isinstance(instance.live, bool) and isinstance(instance.tls, bool)
    assert isinstance(instance.address, str) and instance.address


# -- nobody asks a connection what it is -----------------------------------------------------

_CONN_NAME = re.compile(r"(^|_)(conn|connection|transport|fresh|sub|subscription)$")
_PROBES = {"getattr", "hasattr", "isinstance"}


def _names_a_connection(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return bool(_CONN_NAME.search(node.id))
    if isinstance(node, ast.Attribute):
        return bool(_CONN_NAME.search(node.attr))
    return False


def capability_probes(source: str) -> list[str]:
    """getattr/hasattr/isinstance on a connection, or a connection's private attribute, in `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _PROBES:
            if node.args and _names_a_connection(node.args[0]):
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
            elif node.func.id == "isinstance" and len(node.args) == 2 and re.search(
                r"\b\w*Connection\b", ast.unparse(node.args[1])
            ):
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
        elif (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and _names_a_connection(node.value)
        ):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_the_scan_finds_the_probes_it_forbids():
    assert capability_probes('self.replaying = bool(getattr(conn, "replay", False))')
    assert capability_probes('sock = getattr(conn, "_sock", None)')
    assert capability_probes("x = self.conn._sock")
    assert capability_probes("ok = isinstance(c, ReplayConnection)")
    assert capability_probes("ok = hasattr(fresh, 'start')")
    assert capability_probes("sub._put_many(items)")  # a subscription's private parts are the transports' own
    assert not capability_probes("self.replaying = not conn.live")
    assert not capability_probes("name = getattr(args, 'keepalive', None)")


def test_no_module_outside_the_transports_probes_a_connection():
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.parent == PACKAGE / "transports" and path.name in TRANSPORTS:
            continue
        found = capability_probes(path.read_text(encoding="utf-8"))
        if found:
            offenders[str(path.relative_to(PACKAGE.parent))] = found
    assert not offenders, f"ask the Transport interface instead: {offenders}"


def test_the_http_transport_is_live_and_refuses_raw_bytes(web):
    assert isinstance(web, LiveTransport) and (web.kind, web.live) == ("http", True)
    assert web.address == "http://127.0.0.1:1" and web.peer_ip is None and not web.connected
    with pytest.raises(AmishError, match="raw bytes need AMI's TCP port"):
        web.send_raw(b"Action: Ping\r\n\r\n")
    with pytest.raises(ConnectionLost):  # not connected
        web.submit([("Action", "Ping")])
