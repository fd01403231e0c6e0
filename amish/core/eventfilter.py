"""A small filter language for AMI events: the event pane and ``amish events``.

Grammar
=======

::

    filter      := [ or-expr ]                     the empty filter matches every event
    or-expr     := and-expr { "or" and-expr }
    and-expr    := unary { [ "and" ] unary }        whitespace between terms means AND
    unary       := { "!" | "not" } term             negation
    term        := primary { "|" primary }          alternatives: any one may match
    primary     := "(" or-expr ")" | alternative
    alternative := GLOB                             the event name (the Event header)
                 | HEADER "=" GLOB                  some value of HEADER matches GLOB
                 | HEADER "!=" GLOB                 no value of HEADER matches GLOB
                 | HEADER "~" REGEX                 some value of HEADER contains REGEX

Precedence, tightest first: ``|``, then ``!``/``not``, then AND, then ``or``.
So ``!VarSet|Newexten`` is "neither VarSet nor Newexten", and
``A B or C`` is ``(A and B) or C``.

Matching rules (the same everywhere, so a filter reads the way it behaves):

* Globs are shell-style (``*`` any run of characters, ``?`` one character,
  ``[abc]``/``[!abc]`` a class) and match the **whole** value,
  **case-insensitively**: ``newchannel`` matches ``Newchannel``,
  ``channel=pjsip/*`` matches ``PJSIP/7001-0000002a``.
* Header names are case-insensitive. ``Event=Hangup`` is the same test as the
  bare ``Hangup``.
* A header that repeats (``ChanVariable``, ``Variable``) matches when **any**
  of its values matches. ``H!=glob`` is exactly ``!H=glob``: it is also true
  when the event has no ``H`` header at all.
* ``H=*`` means "H is present" (with any value, even empty); ``!H=*`` means
  it is absent.
* ``~`` is a Python regular expression, searched for anywhere in the value
  (``re.search``) and **case-sensitive** as written; start it with ``(?i)``
  to ignore case, anchor it with ``^``/``$``.
* An event without an ``Event`` header (a response) never matches a name glob.

Words and quoting:

* The keywords ``or``, ``and``, ``not`` are recognised in any case, unquoted.
* ``"..."`` or ``'...'`` quote a value (or a name) that holds spaces, ``|``,
  parentheses or quotes of the other kind; there are no backslash escapes, so
  regexes are written as they are (``Channel~"^(PJSIP|SIP)/"``). Quoting does
  not make glob characters literal: ``"PJSIP/my phone-*"`` still ends with a
  wildcard. Quoted and bare pieces join when nothing separates them
  (``Channel=PJSIP/"my phone"-*``).
* In an alternative, the first ``=``, ``!=`` or ``~`` separates the header from
  the value; later ones belong to the value (``Variable=A=1``). An empty value
  must be quoted: ``CallerIDName=""``.
* Unquoted, ``|`` and parentheses always end a value: ``Channel=A|B`` is
  "Channel is A, or the event is B" (write ``Channel=A|Channel=B``), and a
  ``(`` touching a word is an error, so ``Channel~^(a|b)`` cannot silently
  mean something else: quote it, ``Channel~"^(a|b)"``.

Examples::

    Newchannel|Hangup Channel=PJSIP/7001*       a Newchannel or Hangup of PJSIP/7001
    !VarSet !RTCP*                              everything but VarSet and RTCP events
    !VarSet|Newexten|RTCP*                      the same idea, as one term
    Hangup or Channel~^Local/                   Hangups, and anything on a Local channel
    (Newchannel or Hangup) and not Context=from-internal
    Event=Hangup Cause!=16                      abnormal hangups
    Channel="PJSIP/my phone-*"                  quotes hold the space
    *Bridge* Uniqueid=1712345678.42             bridge events of one call
    Queue*|Agent* Queue=support                 queue activity of one queue
    ChanVariable~"^MYVAR="                      a repeated header: any value may match

API
===

``parse_filter(text) -> EventFilter``; an ``EventFilter`` is called with a
``Message`` and returns a bool, it runs on every event of a flood so it is
compiled to closures (literal names become set lookups, globs are compiled
once). Errors are ``FilterError`` (a ``ValueError``) with ``.position``, the
0-based offset in the text of the problem, and a one-line message.

``event_names(f)`` and ``server_filter(f)`` say what a filter needs from the
server, so a client can ask Asterisk to send fewer events.
"""

