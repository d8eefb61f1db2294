"""Specifiers -- :func:`expand_specifiers`.

``unit_full_printf_full()`` (``src/core/unit-printf.c``) + ``specifier_printf()``
(``src/shared/specifier.c``), system manager values.  ``%%`` -> ``%``; ``%`` followed
by a non-alphanumeric character, and a trailing ``%``, are kept verbatim; an
unknown *alphanumeric* specifier is an error in systemd (``-EBADSLT``):
:func:`expand_specifiers` keeps it verbatim and :func:`meslint.parsers.systemd.parse` reports it.
Like systemd, the parser then drops the ``Environment=`` word or ``EnvironmentFile=``
value; an Exec command is kept (with the literal ``%X``) so that checks still see
it, although systemd refuses to load a unit with such a command (unless ``-``).  Specifiers whose value depends on
the host or on where the unit is installed (``%H %b %m %v %a %o %y %Y`` ...) are
kept verbatim without a problem.
"""

from __future__ import annotations

from collections.abc import Callable

from meslint.parsers.systemd_words import hex_value
from meslint.records import record

# System manager values of the fixed specifiers (systemd.unit(5) "Specifiers").
_FIXED_SPECIFIERS = {
    "C": "/var/cache",
    "D": "/usr/share",
    "E": "/etc",
    "L": "/var/log",
    "S": "/var/lib",
    "t": "/run",
    "T": "/tmp",
    "V": "/var/tmp",
    "h": "/root",
    "s": "/bin/sh",
    "u": "root",
    "U": "0",
    "g": "root",
    "G": "0",
}
# Valid specifiers whose value is only known on the running host or after install.
_HOST_SPECIFIERS = frozenset("aAbBHlqmMovwWcrRyY")


@record(slots=True)
class UnitName:
    full: str
    prefix: str
    instance: str | None
    prefix_and_instance: str

    @classmethod
    def of(cls, name: str) -> UnitName:
        dot = name.rfind(".")
        stem = name[:dot] if dot > 0 else name
        prefix, at, instance = stem.partition("@")
        return cls(name, prefix, instance if at else None, stem)


def _unit_unescape(text: str) -> str:
    """``unit_name_unescape()``: ``-`` -> ``/``, ``\\xNN`` -> the byte."""
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c == "-":
            out += b"/"
        elif (c == "\\" and text[i + 1:i + 2] == "x"
              and hex_value(text[i + 2:i + 3]) >= 0 and hex_value(text[i + 3:i + 4]) >= 0):
            out.append(int(text[i + 2:i + 4], 16))
            i += 3
        else:
            out += c.encode("utf-8", "surrogateescape")
        i += 1
    return out.decode("utf-8", "surrogateescape")


def _path_unescape(text: str) -> str:
    """``unit_name_path_unescape()``: the unescaped name as an absolute path."""
    unescaped = _unit_unescape(text)
    return unescaped if unescaped.startswith("/") else "/" + unescaped


def _name_specifier(spec: str, unit: UnitName) -> str | None:
    last = unit.prefix.rsplit("-", 1)[-1]
    table: dict[str, Callable[[], str]] = {
        "n": lambda: unit.full,
        "N": lambda: unit.prefix_and_instance,
        "p": lambda: unit.prefix,
        "P": lambda: _unit_unescape(unit.prefix),
        "i": lambda: unit.instance or "",
        "I": lambda: _unit_unescape(unit.instance or ""),
        "j": lambda: last,
        "J": lambda: _unit_unescape(last),
        "f": lambda: _path_unescape(unit.instance if unit.instance else unit.prefix),
        "d": lambda: f"/run/credentials/{unit.full}",
    }
    getter = table.get(spec)
    return getter() if getter else None


def expand(value: str, unit: UnitName) -> tuple[str, list[str]]:
    """Expand specifiers; returns the text and the unknown specifiers met."""
    if "%" not in value:
        return value, []
    out: list[str] = []
    unknown: list[str] = []
    i, n = 0, len(value)
    while i < n:
        c = value[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        if i + 1 >= n:
            out.append("%")  # a stray trailing % stays
            break
        spec = value[i + 1]
        i += 2
        if spec == "%":
            out.append("%")
        elif spec in _FIXED_SPECIFIERS:
            out.append(_FIXED_SPECIFIERS[spec])
        elif (named := _name_specifier(spec, unit)) is not None:
            out.append(named)
        elif spec in _HOST_SPECIFIERS or not (spec.isascii() and spec.isalnum()):
            out.append("%" + spec)
        else:
            out.append("%" + spec)
            unknown.append("%" + spec)
    return "".join(out), unknown


def expand_specifiers(value: str, unit_name: str) -> str:
    """Expand systemd specifiers (``%n``, ``%t``, ``%h``...) as the system manager would."""
    return expand(value, UnitName.of(unit_name))[0]
