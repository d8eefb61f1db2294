"""Where a JavaScript/TypeScript API client retries requests, on what, and whether it reads Retry-After (gate 5).

A retry is a loop whose body awaits something and can go round again after a failure (a
``continue`` or a ``try``), a function that calls itself, or an option object's
``retry``/``retries``/``retryOn``/``retryCondition``/``shouldRetry`` member.  For each, the
enclosing function's text (the option object's, for an option) says what it retries on: the
status ``503``, a ``>= 500`` comparison, or the degraded error codes; and whether it honours
``Retry-After`` (the header, or a ``retryAfter``/``retry_after`` value).  Plain data, stored in
the JS file's :class:`meslint.facts.DataDoc` under ``retries``.
"""

from __future__ import annotations

import re

_FUNCTIONS = {"function_declaration", "function_expression", "arrow_function", "method_definition",
              "generator_function_declaration", "function"}
_LOOPS = {"for_statement", "for_in_statement", "while_statement", "do_statement"}
_OPTIONS = {"retry", "retries", "retryOn", "retryCondition", "shouldRetry", "retryDelay"}
_DEGRADED = re.compile(r"\b503\b|>=?\s*500\b|DB_POOL_EXHAUSTED|CIRCUIT_BREAKER_OPEN|SERVICE_UNAVAILABLE")
_RETRY_AFTER = re.compile(r"retry[-_]?after", re.IGNORECASE)
# A site is kept only where the text of its scope -- a part of the file -- matches _DEGRADED.  This
# looser pattern (no word boundaries, which a part's edges could add) matches the whole file wherever
# some part of it could match _DEGRADED: a file without it has no site, and its tree is not walked
# (most of a frontend: on the MES Dashboard no file of the 27 read has one).
_MAY_BE_DEGRADED = re.compile(r"503|>=?\s*500|DB_POOL_EXHAUSTED|CIRCUIT_BREAKER_OPEN|SERVICE_UNAVAILABLE")
_MAX_NODES = 500_000
# Nested loops would each walk what they enclose, and every site reads its function's text: both are
# capped so that a hostile file costs a bounded multiple of its size.
_MAX_LOOP_NODES = 200_000  # for all the loops of a file together
_MAX_SITES = 200


def retry_sites(root, source: bytes) -> list[dict[str, object]]:
    if _MAY_BE_DEGRADED.search(source.decode("utf-8", "replace")) is None:
        return []

    def text(node) -> str:
        return source[node.start_byte:node.end_byte].decode("utf-8", "replace")

    found: list[dict[str, object]] = []
    stack = [(root, None)]
    visited = 0
    option_objects: set[int] = set()  # one site per option object, however many retry members it has
    loop_budget = [_MAX_LOOP_NODES]
    while stack and visited < _MAX_NODES and len(found) < _MAX_SITES:
        node, function = stack.pop()
        visited += 1
        kind = None
        if node.type in _LOOPS and function is not None and _retries_in_loop(node, loop_budget):
            kind, scope = "loop", function
        elif node.type == "call_expression" and function is not None and _calls_itself(node, function, text):
            kind, scope = "recursion", function
        elif (node.type == "pair" and _key(node, text) in _OPTIONS and node.parent is not None
              and node.parent.start_byte not in option_objects):
            kind, scope = "option", node.parent
            option_objects.add(node.parent.start_byte)
        if kind is not None:
            body = text(scope)
            match = _DEGRADED.search(body)
            if match is not None:
                found.append({"line": node.start_point[0] + 1, "kind": kind, "on": match.group(0),
                              "function": _name(function, text) if function is not None else "",
                              "retry_after": bool(_RETRY_AFTER.search(body))})
        inner = node if node.type in _FUNCTIONS else function
        stack.extend((child, inner) for child in reversed(node.named_children))
    found.sort(key=lambda site: (site["line"], site["kind"]))
    return found


def _retries_in_loop(loop, budget: list[int]) -> bool:
    """The loop awaits something and goes round again after a failure (continue, or a try inside)."""
    kinds: set[str] = set()
    stack = list(loop.named_children)
    while stack and budget[0] > 0:
        budget[0] -= 1
        node = stack.pop()
        if node.type in _FUNCTIONS:
            continue
        kinds.add(node.type)
        stack.extend(node.named_children)
    return "await_expression" in kinds and bool(kinds & {"continue_statement", "try_statement"})


def _name(function, text) -> str:
    name = function.child_by_field_name("name")
    if name is None and function.parent is not None and function.parent.type == "variable_declarator":
        name = function.parent.child_by_field_name("name")
    return text(name) if name is not None else ""


def _calls_itself(call, function, text) -> bool:
    callee = call.child_by_field_name("function")
    name = _name(function, text)
    return bool(name) and callee is not None and text(callee) in (name, f"this.{name}")


def _key(pair, text) -> str:
    key = pair.child_by_field_name("key")
    return text(key).strip("'\"`") if key is not None else ""