from __future__ import annotations

import fnmatch
import re
import warnings
from dataclasses import dataclass, field
from typing import Callable, Iterable, Union

__all__ = [
    "EventFilter",
    "FilterError",
    "parse_filter",
    "event_names",
    "server_filter",
    "MAX_DEPTH",
]

#: The deepest nesting of parentheses accepted.
MAX_DEPTH = 64
#: Longest `Filter:` value server_filter builds (Asterisk reads 1024-byte lines).
_MAX_SERVER_FILTER = 900

Matcher = Callable[[object], bool]


# ---------------------------------------------------------------------------
# errors


class FilterError(ValueError):
    """A filter that cannot be parsed: `.message`, `.position` (0-based offset), `.text`."""

    def __init__(self, message: str, position: int, text: str = ""):
        super().__init__(message, position)
        self.message = message
        self.position = position
        self.text = text

    @property
    def column(self) -> int:
        """The 1-based column of the problem."""
        return self.position + 1

    def __str__(self) -> str:
        return f"{self.message} (column {self.column})"

    def pointer(self) -> str:
        """Two lines: the filter, and a caret under the problem."""
        return f"{self.text}\n{' ' * self.position}^"


# ---------------------------------------------------------------------------
# syntax tree


@dataclass(frozen=True, slots=True)
class Name:
    """An event-name glob."""

    glob: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Header:
    """``key op value`` with op one of '=', '!=', '~'."""

    key: str
    op: str
    value: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Not:
    child: "Node"


