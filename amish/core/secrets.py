"""Which values are secrets, and every masker amish uses: the one place that knows.

UI-free (no prompt_toolkit, rich or pygments): the wire tools, the renderers,
the history and the input line all ask this module.

What is a secret
----------------
* a header or config variable whose name is in `SECRET_NAMES`, in any case
  and with or without its underscores (``md5_cred`` in pjsip.conf is
  ``Md5Cred:`` in PJSIPShowAuths' events);
* a Login's ``Key`` (the MD5 digest of the challenge and the secret); a
  DBPut's ``Key`` is not one;
* the ``Value-NNNNNN`` of an UpdateConfig change whose ``Var-NNNNNN`` is a
  secret name;
* a voicemail box's PIN: in GetConfig output of voicemail.conf, a variable
  named by digits (the box) whose value starts with a number (``1234 =>
  4242,Name,email``: the first field is the PIN; a leading ``-`` keeps it).
  No other sample config names a variable by digits alone.

The names come from Asterisk's own configs (configs/samples/*.conf.sample):
the comment beside each says where. Not secrets, and shown: ``outkey`` and
``inkey`` (names of RSA keys), ``dbsecret`` and ``secretpath`` (where a
secret is kept in astdb), ``tlsprivatekey``/``priv_key_file`` (paths),
``externpass*`` (programs), ``minpassword``, ``password_format``,
``passwordlocation``. Left alone (positional, in a file amish cannot tell
from its output): meetme.conf's ``conf => room,pin,adminpin``.

The maskers
-----------
``mask_bytes``    a run of AMI bytes starting at a line boundary (traces,
                  recordings, protocol error samples)
``mask_header``   one header of a parsed message (Message.masked)
``mask_json``     GetConfigJSON's value; ``mask_config_value`` one ini variable
``mask_typed`` / ``typed_secret_spans``  what a person types (shell, line mode, raw mode)
``mask_error``    an error message that may quote what was typed
``has_secret``    whether an input line may be kept in history
"""

from __future__ import annotations

import re

__all__ = [
    "MASK",
    "SECRET_NAMES",
    "is_secret_name",
    "mask_bytes",
    "carried_context",
    "mask_header",
    "mask_config_value",
    "mask_json",
    "mask_typed",
    "mask_error",
    "typed_secret_spans",
    "has_secret",
    "may_hold_secret",
    "headers_may_hold_secret",
    "secret_var_numbers",
    "mask_http",
    "is_http_message",
]

MASK = "********"
_MASK_B = MASK.encode()

#: Names of headers and config variables whose values are secrets (as Asterisk's configs spell them).
SECRET_NAMES = frozenset({
    "secret",  # manager.conf, iax.conf, chan_sip, xmpp.conf, calendar.conf, phoneprov_users.conf
    "md5secret",  # chan_sip, res_ldap.conf
    "remotesecret",  # chan_sip
    "password",  # pjsip.conf auth, ari.conf, res_odbc, res_pgsql, cdr_pgsql/tds, cel_pgsql/tds, websocket_client
    "passwd",  # older spellings in realtime tables
    "pass",  # res_ldap.conf (bind password), iaxprov.conf
    "md5_cred",  # pjsip.conf auth (deprecated spelling of password_digest)
    "password_digest",  # pjsip.conf auth
    "oauth_secret",  # pjsip.conf auth, xmpp.conf
    "refresh_token",  # pjsip.conf auth, xmpp.conf
    "dbpass",  # res_config_mysql.conf, dbsep.conf
    "capture_password",  # hep.conf
    "auth_password",  # prometheus.conf
    "userpwd",  # res_curl.conf (user:password)
    "proxyuserpwd",  # res_curl.conf
    "ssl_keypasswd",  # res_curl.conf
    "turnpassword",  # rtp.conf
    "authpassword",  # voicemail.conf (IMAP)
    "imappassword",  # voicemail.conf
    "proxy_password",  # websocket_client.conf
    "pin",  # confbridge.conf user profile
    "pincode",  # minivm.conf
})

#: Lower-case pieces at least one of which is in any text that holds a secret (the fast "no" of Message.masked).
NEEDLES = (b"secret", b"key", b"pass", b"pwd", b"cred", b"token", b"pin", b"line-", b"json")


