"""The XPath subset Asterisk's XML documentation uses in its xi:include xpointers.

``xpointer(/docs/manager[@name='Originate']/syntax/parameter[@name='Channel'])``
and the like: child steps by tag or ``*``, ``text()`` and ``node()``, and the
predicates ``[@attr='value']``, ``[contains(@attr, 'value')]`` and ``[N]``.
A predicate it does not understand selects nothing rather than something
wrong. `xmldoc._Docs.resolve` caches what `select` finds.
"""

from __future__ import annotations

import re

__all__ = ["select"]


def select(root, top: list, index: dict[tuple[str, str], list], xpointer: str) -> list:
    """The elements and strings `xpointer` points to: `root` is <docs>, `top` its children,
    `index` them by (tag, name) for the first step (the one that would otherwise scan them all)."""
    expr = xpointer.strip()
    if expr.startswith("xpointer(") and expr.endswith(")"):
        expr = expr[len("xpointer("):-1]
    steps = _split_path(expr.strip().lstrip("/"))
    nodes: list = []
    if steps and _step_name(steps[0]) == "docs":
        nodes = [root]
        rest = steps[1:]
        if rest:
            tag, preds = _parse_step(rest[0])
            name = _name_pred(preds)
            if name is not None:
                nodes = list(index.get((tag, name), ()))
                nodes = _filter(nodes, preds[1:])
            else:
                nodes = _filter([c for c in top if c.tag == tag or tag == "*"], preds)
            rest = rest[1:]
        for step in rest:
            nodes = _apply_step(nodes, step)
    return nodes


def _split_path(expr: str) -> list[str]:
    steps, buf, depth, quote = [], [], 0, None
    for ch in expr:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "/" and depth == 0:
            steps.append("".join(buf))
            buf = []
            continue
        buf.append(ch)
    steps.append("".join(buf))
    return [s.strip() for s in steps if s.strip()]


def _parse_step(step: str) -> tuple[str, list[str]]:
    i = step.find("[")
    if i < 0:
        return step, []
    tag, preds, depth, quote, buf = step[:i], [], 0, None, []
    for ch in step[i:]:
        if quote:
            buf.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        if ch == "[":
            depth += 1
            if depth == 1:
                buf = []
                continue
        elif ch == "]":
            depth -= 1
            if depth == 0:
                preds.append("".join(buf).strip())
                continue
        buf.append(ch)
    return tag, preds


def _step_name(step: str) -> str:
    return _parse_step(step)[0]


_ATTR_EQ = re.compile(r"""^@([\w-]+)\s*=\s*(['"])(.*)\2$""")
_CONTAINS = re.compile(r"""^contains\(\s*@([\w-]+)\s*,\s*(['"])(.*)\2\s*\)$""")


def _name_pred(preds: list[str]) -> str | None:
    if preds:
        m = _ATTR_EQ.match(preds[0])
        if m and m.group(1) == "name":
            return m.group(3)
    return None


def _filter(nodes: list, preds: list[str]) -> list:
    for pred in preds:
        m = _ATTR_EQ.match(pred)
        if m:
            nodes = [n for n in nodes if n.get(m.group(1)) == m.group(3)]
            continue
        m = _CONTAINS.match(pred)
        if m:
            nodes = [n for n in nodes if m.group(3) in (n.get(m.group(1)) or "")]
            continue
        if pred.isdigit():
            k = int(pred)
            nodes = [nodes[k - 1]] if 0 < k <= len(nodes) else []
            continue
        return []  # not understood: select nothing rather than something wrong
    return nodes


def _apply_step(nodes: list, step: str) -> list:
    tag, preds = _parse_step(step)
    out: list = []
    for node in nodes:
        if isinstance(node, str):
            continue
        if tag == "text()":
            if node.text:
                out.append(node.text)
            out.extend(c.tail for c in node if c.tail)
        elif tag == "node()":
            if node.text:
                out.append(node.text)
            for c in node:
                out.append(c)
                if c.tail:
                    out.append(c.tail)
        else:
            out.extend(_filter([c for c in node if c.tag == tag or tag == "*"], preds))
    return out