@dataclass(frozen=True, slots=True)
class And:
    children: tuple["Node", ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple["Node", ...]


Node = Union[Name, Header, Not, And, Or]


# ---------------------------------------------------------------------------
# tokens

_LP, _RP, _PIPE, _NOT, _AND, _OR, _ATOM, _END = "(", ")", "|", "not", "and", "or", "atom", "end"
_KEYWORDS = {"or": _OR, "and": _AND, "not": _NOT}
_BREAK = frozenset(" \t\r\n\f\v()|")


@dataclass(slots=True)
class _Tok:
    kind: str
    pos: int
    text: str = ""
    node: Node | None = None


def _word(text: str, i: int, stop_at_ops: bool) -> tuple[str, list[int], bool, int, str]:
    """Read bare and quoted pieces from `i`.

    Returns (value, source position of each char, quoted?, end, operator found).
    With `stop_at_ops`, an unquoted '=', '~' or '!=' ends the word and is returned.
    """
    chars: list[str] = []
    where: list[int] = []
    quoted = False
    n = len(text)
    while i < n:
        c = text[i]
        if c in _BREAK or c.isspace():
            break
        if c == '"' or c == "'":
            end = text.find(c, i + 1)
            if end < 0:
                raise FilterError(f"unterminated {c} quote", i, text)
            chars.append(text[i + 1 : end])
            where.extend(range(i + 1, end))
            quoted = True
            i = end + 1
            continue
        if stop_at_ops:
            if c == "=" or c == "~":
                return "".join(chars), where, quoted, i, c
            if c == "!" and i + 1 < n and text[i + 1] == "=":
                return "".join(chars), where, quoted, i, "!="
        chars.append(c)
        where.append(i)
        i += 1
    return "".join(chars), where, quoted, i, ""


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in "()|":
            if c == "(" and toks and toks[-1].kind == _ATOM and toks[-1].pos + len(toks[-1].text) == i:
                # Channel~^(a|b) would silently be Channel~^ AND (a|b)
                raise FilterError(
                    "'(' right after a word: quote a value that holds parentheses"
                    " (Channel~\"^(PJSIP|SIP)/\") or put a space before '('",
                    i,
                    text,
                )
            toks.append(_Tok(c, i, c))
            i += 1
            continue
        if c == "!" and not text.startswith("!=", i):
            toks.append(_Tok(_NOT, i, "!"))
            i += 1
            continue
        start = i
        key, _, key_quoted, i, op = _word(text, i, True)
        if not op:
            if not key_quoted and key.lower() in _KEYWORDS:
                toks.append(_Tok(_KEYWORDS[key.lower()], start, key))
                continue
            if not key:
                raise FilterError("empty event name: quote nothing only as a header value", start, text)
            toks.append(_Tok(_ATOM, start, text[start:i], Name(key, start)))
            continue
        if not key:
            raise FilterError(f"a header name must come before {op!r}", start, text)
        op_pos = i
        i += len(op)
        value, where, value_quoted, i, _ = _word(text, i, False)
        if not value and not value_quoted:
            if i < n and text[i] in "()|":
                raise FilterError(
                    f"missing value after {op!r}: quote a value that starts with {text[i]!r}", op_pos, text
                )
            raise FilterError(
                f"missing value after {op!r} (write \"\" for an empty value)", op_pos, text
            )
        node = Header(key, op, value, start)
        if op == "~":
            _compile_regex(value, where, op_pos, text)  # report a bad regex now, where it is
        toks.append(_Tok(_ATOM, start, text[start:i], node))
    toks.append(_Tok(_END, n))
    return toks


def _regex(value: str) -> re.Pattern[str]:
    with warnings.catch_warnings():  # "possible nested set" and the like: the user's regex, as written
        warnings.simplefilter("ignore", FutureWarning)
        return re.compile(value)


def _compile_regex(value: str, where: list[int], op_pos: int, text: str) -> re.Pattern[str]:
    try:
        return _regex(value)
    except re.error as e:
        pos = e.pos if e.pos is not None else 0
        at = where[pos] if pos < len(where) else (where[-1] + 1 if where else op_pos + 1)
        raise FilterError(f"bad regex: {e.msg}", at, text) from None
    except (RecursionError, OverflowError, ValueError) as e:
        raise FilterError(f"bad regex: {e}", where[0] if where else op_pos + 1, text) from None


# ---------------------------------------------------------------------------
# parser


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def error(self, message: str, pos: int) -> FilterError:
        return FilterError(message, pos, self.text)

    def parse(self) -> Node | None:
        if self.tok.kind == _END:
            return None
        node = self.or_expr()
        tok = self.tok
        if tok.kind == _RP:
            raise self.error("unbalanced ')': nothing to close", tok.pos)
        if tok.kind != _END:  # pragma: no cover - every token kind is handled above
            raise self.error(f"unexpected {tok.text!r}", tok.pos)
        return node

    def or_expr(self) -> Node:
        if self.tok.kind == _OR:
            raise self.error("'or' needs a term before it", self.tok.pos)
        items = [self.and_expr()]
        while self.tok.kind == _OR:
            or_tok = self.tok
            self.i += 1
            if self.tok.kind in (_END, _RP, _OR):
                raise self.error("'or' needs a term after it", or_tok.pos)
            items.append(self.and_expr())
        return _flat(Or, items)

    def and_expr(self) -> Node:
        items = [self.unary()]
        while True:
            kind = self.tok.kind
            if kind == _AND:
                and_tok = self.tok
                self.i += 1
                if self.tok.kind in (_END, _RP, _OR, _AND, _PIPE):
                    raise self.error("'and' needs a term after it", and_tok.pos)
                items.append(self.unary())
            elif kind in (_ATOM, _NOT, _LP):
                items.append(self.unary())
            else:
                break
        return _flat(And, items)

    def unary(self) -> Node:
        negations = 0
        first = None
        while self.tok.kind == _NOT:
            first = first or self.tok
            negations += 1
            self.i += 1
        tok = self.tok
        if tok.kind not in (_ATOM, _LP):
            if first is not None:
                raise self.error(f"{first.text!r} needs a term after it", first.pos)
            if tok.kind == _PIPE:
                raise self.error("'|' needs an alternative before it", tok.pos)
            if tok.kind == _AND:
                raise self.error("'and' needs a term before it", tok.pos)
            if tok.kind == _RP:
                raise self.error("unbalanced ')': nothing to close", tok.pos)
            raise self.error("expected a term", tok.pos)  # pragma: no cover
        node = self.term()
        return Not(node) if negations % 2 else node

    def term(self) -> Node:
        items = [self.primary()]
        while self.tok.kind == _PIPE:
            pipe = self.tok
            self.i += 1
            kind = self.tok.kind
            if kind == _PIPE:
                raise self.error("empty alternative between '|' and '|'", self.tok.pos)
            if kind in (_END, _RP, _OR, _AND):
                raise self.error("'|' needs an alternative after it", pipe.pos)
            if kind == _NOT:
                raise self.error(
                    "a negation cannot follow '|': negate the whole term (!A|B) or use parentheses",
                    self.tok.pos,
                )
            items.append(self.primary())
        return _flat(Or, items)

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind == _ATOM:
            self.i += 1
            assert tok.node is not None
            return tok.node
        # tok.kind == _LP (unary() and term() let nothing else through)
        if self.depth >= MAX_DEPTH:
            raise self.error(f"parentheses nested deeper than {MAX_DEPTH}", tok.pos)
        self.depth += 1
        self.i += 1
        if self.tok.kind == _RP:
            raise self.error("empty parentheses", tok.pos)
        if self.tok.kind == _END:
            raise self.error("unbalanced '(': missing ')'", tok.pos)
        node = self.or_expr()
        if self.tok.kind != _RP:
            raise self.error("unbalanced '(': missing ')'", tok.pos)
        self.i += 1
        self.depth -= 1
        return node


def _flat(cls: type, items: list[Node]) -> Node:
    if len(items) == 1:
        return items[0]
    out: list[Node] = []
    for item in items:
        if isinstance(item, cls):
            out.extend(item.children)  # type: ignore[attr-defined]
        else:
            out.append(item)
    return cls(tuple(out))


# ---------------------------------------------------------------------------
# compilation to closures

_GLOB_CHARS = frozenset("*?[")


def _is_literal(glob: str) -> bool:
    return not any(c in _GLOB_CHARS for c in glob)


def _glob_regex(globs: Iterable[str]) -> re.Pattern[str]:
    # fnmatch.translate emits no nested quantifiers (its '*' handling uses
    # atomic-group emulation), so these never backtrack catastrophically.
    return re.compile("|".join(fnmatch.translate(g) for g in globs), re.IGNORECASE)


def _value_matcher(glob: str) -> Callable[[str], bool]:
    """A case-insensitive whole-value glob test."""
    if _is_literal(glob):
        low = glob.lower()
        return lambda v: v.lower() == low
    if glob.endswith("*") and _is_literal(glob[:-1]):
        prefix = glob[:-1].lower()
        return lambda v: v.lower().startswith(prefix)
    match = _glob_regex([glob]).match
    return lambda v: match(v) is not None


def _names_matcher(globs: list[str]) -> Matcher:
    """One test for a set of event-name globs: a set lookup and at most one regex."""
    literals = frozenset(g.lower() for g in globs if _is_literal(g))
    patterns = [g for g in globs if not _is_literal(g)]
    match = _glob_regex(patterns).match if patterns else None
    if match is None:
        if len(literals) == 1:
            (lit,) = literals

            def name_is(m):
                ev = m.get("Event")
                return ev is not None and ev.lower() == lit

            return name_is

        def name_in(m):
            ev = m.get("Event")
            return ev is not None and ev.lower() in literals

        return name_in

    def name_matches(m):
        ev = m.get("Event")
        if ev is None:
            return False
        return ev.lower() in literals or match(ev) is not None

    return name_matches


def _header_matcher(key: str, test: Callable[[str], bool]) -> Matcher:
    """True when some value of header `key` passes `test`."""

    def header(m):
        v = m.get(key)
        if v is None:
            return False
        if test(v):
            return True
        # The first value failed; look at the others only if the header repeats.
        # Message's index has one entry per distinct key: as many entries as
        # headers means no key repeats (the common case, answered in O(1)).
        index = getattr(m, "_index", None)
        if index is not None and len(index) == len(m.headers):
            return False
        values = m.getall(key)
        for v in values[1:]:
            if test(v):
                return True
        return False

    return header


def _compile(node: Node) -> Matcher:
    if isinstance(node, Name):
        return _names_matcher([node.glob])
    if isinstance(node, Header):
        if node.op == "~":
            search = _regex(node.value).search
            return _header_matcher(node.key, lambda v: search(v) is not None)
        positive = _header_matcher(node.key, _value_matcher(node.value))
        if node.op == "=":
            return positive
        return lambda m: not positive(m)
    if isinstance(node, Not):
        inner = _compile(node.child)
        return lambda m: not inner(m)
    if isinstance(node, Or):
        names = [c.glob for c in node.children if isinstance(c, Name)]
        rest = [c for c in node.children if not isinstance(c, Name)]
        fns = ([_names_matcher(names)] if names else []) + [_compile(c) for c in rest]
        return _any(fns)
    assert isinstance(node, And)
    # !A !B|C is !(A|B|C): one name lookup instead of one per negation.
    excluded: list[str] = []
    fns = []
    for child in node.children:
        names = _only_names(child.child) if isinstance(child, Not) else None
        if names is None:
            fns.append(_compile(child))
        else:
            excluded.extend(names)
    if excluded:
        named = _names_matcher(excluded)
        fns.insert(0, lambda m: not named(m))
    return _all(fns)


def _only_names(node: Node) -> list[str] | None:
    """The globs of a bare name or an OR of bare names, else None."""
    if isinstance(node, Name):
        return [node.glob]
    if isinstance(node, Or) and all(isinstance(c, Name) for c in node.children):
        return [c.glob for c in node.children]  # type: ignore[union-attr]
    return None


def _any(fns: list[Matcher]) -> Matcher:
    if len(fns) == 1:
        return fns[0]
    if len(fns) == 2:
        a, b = fns
        return lambda m: a(m) or b(m)
    if len(fns) == 3:
        a, b, c = fns
        return lambda m: a(m) or b(m) or c(m)
    fs = tuple(fns)

    def any_of(m):
        for f in fs:
            if f(m):
                return True
        return False

    return any_of


def _all(fns: list[Matcher]) -> Matcher:
    if len(fns) == 1:
        return fns[0]
    if len(fns) == 2:
        a, b = fns
        return lambda m: a(m) and b(m)
    if len(fns) == 3:
        a, b, c = fns
        return lambda m: a(m) and b(m) and c(m)
    fs = tuple(fns)

    def all_of(m):
        for f in fs:
            if not f(m):
                return False
        return True

    return all_of


def _match_all(m) -> bool:
    return True


# ---------------------------------------------------------------------------
# public API


class EventFilter:
    """A compiled filter: ``f(message) -> bool``.

    `.text` is the source, `.is_empty` says it matches everything, `.match`
    is the bare compiled function (a hair faster than calling `f`).
    """

    __slots__ = ("text", "tree", "match")

    def __init__(self, text: str, tree: Node | None):
        self.text = text
        self.tree = tree
        self.match: Matcher = _match_all if tree is None else _compile(tree)

    @property
    def is_empty(self) -> bool:
        return self.tree is None

    def __call__(self, message) -> bool:
        return self.match(message)

    def __repr__(self) -> str:
        return f"parse_filter({self.text!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EventFilter):
            return self.tree == other.tree
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.tree)


