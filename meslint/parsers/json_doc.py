"""JSON documents the pack names (the shared field contract file) -> :class:`meslint.facts.DataDoc`.

``data`` is what ``json.loads`` returns.  ``key_lines`` maps paths to 1-based lines: object members
as ``a.b``, array elements as ``a.b[3]`` (``job_query.export[2].api_key``), every occurrence in
document order (a key given twice in one object is there twice; ``line_of`` finds the first).
They come from one linear scan of the tokens, so they cost the file's length whatever its nesting.

Never raises: invalid JSON is a :class:`ParseProblem` at the decoder's line and column; nesting
deeper than Python's recursion allows is one too.
"""

from __future__ import annotations

import json
import re

from meslint.facts import DataDoc, FileKind, Location, ParseProblem

_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+')
_MAX_KEY_LINES = 50_000


def parse(path: str, text: str) -> DataDoc:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problem = ParseProblem(Location(path, exc.lineno, exc.colno), f"JSON not parsable: {exc.msg}")
        return DataDoc(path, FileKind.JSON, problems=(problem,))
    except RecursionError:
        problem = ParseProblem(Location(path, 1, 1), "JSON not parsable: nested too deeply")
        return DataDoc(path, FileKind.JSON, problems=(problem,))
    return DataDoc(path, FileKind.JSON, data=data, key_lines=key_lines(text))


def key_lines(text: str) -> tuple[tuple[str, int], ...]:
    """``(path, line)`` of each member and element of valid JSON ``text``."""
    found: list[tuple[str, int]] = []
    # Frames: [is_object, path, index or key path of the current member, expecting a key].
    stack: list[list] = []
    line, scanned = 1, 0
    for match in _TOKEN.finditer(text):
        if len(found) >= _MAX_KEY_LINES:
            break
        line += text.count("\n", scanned, match.start())
        scanned = match.start()
        token = match.group()
        frame = stack[-1] if stack else None
        if frame is not None and frame[0] and frame[3] and token.startswith('"'):
            key = json.loads(token)
            frame[2] = f"{frame[1]}.{key}" if frame[1] else key
            frame[3] = False
            found.append((frame[2], line))
            continue
        if token == ",":
            if frame is not None and frame[0]:
                frame[3] = True
            elif frame is not None:
                frame[2] += 1
            continue
        if token == ":":
            continue
        if token in "}]":
            stack.pop()
            continue
        # A value starts: its path is the member's or the element's.
        if frame is None:
            here = ""
        elif frame[0]:
            here = frame[2]
        else:
            here = f"{frame[1]}[{frame[2]}]"
            found.append((here, line))
        if token == "{":
            stack.append([True, here, "", True])
        elif token == "[":
            stack.append([False, here, 0, False])
    return tuple(found)
