"""Which drop-ins systemd applies to a unit, and in what order: one home for the search rules.

systemd.unit(5) "Description" and ``src/shared/dropin.c`` (``unit_file_find_dropin_paths()``,
``unit_file_find_dirs()``), ``src/basic/conf-files.c`` (``conf_files_list_strv()``):

* For a unit ``a-b-c.service`` systemd searches, in this order (most specific first), the
  directories ``a-b-c.service.d/``, then the dashed prefixes ``a-b-.service.d/`` and
  ``a-.service.d/``; last the type-wide ``service.d/``.  An instance ``a-b@i.service`` reads
  ``a-b@i.service.d/``, its template's ``a-b@.service.d/`` and the template's prefixes
  (``a-.service.d/``), then its own prefixes, which keep the instance (``a-@i.service.d/``, then
  that one's template ``a-@.service.d/``).  A leading dash is not a prefix (``-x.service``
  searches no ``-.service.d/``).
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


def _find_directories(name: str, suffix: str, found: list[str]) -> None:
    """``unit_file_find_dirs()``: ``name.d``; for an instance its template's directories; then the
    directories of the nearest dashed prefix (recursively, so every prefix, most specific first)."""
    if name + ".d" not in found:
        found.append(name + ".d")
    parsed = UnitName.of(name)
    if parsed.instance:  # an instance also reads its template's drop-ins (and their prefixes)
        _find_directories(parsed.prefix + "@" + suffix, suffix, found)
    prefix = parsed.prefix
    chopped = False
    while True:
        dash = prefix.rfind("-")
        if dash <= 0:  # no dash, or a leading one: done
            return
        if dash + 1 < len(prefix) or chopped:
            prefix = prefix[:dash + 1]
            break
        prefix, chopped = prefix[:dash], True  # a trailing dash (this is a prefix already): cut it once
    # An instance's prefix keeps the instance: a-b@i.service searches a-@i.service.d/ (then a-@.service.d/).
    built = prefix + ("@" + parsed.instance if parsed.instance else "") + suffix
    _find_directories(built, suffix, found)


def dropin_directories(unit_name: str) -> list[str]:
    """The drop-in directory names systemd searches for ``unit_name``, most specific first."""
    dot = unit_name.rfind(".")
    if dot <= 0:
        return [unit_name + ".d"]
    directories: list[str] = []
    _find_directories(unit_name, unit_name[dot:], directories)
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