def _norm(name: str) -> str:
    return name.strip().lower().replace("_", "").replace("-", "")


_NORMALISED = frozenset(_norm(n) for n in SECRET_NAMES)


def is_secret_name(name: str) -> bool:
    """True for a header or variable name whose value is a secret (any case, with or without "_")."""
    return _norm(name) in _NORMALISED


def may_hold_secret(raw: bytes) -> bool:
    """False when the AMI bytes `raw` certainly hold no secret (a wire chunk: the trace's fast "no")."""
    low = raw.lower()  # a few substring searches beat a case-insensitive regex
    for needle in NEEDLES:
        if needle in low:
            return True
    return False


# header name -> whether a message with it needs a look; event header names are a small vocabulary
_LOOK: dict[str | None, bool] = {None: False}
_NUMBERED = ("line-", "var-", "value-")  # Line-000001-000002, Var-000000: not worth a place in _LOOK


def _needs_look(key: str) -> bool:
    low = key.strip().lower()
    look = is_secret_name(low) or low in ("key", "json") or low.startswith(_NUMBERED)
    if len(_LOOK) < 4096 and not low.startswith(_NUMBERED):
        _LOOK[key] = look
    return look


def headers_may_hold_secret(headers) -> bool:
    """False when these (key, value) headers certainly hold no secret: Message.masked's fast "no".

    One dict look-up per header, on names only: a secret is always under a
    name that says so (or a Login's Key, a GetConfig line, a JSON value).
    """
    look = _LOOK.get
    for key, _value in headers:
        verdict = look(key)
        if verdict is None:
            verdict = _needs_look(key)
        if verdict:
            return True
    return False


class _Lazy:
    """A regex compiled on first use: compiling them all costs ~15 ms of a start-up that may never mask."""

    def __init__(self, *args) -> None:
        self._args = args

    def __getattr__(self, name: str):
        compiled = re.compile(*self._args)
        for method in ("sub", "search", "match", "finditer"):  # from now on, found without this call
            setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)


# One alternation of every name; an underscore may be left out (Md5Cred, OauthSecret).
_NAMES = "|".join(sorted((re.escape(n).replace("_", "_?") for n in SECRET_NAMES), key=len, reverse=True))
_NAMES_B = _NAMES.encode()

# -- bytes: traces, recordings ---------------------------------------------------

_HEADER_LINE = _Lazy(rb"(?im)^([ \t]*(?:" + _NAMES_B + rb")[ \t]*:[ \t]?)[^\r\n]*")
_KEY_LINE = _Lazy(rb"(?im)^([ \t]*key[ \t]*:[ \t]?)[^\r\n]*")
_LOGIN_LINE = _Lazy(rb"(?im)^[ \t]*action[ \t]*:[ \t]*login[ \t]*\r?$")
# GetConfig: "Line-000003-000001: secret=xyz"
_CONFIG_LINE = _Lazy(rb"(?im)^(line-\d+-\d+[ \t]*:[ \t]*(?:" + _NAMES_B + rb")[ \t]*=>?[ \t]*)[^\r\n]*")
# GetConfig of voicemail.conf: "Line-000001-000000: 1234=4242,Example Mailbox,root@localhost"
_MAILBOX_LINE = _Lazy(rb"(?im)^(line-\d+-\d+[ \t]*:[ \t]*\d+[ \t]*=>?[ \t]*)-?[0-9#*]+(?=,|[ \t]*\r?$)")
# GetConfigJSON: {"admin":{"secret":"xyz",...}}; and a voicemail box: "1234":"4242,Name"
_JSON_PAIR = _Lazy(rb'(?i)("(?:' + _NAMES_B + rb')"[ \t]*:[ \t]*")((?:[^"\\]|\\.)*)(")')
_JSON_MAILBOX = _Lazy(rb'("\d+"[ \t]*:[ \t]*")-?[0-9#*]+(?=[,"])')
# UpdateConfig: "Var-000000: secret" then "Value-000000: xyz"
_VAR_LINE = _Lazy(rb"(?im)^[ \t]*var-(\d+)[ \t]*:[ \t]*(?:" + _NAMES_B + rb")[ \t]*\r?$")


