"""nginx configuration -> :class:`meslint.facts.WebConfig`: where the proxy sends requests.

Tokens come from crossplane's lexer (nginx's quoting, escapes and comments); the block
structure is built here from the text alone.  crossplane's ``parse`` is not used: it opens
files by name and follows ``include``, and the checked repository is read by discovery only.
nginx itself is never run.

Recorded: ``proxy_pass``, ``uwsgi_pass``, ``fastcgi_pass``, ``scgi_pass`` and ``grpc_pass``
with the ``location`` they serve, and each ``server`` of an ``upstream`` block with the
block's name.  ``proxy_pass http://NAME`` without a port may name an upstream block (in this
file or another one): the address is then the block's, which resolution works out.
"""

from __future__ import annotations

import io
import re

from crossplane.lexer import _lex_file_object  # type: ignore[import-untyped]

from meslint.facts import FileKind, Location, ParseProblem, WebAddress, WebConfig
from meslint.parsers.web_address import socket_address, url_address

PASS_DIRECTIVES = ("proxy_pass", "uwsgi_pass", "fastcgi_pass", "scgi_pass", "grpc_pass")
# crossplane's lexer reads one character at a time: far more than any real configuration,
# and a bound on the time a hostile file costs.
MAX_CHARS = 1_000_000
_HOST_ONLY = re.compile(r"[A-Za-z0-9_.-]+\Z")


def parse(path: str, text: str) -> WebConfig:
    """Parse an nginx configuration; never raises."""
    if len(text) > MAX_CHARS:
        return WebConfig(path, FileKind.NGINX, problems=(
            ParseProblem(Location(path, 1, 1), f"nginx configuration larger than {MAX_CHARS} characters: not read"),))
    lines = text.split("\n")
    addresses: list[WebAddress] = []
    problems: list[ParseProblem] = []
    stack: list[tuple[str, list[str]]] = []  # open blocks: directive and arguments
    words: list[tuple[str, int]] = []
    try:
        for token, line, quoted in _lex_file_object(io.StringIO(text)):
            if not quoted and token.startswith("#"):
                continue
            if quoted or token not in ("{", "}", ";"):
                words.append((token, line))
            elif token == ";":
                if words:
                    addresses.extend(_addresses(path, lines, words, stack))
                words = []
            elif token == "{":
                stack.append((words[0][0] if words else "", [w for w, _ in words[1:]]))
                words = []
            else:
                if not stack:
                    problems.append(ParseProblem(Location(path, line, 1), "unexpected \"}\""))
                else:
                    stack.pop()
                words = []
    except Exception as exc:  # the lexer on odd input: what was read so far still counts
        problems.append(ParseProblem(Location(path, 1, 1), f"nginx configuration not readable: {exc}"))
    if stack and not problems:
        problems.append(ParseProblem(Location(path, len(lines), 1), "unexpected end of file, expecting \"}\""))
    return WebConfig(path, FileKind.NGINX, tuple(addresses), tuple(problems))


def _addresses(path: str, lines: list[str], words: list[tuple[str, int]],
               stack: list[tuple[str, list[str]]]) -> list[WebAddress]:
    name, line = words[0]
    if len(words) < 2:
        return []
    raw = words[1][0]
    column = _column(lines, line, raw)
    location = Location(path, line, column, line, column + len(raw))
    if name == "server" and stack and stack[-1][0] == "upstream" and stack[-1][1]:
        return [WebAddress("server", socket_address(raw, "80"), raw, location, group=stack[-1][1][0])]
    if name not in PASS_DIRECTIVES:
        return []
    scope = next((" ".join(args) for block, args in reversed(stack) if block == "location"), "")
    address = url_address(raw) if "://" in raw else socket_address(raw)
    group = None
    host = raw.split("://", 1)[-1].split("/", 1)[0]
    if "$" not in raw and _HOST_ONLY.match(host) and not host.replace(".", "").isdigit():
        group = host  # no port: an upstream block of this name, if there is one, else a host
    return [WebAddress(name, address, raw, location, scope, group)]


def _column(lines: list[str], line: int, raw: str) -> int:
    """The argument's column on its line (the lexer gives lines only), 1 when it is not found."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    found = text.find(raw)
    return found + 1 if found >= 0 else 1