def parse_filter(text: str) -> EventFilter:
    """Parse and compile `text`; raises FilterError (and nothing else) when it is not valid."""
    if not isinstance(text, str):
        raise TypeError(f"a filter is a str, not {type(text).__name__}")
    try:
        tree = _Parser(text).parse()
    except RecursionError:  # pragma: no cover - nesting is bounded by MAX_DEPTH
        raise FilterError("filter nested too deeply", 0, text) from None
    return EventFilter(text, tree)


def _as_filter(f: EventFilter | str) -> EventFilter:
    return parse_filter(f) if isinstance(f, str) else f


def event_names(f: EventFilter | str) -> set[str] | None:
    """The event-name globs an event must match to pass `f`, or None if it may have any name.

    Sound, not always tight: every event `f` accepts has a name matching one
    of the globs (case-insensitively). Names come from bare globs and from
    ``Event=glob``; a negation, a header test or an ``or`` with such a branch
    means any name. An empty set means `f` can never match (``Newchannel Hangup``).
    """
    tree = _as_filter(f).tree
    if tree is None:
        return None
    names = _names_needed(tree)
    return None if names is None else set(names)


def _names_needed(node: Node) -> list[str] | None:
    if isinstance(node, Name):
        return [node.glob]
    if isinstance(node, Header):
        if node.key.lower() == "event" and node.op == "=":
            return [node.value]
        return None
    if isinstance(node, Not):
        return None
    if isinstance(node, Or):
        out: list[str] = []
        for child in node.children:
            names = _names_needed(child)
            if names is None:
                return None
            out.extend(names)
        return _dedup(out)
    # And: the event must satisfy every child that constrains the name.
    sets = [s for s in (_names_needed(c) for c in node.children) if s is not None]
    if not sets:
        return None
    literal_sets = [s for s in sets if all(_is_literal(g) for g in s)]
    if not literal_sets:
        return min(sets, key=len)
    base = min(literal_sets, key=len)
    others = [s for s in sets if s is not base]
    return [
        name
        for name in base
        if all(any(fnmatch.fnmatchcase(name.lower(), g.lower()) for g in s) for s in others)
    ]