def _value_line(number: bytes) -> re.Pattern:
    return re.compile(rb"(?im)^([ \t]*value-" + re.escape(number) + rb"[ \t]*:[ \t]?)[^\r\n]*")


def mask_bytes(data: bytes) -> bytes:
    """`data` with every secret replaced by the mask, for traces, recordings and samples.

    Works on any run of AMI bytes that starts at a line boundary: a whole
    message or a wire chunk. A Login's Key is masked when its ``Action:
    Login`` line is in `data` (see `mask_login_keys` for the rest).
    """
    if not may_hold_secret(data):
        return data
    out = _HEADER_LINE.sub(rb"\1" + _MASK_B, data)
    low = out.lower()
    if b"key" in low and _LOGIN_LINE.search(out):
        out = _KEY_LINE.sub(rb"\1" + _MASK_B, out)
    if b"line-" in low:
        out = _CONFIG_LINE.sub(rb"\1" + _MASK_B, out)
        out = _MAILBOX_LINE.sub(rb"\1" + _MASK_B, out)
    if b'"' in out:
        out = _JSON_PAIR.sub(rb"\1" + _MASK_B + rb"\3", out)
        out = _JSON_MAILBOX.sub(rb"\1" + _MASK_B, out)
    if b"var-" in low:
        for number in {m.group(1) for m in _VAR_LINE.finditer(out)}:
            out = _value_line(number).sub(rb"\1" + _MASK_B, out)
    return out


_SESSION_COOKIE = _Lazy(rb'(?im)^((?:set-)?cookie[ \t]*:[^\r\n]*?mansession_id=)("[^"\r\n]*"|[^;,\s]*)')
_HTTP_START = (b"POST ", b"GET ", b"HTTP/1.")


def is_http_message(data: bytes) -> bool:
    """Whether a wire chunk is a whole HTTP request or response (AMI over HTTP), not AMI text."""
    return data.startswith(_HTTP_START)


def mask_http(data: bytes) -> bytes:
    """A whole HTTP request or response of AMI over HTTP (``/rawman``) with its secrets masked.

    The session cookie (``mansession_id``, in Cookie and Set-Cookie) is a
    secret: whoever holds it is logged in. A request's form body is masked
    field by field as the same headers would be in AMI text (a Login's Secret
    and Key, an UpdateConfig's secret values...); a response's body is AMI text.
    """
    head, sep, body = data.partition(b"\r\n\r\n")
    if b"mansession_id" in head:
        head = _SESSION_COOKIE.sub(rb'\1"' + _MASK_B + b'"', head)
    if not sep or not body:
        return head + sep + body
    if data.startswith(b"HTTP/"):
        return head + sep + mask_bytes(body)
    if not may_hold_secret(body):
        return head + sep + body
    from urllib.parse import unquote_to_bytes

    fields = body.split(b"&")
    names = [unquote_to_bytes(f.partition(b"=")[0]).replace(b"\r", b" ").replace(b"\n", b" ") for f in fields]
    text = b"".join(name + b": " + f.partition(b"=")[2] + b"\r\n" for name, f in zip(names, fields))
    masked = mask_bytes(text).split(b"\r\n")
    out = []
    for field, line, name in zip(fields, masked, names):
        if line.endswith(_MASK_B) and not field.endswith(_MASK_B):
            out.append(field.partition(b"=")[0] + b"=" + _MASK_B)
        else:
            out.append(field)
    return head + sep + b"&".join(out)


_CONTEXT_LINE = _Lazy(
    rb"(?im)^(?:[ \t]*action[ \t]*:[ \t]*login|[ \t]*var-\d+[ \t]*:[ \t]*(?:" + _NAMES_B + rb"))[ \t]*\r?\n"
)


def carried_context(data: bytes) -> bytes:
    """The lines of `data` that make later lines of their message secret, for a masker that sees pieces.

    A Login's ``Action: Login`` line (its Key) and an UpdateConfig's
    ``Var-N: <secret name>`` (its Value-N). Put in front of the next piece
    of the same message, they mask it as if it were whole; masking never
    adds or removes a line, so the piece is what follows their lines.
    """
    low = data.lower()
    if b"login" not in low and b"var-" not in low:
        return b""
    return b"".join(m.group(0) for m in _CONTEXT_LINE.finditer(data))


