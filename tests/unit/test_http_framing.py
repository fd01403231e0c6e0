"""The HTTP transport's response framing (`http._Responses`), as a table: no sockets."""

from __future__ import annotations

import pytest

from amish.transports.http import _NotHttp, _Responses, _refused

OK = b"HTTP/1.1 200 OK\r\nServer: Asterisk\r\nSet-Cookie: mansession_id=\"ab12\"; Version=1; Max-Age=60\r\n"


def resp(body: bytes, extra: bytes = b"") -> bytes:
    return OK + extra + b"Content-Length: %d\r\n\r\n" % len(body) + body


PING = b"Response: Success\r\nPing: Pong\r\n\r\n"


@pytest.mark.parametrize("chunks, bodies", [
    ([resp(PING)], [PING]),
    ([resp(PING) * 3], [PING] * 3),  # pipelined answers in one read
    ([resp(PING)[:10], resp(PING)[10:40], resp(PING)[40:]], [PING]),  # one answer over three reads
    ([resp(PING) + resp(b"")[:-3], resp(b"")[-3:]], [PING, b""]),
    ([OK + b"Transfer-Encoding: chunked\r\n\r\n4\r\nResp\r\n", b"d\r\nonse: Success\r\n0\r\n\r\n"], [b"Response: Success"]),
])
def test_responses_are_framed_whatever_the_reads(chunks, bodies):
    frames = _Responses()
    got = []
    for chunk in chunks:
        got += frames.feed(chunk)
    assert [r.body for r in got] == bodies
    assert all(r.status == 200 and not r.close for r in got)
    assert got[0].cookie() == ("ab12", 60)
    assert b"".join(r.raw for r in got) == b"".join(chunks)  # the wire hook sees every byte, once
    assert frames.buffered == 0


def test_connection_close_and_a_body_up_to_the_end():
    frames = _Responses()
    assert frames.feed(b"HTTP/1.0 200 OK\r\n\r\nResponse: Success\r\n") == []
    last = frames.eof()
    assert last is not None and last.close and last.body == b"Response: Success\r\n"
    closing = _Responses().feed(resp(PING, b"Connection: close\r\n"))
    assert closing[0].close


@pytest.mark.parametrize("data", [
    b"Asterisk Call Manager/9.0.0\r\n",  # AMI's TCP port: its banner, at once
    b"SSH-2.0-OpenSSH_9.6\r\n",
    b"\x15\x03\x01\x00\x02\x02\x46",  # a TLS alert
])
def test_what_is_not_http_says_so_with_its_first_line(data):
    with pytest.raises(_NotHttp) as e:
        _Responses().feed(data)
    assert data[:5].decode("latin-1") in str(e.value) or data.startswith(b"\x15")


@pytest.mark.parametrize("body, refused", [
    (b"Response: Error\r\nMessage: Permission denied\r\n\r\n", True),
    (b"Response: Error\r\nMessage: Invalid/unknown command\r\n\r\n", False),
    (b"Response: Success\r\nMessage: Permission denied\r\n\r\n", False),
    (b"", False),
])
def test_a_refused_session_is_told_by_its_answer(body, refused):
    assert _refused(body) is refused
