"""Which drop-ins systemd applies to a unit, and in what order: one home for the search rules.

systemd.unit(5) "Description" and ``src/shared/dropin.c`` (``unit_file_find_dropin_paths()``,
``unit_file_find_dirs()``), ``src/basic/conf-files.c`` (``conf_files_list_strv()``):

* For a unit ``a-b-c.service`` systemd searches, in this order (most specific first), the
  directories ``a-b-c.service.d/``, then the dashed prefixes ``a-b-.service.d/`` and
  ``a-.service.d/``; for an instance ``a-b@i.service`` also its template's (``a-b@.service.d/``,
  then ``a-.service.d/``: the prefixes are cut from the part before ``@``); last the type-wide
  ``service.d/``.  A leading dash is not a prefix (``-x.service`` searches no ``-.service.d/``).
* Every ``*.conf`` of those directories is a drop-in, except hidden files (``hidden_or_backup_file()``).
  Files with the same name: only the one in the first (most specific) directory is used; the
  others are overridden.  A drop-in that is empty or a symbolic link to ``/dev/null`` (read as
  empty, :func:`meslint.discovery.discover`) therefore masks the same-named drop-ins of the more
  generic directories.
* The drop-ins are applied sorted by file name, whichever directory they come from.

A repository holds the units of one installation directory: the directories searched are the
ones next to the unit (same parent directory), as ``systemd-analyze verify`` does for the unit
files it is given.
"""

from __future__ import annotations

from meslint.parsers.systemd_specifiers import UnitName

__all__ = ["dropin_directories", "select_dropins"]


def _name_directories(name: str) -> list[str]:
    """``name.d`` then the dashed prefixes' directories of one unit name (``unit_file_find_dirs()``)."""
    found = [name + ".d"]
    dot = name.rfind(".")
    if dot <= 0:
        return found
    suffix = name[dot:]
    prefix = UnitName.of(name).prefix
    while True:
        dash = prefix.rfind("-")
        if dash <= 0:  # no dash, or a leading one: done
            return found
        found.append(prefix[:dash + 1] + suffix + ".d")
        prefix = prefix[:dash]


def dropin_directories(unit_name: str) -> list[str]:
    """The drop-in directory names systemd searches for ``unit_name``, most specific first."""
    dot = unit_name.rfind(".")
    if dot <= 0:
        return [unit_name + ".d"]
    names = [unit_name]
    parsed = UnitName.of(unit_name)
    if parsed.instance:  # an instance also reads its template's drop-ins
        names.append(parsed.prefix + "@" + unit_name[dot:])
    directories: list[str] = []
    for name in names:
        for directory in _name_directories(name):
            if directory not in directories:
                directories.append(directory)
    directories.append(unit_name[dot + 1:] + ".d")  # type-wide: most generic, added last
    return directories


def select_dropins(unit_name: str, available: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(directory, file name) of each drop-in applied to ``unit_name``, in the order systemd applies them.

    ``available`` maps a directory name (next to the unit) to the file names of its drop-ins.
    """
    chosen: dict[str, str] = {}
    for directory in dropin_directories(unit_name):
        for name in available.get(directory, ()):
            if name.endswith(".conf") and not name.startswith("."):
                chosen.setdefault(name, directory)  # the first (most specific) directory wins
    return [(chosen[name], name) for name in sorted(chosen)]
