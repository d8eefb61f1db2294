"""Apache httpd configuration -> :class:`meslint.facts.WebConfig`: where mod_proxy sends requests.

Read the way httpd reads it (``ap_cfg_getline`` and ``ap_getword_conf``): a ``\\`` at the end
of a line joins the next one; a line whose first non-blank character is ``#`` is a comment
(there are no comments after a directive); words are separated by blanks, and a word that
starts with ``"`` or ``'`` runs to the matching quote, ``\\"`` standing for the quote itself.
Sections (``<VirtualHost *:443>`` ... ``</VirtualHost>``) nest.

Recorded: ``ProxyPass``/``ProxyPassMatch``/``ProxyPassReverse`` (``PATH URL``, or just ``URL``
inside a ``<Location>``, whose path it serves; ``!`` excludes a path and is no address) and
``BalancerMember URL`` of a ``<Proxy balancer://NAME>`` section.  A ``balancer://NAME`` URL
names that balancer's members, which resolution looks up.
"""

from __future__ import annotations

from meslint import safe_io
from meslint.facts import FileKind, Location, ParseProblem, WebAddress, WebConfig
from meslint.parsers.web_address import url_address

PROXY_DIRECTIVES = {"proxypass": "ProxyPass", "proxypassmatch": "ProxyPassMatch",
                    "proxypassreverse": "ProxyPassReverse"}
_LOCATION_SECTIONS = {"location", "locationmatch"}


def parse(path: str, text: str) -> WebConfig:
    """Parse an Apache configuration; never raises."""
    addresses: list[WebAddress] = []
    problems: list[ParseProblem] = []
    stack: list[tuple[str, list[str]]] = []  # open sections, lower-cased name and arguments
    for line, column, logical in _logical_lines(text):
        stripped = logical.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("</"):
            name = stripped[2:].rstrip(">").strip().lower()
            if not stack or stack[-1][0] != name:
                problems.append(ParseProblem(Location(path, line, column),
                                             f"unexpected closing section {safe_io.shown(name)}"))
            else:
                stack.pop()
            continue
        if stripped.startswith("<"):
            inner = stripped[1:].rstrip()
            inner = inner[:-1] if inner.endswith(">") else inner
            words = split_words(inner)
            if words:
                stack.append((words[0].lower(), words[1:]))
            continue
        words = split_words(stripped)
        directive = words[0].lower() if words else ""
        if directive in PROXY_DIRECTIVES:
            addresses.extend(_proxy(path, line, logical, PROXY_DIRECTIVES[directive], words[1:], stack))
        elif directive == "balancermember":
            addresses.extend(_member(path, line, logical, words[1:], stack))
    if stack:
        problems.append(ParseProblem(Location(path, text.count("\n") + 1, 1),
                                     f"section {safe_io.shown(stack[-1][0])} not closed"))
    return WebConfig(path, FileKind.APACHE, tuple(addresses), tuple(problems))


def _proxy(path: str, line: int, text: str, directive: str, args: list[str],
           stack: list[tuple[str, list[str]]]) -> list[WebAddress]:
    in_location = next((a for name, a in reversed(stack) if name in _LOCATION_SECTIONS), None)
    if in_location is not None:
        scope, url = " ".join(in_location), (args[0] if args else "")
    else:
        scope, url = (args[0] if args else ""), (args[1] if len(args) > 1 else "")
    if not url or url == "!":
        return []
    return [_address(path, line, text, directive, url, scope)]


def _member(path: str, line: int, text: str, args: list[str],
            stack: list[tuple[str, list[str]]]) -> list[WebAddress]:
    section = next((a for name, a in reversed(stack) if name == "proxy"), None)
    if section:  # <Proxy balancer://name> BalancerMember URL
        balancer, url = section[0], (args[0] if args else "")
    else:  # BalancerMember balancer://name URL
        balancer, url = (args[0] if args else ""), (args[1] if len(args) > 1 else "")
    if not url or not balancer.lower().startswith("balancer://"):
        return []
    found = _address(path, line, text, "BalancerMember", url, "")
    name = balancer[len("balancer://"):].strip("/").lower()
    return [WebAddress(found.directive, found.address, found.raw, found.location, group=name)]


def _address(path: str, line: int, text: str, directive: str, url: str, scope: str) -> WebAddress:
    column = text.find(url) + 1 or 1
    location = Location(path, line, column, line, column + len(url))
    if url.lower().startswith("balancer://"):
        name = url[len("balancer://"):].split("/", 1)[0].lower()
        return WebAddress(directive, None, url, location, scope, group=name)
    return WebAddress(directive, url_address(url), url, location, scope)


def _logical_lines(text: str):
    """(line, column, text) of each logical line: a trailing backslash joins the next physical line."""
    physical = text.split("\n")
    index = 0
    while index < len(physical):
        start = index
        parts = [physical[index]]
        while parts[-1].endswith("\\") and index + 1 < len(physical):
            parts[-1] = parts[-1][:-1]
            index += 1
            parts.append(physical[index])
        index += 1
        joined = "".join(parts)
        yield start + 1, len(joined) - len(joined.lstrip()) + 1, joined


def split_words(text: str) -> list[str]:
    """httpd's ``ap_getword_conf`` over a whole line."""
    words: list[str] = []
    position, end = 0, len(text)
    while position < end:
        while position < end and text[position].isspace():
            position += 1
        if position >= end:
            break
        quote = text[position]
        if quote in "\"'":
            position += 1
            word: list[str] = []
            while position < end and text[position] != quote:
                if text[position] == "\\" and position + 1 < end and text[position + 1] == quote:
                    position += 1
                word.append(text[position])
                position += 1
            position += 1  # the closing quote (or the end of an unterminated word)
            words.append("".join(word))
        else:
            start = position
            while position < end and not text[position].isspace():
                position += 1
            words.append(text[start:position])
    return words