def _dedup(globs: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for g in globs:
        if g.lower() not in seen:
            seen.add(g.lower())
            out.append(g)
    return out


def server_filter(
    f: EventFilter | str, known_names: Iterable[str] | None = None
) -> list[str] | None:
    """`Filter:` values for Asterisk's ``Filter`` action doing exactly what `f` does, or None.

    Asterisk's legacy filters (every Asterisk since 10; manager.conf
    ``eventfilter``, the ``Filter`` action without ``MatchCriteria``) are POSIX
    extended regexes searched in the whole event text ("Event: X\\r\\n..."),
    case-sensitively. A value starting with ``!`` excludes. When a session has
    include filters an event must match one of them, then it must match no
    exclude filter; with only exclude filters, everything else passes.

    So the filters that can be expressed are "one positive set of event names,
    and no event in some other sets": ``Newchannel|Hangup``,
    ``!VarSet !RTCP*``, ``(Newchannel or Hangup) !Newexten``. Globs become
    ``[^[:cntrl:]]*`` / ``[^[:cntrl:]]`` (a ``[class]`` glob is not
    translated). Anything with a header test, a second positive term, or an
    ``or`` mixed with a negation returns None: filter locally only. The empty
    filter returns [] (no server filter needed).

    The result is equivalent to `f` for events (they all carry ``Event``), so
    filtering locally as well is harmless. Each name is made case-insensitive
    with bracket expressions (``[Nn][Ee]...``) unless `known_names` (e.g. the
    event catalogue) gives its exact spelling. Remember that ``Filter`` needs
    the ``system`` write permission and that filters cannot be removed from a
    session, only added.
    """
    tree = _as_filter(f).tree
    if tree is None:
        return []
    canonical = {n.lower(): n for n in known_names} if known_names is not None else {}
    items = tree.children if isinstance(tree, And) else (tree,)
    include: list[str] | None = None
    exclude: list[str] = []
    for item in items:
        if isinstance(item, Not):
            names = _pure_names(item.child)
            if names is None:
                return None
            exclude.extend(names)
        else:
            names = _pure_names(item)
            if names is None or include is not None:
                return None
            include = names
    out: list[str] = []
    for names, prefix in ((include or [], ""), (_dedup(exclude), "!")):
        eres = []
        for glob in names:
            ere = _glob_to_ere(glob, canonical)
            if ere is None:
                return None
            eres.append(ere)
        out.extend(prefix + value for value in _chunk(eres))
    return out


def _pure_names(node: Node) -> list[str] | None:
    """The globs of a node that is only an OR of event names, else None."""
    if isinstance(node, Name):
        return [node.glob]
    if isinstance(node, Header) and node.key.lower() == "event" and node.op == "=":
        return [node.value]
    if isinstance(node, Or):
        out: list[str] = []
        for child in node.children:
            names = _pure_names(child)
            if names is None:
                return None
            out.extend(names)
        return _dedup(out)
    return None


_ERE_SPECIAL = frozenset("\\.^$|()[]{}*+?")


def _glob_to_ere(glob: str, canonical: dict[str, str]) -> str | None:
    if "[" in glob or not glob:
        return None
    if not glob.isascii() or any(c.isspace() or not c.isprintable() for c in glob):
        return None  # event names never hold these; do not guess at the server's regex
    if _is_literal(glob) and glob.lower() in canonical:
        return "".join("\\" + c if c in _ERE_SPECIAL else c for c in canonical[glob.lower()])
    out = []
    for c in glob:
        if c == "*":
            out.append("[^[:cntrl:]]*")
        elif c == "?":
            out.append("[^[:cntrl:]]")
        elif c.lower() != c.upper() and len(c.lower()) == 1 and len(c.upper()) == 1:
            out.append(f"[{c.upper()}{c.lower()}]")
        elif c in _ERE_SPECIAL:
            out.append("\\" + c)
        else:
            out.append(c)
    return "".join(out)


def _chunk(eres: list[str]) -> list[str]:
    """Alternations of `eres`, each a complete filter value of bounded length."""
    head, tail = "(^|[[:cntrl:]])Event: (", ")[[:cntrl:]]"
    values: list[str] = []
    group: list[str] = []
    size = 0
    for ere in eres:
        if group and size + len(ere) + 1 > _MAX_SERVER_FILTER - len(head) - len(tail):
            values.append(head + "|".join(group) + tail)
            group, size = [], 0
        group.append(ere)
        size += len(ere) + 1
    if group:
        values.append(head + "|".join(group) + tail)
    return values
