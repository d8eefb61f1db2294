"""What compose does with a value when it loads a project (:mod:`meslint.parsers.compose` keeps values
as written): ``${VAR}`` interpolation, the short syntax of ``ports`` and ``volumes``.

Plain strings, no YAML: :mod:`meslint.container_runtime` and :mod:`meslint.compose_merge` read facts
taken from the fact cache with these, and a run that parses no compose file never imports PyYAML.
"""

from __future__ import annotations

import re

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BRACED = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>.*))?", re.S)


def interpolate(value: str, env: dict[str, str]) -> tuple[str | None, tuple[str, ...]]:
    """Compose's interpolation of one value and the variables it used (None: the load fails).

    ``$$`` is a literal ``$``; ``${X:-d}`` (unset or empty) and ``${X-d}`` (unset) default;
    ``${X:?e}``/``${X?e}`` fail the load when unset (or empty); ``${X:+r}``/``${X+r}`` replace when
    set (and non-empty); an unknown ``$X`` becomes empty, as compose does (with a warning).
    Defaults nest (``${A:-${B}}``) and are interpolated too.
    """
    used: list[str] = []
    out: list[str] = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch != "$" or i + 1 >= len(value):
            out.append(ch)
            i += 1
            continue
        nxt = value[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
            continue
        if nxt != "{":
            match = _NAME.match(value, i + 1)
            if match is None:
                out.append("$")
                i += 1
                continue
            used.append(match.group(0))
            out.append(env.get(match.group(0), ""))
            i = match.end()
            continue
        close = _closing_brace(value, i + 2)
        braced = _BRACED.fullmatch(value[i + 2:close]) if close >= 0 else None
        if braced is None:
            return None, tuple(used)  # compose: "invalid interpolation format"
        i = close + 1
        name, op, argument = braced.group("name"), braced.group("op"), braced.group("arg") or ""
        used.append(name)
        current = env.get(name)
        empty = current is None or (op is not None and op.startswith(":") and current == "")
        if op is None or (op.endswith("-") and not empty):
            out.append(current or "")
        elif op.endswith("-") or (op.endswith("+") and not empty):
            inner, inner_used = interpolate(argument, env)
            used.extend(inner_used)
            if inner is None:
                return None, tuple(used)
            out.append(inner)
        elif op.endswith("?"):
            if empty:
                return None, tuple(used)
            out.append(current or "")
    return "".join(out), tuple(used)


def _closing_brace(value: str, start: int) -> int:
    depth = 1
    for index in range(start, len(value)):
        if value[index] == "{" and value[index - 1] == "$":
            depth += 1
        elif value[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    return -1


def port_mapping(text: str) -> tuple[str | None, str | None, str | None, str]:
    """Compose's short port syntax -> (host ip, published, target, protocol).

    ``"8080"``, ``"8080:80"``, ``"127.0.0.1:8080:80"``, ``"[::1]:8080:80"``, ``"8080-8081:80-81/udp"``;
    the target is what the container listens on.  None parts are absent (a bare target publishes
    on a random host port).
    """
    body, _, protocol = text.strip().partition("/")
    host_ip = None
    if body.startswith("["):
        close = body.find("]")
        host_ip, body = body[1:close], body[close + 2:]
    parts = body.rsplit(":", 2)
    if len(parts) == 3:
        host_ip, published, target = parts
    elif len(parts) == 2:
        published, target = parts
    else:
        published, target = None, parts[0]
    return host_ip or None, published or None, target or None, protocol or "tcp"


def volume_mapping(text: str) -> tuple[str | None, str, bool]:
    """Compose's short volume syntax -> (source, target, read only): ``src:dst[:ro]`` or an anonymous ``dst``."""
    parts = text.split(":")
    if len(parts) == 1:
        return None, parts[0], False
    if len(parts) >= 3 and parts[-1] and "/" not in parts[-1]:
        return ":".join(parts[:-2]), parts[-2], "ro" in parts[-1].split(",")
    return ":".join(parts[:-1]), parts[-1], False