# -- text: parsed headers, rendered config ------------------------------------------

_CONFIG_TEXT = _Lazy(r"^([ \t]*([^=]*?)[ \t]*=>?[ \t]*)(.*)$", re.S)
_MAILBOX_VALUE = _Lazy(r"^-?[0-9#*]+(?=,|[ \t]*$)")
_JSON_PAIR_TEXT = _Lazy(r'(?i)("(?:' + _NAMES + r')"[ \t]*:[ \t]*")((?:[^"\\]|\\.)*)(")')
_JSON_MAILBOX_TEXT = _Lazy(r'("\d+"[ \t]*:[ \t]*")-?[0-9#*]+(?=[,"])')


def mask_config_value(name: str, value: str) -> str:
    """One config variable's value as amish may show it."""
    if is_secret_name(name):
        return MASK
    if name.strip().isdigit():
        return _MAILBOX_VALUE.sub(MASK, value, count=1)
    return value


def _mask_config_line(text: str) -> str:
    """GetConfig's ``name=value`` with the value masked when it is a secret."""
    m = _CONFIG_TEXT.match(text)
    if not m:
        return text
    shown = mask_config_value(m.group(2), m.group(3))
    return text if shown is m.group(3) else m.group(1) + shown


def mask_json(text: str) -> str:
    """GetConfigJSON's value with the values of secret variables (and voicemail PINs) masked."""
    if '"' not in text:
        return text
    out = _JSON_PAIR_TEXT.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    return _JSON_MAILBOX_TEXT.sub(lambda m: m.group(1) + MASK, out)


def mask_header(key: str | None, value: str, is_login: bool, secret_vars: frozenset[str] = frozenset()) -> str | None:
    """The value to show for one header of a message, or None when it may be shown as is.

    `secret_vars`: the numbers (``000000``) of an UpdateConfig's Var-N headers that name a secret.
    """
    if key is None:
        return None
    low = key.strip().lower()  # " Secret" and "Secret " too, as mask_bytes masks them in the bytes
    if is_secret_name(low) or (low == "key" and is_login):
        return None if value == MASK else MASK
    if low.startswith("line-") and "=" in value:
        shown = _mask_config_line(value)
        return None if shown == value else shown
    if low == "json":
        shown = mask_json(value)
        return None if shown == value else shown
    if secret_vars and low.startswith("value-") and low[6:] in secret_vars:
        return None if value == MASK else MASK
    return None


def secret_var_numbers(headers) -> frozenset[str]:
    """The N of every ``Var-N: <secret name>`` header (an UpdateConfig that changes a secret)."""
    out = set()
    for key, value in headers:
        if key is not None and key[:4].lower() == "var-" and is_secret_name(value):
            out.add(key.strip()[4:].lower())
    return frozenset(out)


# -- what a person types ----------------------------------------------------------

_TYPED_HEADER = _Lazy(r"(?im)^([ \t]*([A-Za-z][\w-]*)[ \t]*:[ \t]?)([^\r\n]*)")
_TYPED_LOGIN = _Lazy(r"(?im)^\s*(?:action\s*:\s*)?login\b")
_HEADER_WORD = _Lazy(r"^[A-Za-z][\w-]*:?=")


def _words(line: str):
    """(start, end) of each word of a one-line action, quotes grouping as in the shell."""
    i, n = 0, len(line)
    while i < n:
        while i < n and line[i].isspace():
            i += 1
        if i >= n:
            return
        start = i
        quote = None
        while i < n and (quote or not line[i].isspace()):
            c = line[i]
            if quote:
                if c == quote:
                    quote = None
            elif c in "\"'":
                quote = c
            i += 1
        yield start, i


