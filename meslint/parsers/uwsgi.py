"""uwsgi ini file -> :class:`meslint.facts.WebConfig`: what the server listens on.

configparser reads the ``[uwsgi]`` section (the one ``uwsgi --ini FILE`` loads) with
interpolation off, ``=`` as the only delimiter, ``;`` and ``#`` comment lines and no inline
comments, as uwsgi does.  uwsgi takes a repeated key as one more socket; configparser keeps
the last, and so does this reader (its line is the last one that sets the key).  A value
with uwsgi's ``%(...)`` or ``$(...)`` expansion is not static.
"""

from __future__ import annotations

import configparser
import re

from meslint.facts import FileKind, Location, ParseProblem, WebAddress, WebConfig
from meslint.parsers.web_address import UWSGI_LISTEN_OPTIONS, socket_address

SECTION = "uwsgi"
# The options that make uwsgi listen, in the spelling a pack names them (`uwsgi: socket`).
LISTEN_OPTIONS = UWSGI_LISTEN_OPTIONS


def parse(path: str, text: str) -> WebConfig:
    """Parse a uwsgi ini file; never raises."""
    parser = configparser.ConfigParser(interpolation=None, strict=False, delimiters=("=",),
                                       comment_prefixes=("#", ";"), inline_comment_prefixes=None,
                                       empty_lines_in_values=False, default_section="\0none")
    try:
        parser.read_string(text, source=path)
    except configparser.Error as exc:
        line = getattr(exc, "lineno", None) or 1
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return WebConfig(path, FileKind.UWSGI, problems=(ParseProblem(Location(path, line, 1),
                                                                      f"ini not parsable: {first[:200]}"),))
    if not parser.has_section(SECTION):
        return WebConfig(path, FileKind.UWSGI)
    lines = _key_lines(text)
    addresses = []
    for option in LISTEN_OPTIONS:
        raw = parser.get(SECTION, option, fallback=None)
        if raw is None:
            continue
        line, column = lines.get(option, (1, 1))
        first = raw.split(",", 1)[0] if option == "https" else raw  # https = addr,cert,key
        address = socket_address(first) if "$(" not in first else None
        addresses.append(WebAddress(option, address, raw, Location(path, line, column, line, column + len(raw))))
    return WebConfig(path, FileKind.UWSGI, tuple(addresses))


_SECTION_LINE = re.compile(r"\s*\[([^\]]*)\]")
_KEY_LINE = re.compile(r"\s*([^=#;\s][^=]*?)\s*=\s*(.*)$")


def _key_lines(text: str) -> dict[str, tuple[int, int]]:
    """The line and value column of the last assignment of each key of the uwsgi section."""
    found: dict[str, tuple[int, int]] = {}
    section = None
    for number, line in enumerate(text.split("\n"), 1):
        header = _SECTION_LINE.match(line)
        if header:
            section = header.group(1).strip()
            continue
        match = _KEY_LINE.match(line)
        if match and section == SECTION:
            found[match.group(1).lower()] = (number, match.start(2) + 1)
    return found
