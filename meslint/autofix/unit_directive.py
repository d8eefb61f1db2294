"""Edits of systemd unit directives: set one's value, add a line to a section.

A setting's location runs from its key to the end of its value (continuation lines
included), so replacing that span with ``Key=value`` keeps the key as written and anything
before it on the line; a new directive goes on its own line after a given setting.
"""

from __future__ import annotations

from meslint.edits import Edit, insert_line
from meslint.facts import UnitFile, UnitSetting


def set_value(setting: UnitSetting, value: str) -> Edit:
    loc = setting.location
    return Edit(loc.path, loc.line, loc.column, loc.end_line, loc.end_column, f"{setting.key}={value}")


def add_after(setting: UnitSetting, key: str, value: str) -> Edit:
    """``Key=value`` on a new line after ``setting`` (after its continuation lines)."""
    return insert_line(setting.location.path, setting.location.end_line + 1, f"{key}={value}")


def last_in_section(unit: UnitFile, section: str) -> UnitSetting | None:
    """The last setting of ``section`` in the unit's own file (not a drop-in)."""
    found = None
    for setting in unit.settings:
        if setting.section == section and setting.location.path == unit.path:
            found = setting
    return found