def typed_secret_spans(text: str, login: bool | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets in `text` of every secret value typed: to be shown as stars.

    Both input forms: ``Secret: xyz`` lines (telnet form) and ``Secret=xyz``
    words (one-line form, quotes as in the shell). A ``Key`` is a secret when
    the input is a Login (`login` None: tell from `text`).
    """
    if login is None:
        login = _TYPED_LOGIN.search(text) is not None
    spans: list[tuple[int, int]] = []
    pairs: list[tuple[str, str, int, int]] = []  # (name, value, value start, value end)
    offset = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        m = _TYPED_HEADER.match(body)
        if m and not body.lstrip().startswith(("/", "!")):
            pairs.append((m.group(2), m.group(3), offset + m.start(3), offset + m.end(3)))
        if not body.lstrip().startswith(("/", "!", "#")):  # words too: "Action:Login Secret=x" is not a header
            after_name = False  # the word before was "Secret=" or "Secret": this one is its value, misplaced
            for start, end in _words(body):
                word = body[start:end]
                if after_name and not _HEADER_WORD.match(word):
                    spans.append((offset + start, offset + end))
                    after_name = False
                    continue
                eq = word.find("=")
                if eq > 0:
                    name = word[:eq].strip("\"'").rstrip(":")
                    value = word[eq + 1 :].strip("\"'")
                    pairs.append((name, value, offset + start + eq + 1, offset + end))
                    after_name = not value and is_secret_name(name)
                else:
                    after_name = is_secret_name(word.strip("\"'").rstrip(":"))
        offset += len(line)
    secret_vars = {name.lower()[4:] for name, value, _, _ in pairs if name.lower().startswith("var-") and is_secret_name(value)}
    for name, _value, start, end in pairs:
        low = name.lower()
        if is_secret_name(low) or (login and low == "key") or (low.startswith("value-") and low[6:] in secret_vars):
            if end > start:
                spans.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def mask_typed(text: str, login: bool | None = None) -> str:
    """`text` as typed, every secret value replaced by the mask (for echoes and error messages)."""
    spans = typed_secret_spans(text, login)
    if not spans:
        return text
    out, last = [], 0
    for start, end in spans:
        out.append(text[last:start])
        out.append(MASK)
        last = end
    out.append(text[last:])
    return "".join(out)




def mask_error(message: str, typed: str) -> str:
    """An error message about the input `typed`, safe to show.

    Secret values in it are masked; and when the input holds or may hold a
    secret (a Login, a secret header), no piece of the input is quoted: a
    misplaced secret ("Secret= hunter2") is a word like any other to the parser.
    """
    out = mask_typed(message)
    if has_secret(typed):
        out = _mask_quoted_input(out, typed)
    return out


def _mask_quoted_input(message: str, typed: str) -> str:
    """`message` with every quoted piece of `typed` in it replaced by the mask.

    Quotes are paired by content, not by a regex: the message's own words may
    hold an apostrophe ("the action's name, ... not 'Secret=hunter2'").
    """
    quotes = [i for i, c in enumerate(message) if c in "'\""]
    out, done = [], 0
    k = 0
    while k < len(quotes):
        i = quotes[k]
        end = None
        for j in reversed(quotes[k + 1:]):  # the longest quoted piece of the input that starts here
            if message[j] == message[i] and message[i + 1:j] and message[i + 1:j] in typed:
                end = j
                break
        if end is None:
            k += 1
            continue
        out.append(message[done:i + 1] + MASK)
        done = end
        k = quotes.index(end) + 1
    out.append(message[done:])
    return "".join(out)


# -- history ------------------------------------------------------------------------

_HISTORY_SECRET = _Lazy(rf"(?im)(?:^|[\s=:\"'])(?:{_NAMES})\s*[:=]")
_HISTORY_CONFIG_VAR = _Lazy(rf"(?im)\bvar-\d+\s*[:=]\s*[\"']?(?:{_NAMES})\b")


def has_secret(text: str) -> bool:
    """True when an input line must not be stored: it holds or may hold a secret.

    Login actions in any form (with their Secret or MD5 Key), any header named
    as a secret, and UpdateConfig changes of a secret variable.
    """
    return bool(
        _HISTORY_SECRET.search(text) or _TYPED_LOGIN.search(text) or _HISTORY_CONFIG_VAR.search(text)
    )
