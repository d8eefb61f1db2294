"""The file-system view a unit's processes get under systemd's sandboxing (systemd.exec(5)).

Part of the systemd semantics (:mod:`meslint.systemd_semantics` holds the rest); it reads the
effective unit, drop-ins applied.

Only what decides whether a path is *writable* is modelled, from the man page and
``src/core/namespace.c``:

* ``ProtectSystem=yes|true|1|on`` mounts ``/usr``, ``/boot`` and ``/efi`` read-only;
  ``full`` adds ``/etc``; ``strict`` mounts the whole hierarchy read-only except the
  API file systems ``/dev``, ``/proc``, ``/sys`` (and ``/home``, ``/root``,
  ``/run/user``, which ``ProtectHome=`` governs).  ``DynamicUser=yes`` implies
  ``ProtectSystem=strict``, ``ProtectHome=read-only`` and ``PrivateTmp=yes``.
* ``ReadWritePaths=`` / ``ReadOnlyPaths=`` / ``InaccessiblePaths=`` (and the old
  ``*Directories=`` names): space-separated, quotable lists; an empty assignment resets
  the list; ``-`` (ignore when missing) and ``+`` (relative to ``RootDirectory=``)
  prefixes.  Nesting: the most specific path wins (``ReadWritePaths=/a/b`` inside
  ``ReadOnlyPaths=/a`` is writable and vice versa); at the same path read-only beats
  read-write; nothing nests inside an inaccessible path.
* ``RuntimeDirectory=``, ``StateDirectory=``, ``CacheDirectory=``, ``LogsDirectory=``
  create ``/run/<n>``, ``/var/lib/<n>``, ``/var/cache/<n>``, ``/var/log/<n>`` and imply
  ``BindPaths=`` for them: writable even under ``strict`` (``name:link`` also makes
  ``link`` a symlink to it, followed here as a writable path).
* ``PrivateTmp=yes`` gives the unit its own writable ``/tmp`` and ``/var/tmp``: files
  there are invisible to every other unit (and removed when the unit stops).
* ``BindPaths=`` (writable) / ``BindReadOnlyPaths=`` (read-only) at their destination,
  ``TemporaryFileSystem=`` (a private tmpfs, read-only with ``:ro``).

Not modelled: file ownership and modes, ``RootDirectory=``/``RootImage=`` (paths are
taken as the process sees them), mounts made on the host after the unit started.
"""

from __future__ import annotations

import posixpath

from meslint.facts import Location, UnitFile, UnitSetting
from meslint.records import record
from meslint.systemd_semantics import parse_bool

RW = "read-write"
RO = "read-only"
NONE = "inaccessible"

# Same-path precedence (namespace.c sorts equal paths by mount mode): inaccessible first,
# then private tmp / bind mounts (exec directories), then read-only, then read-write.
_RANK = {NONE: 0, "bind": 1, RO: 2, RW: 3}

_EXEC_DIRS = {
    "RuntimeDirectory": "/run",
    "StateDirectory": "/var/lib",
    "CacheDirectory": "/var/cache",
    "LogsDirectory": "/var/log",
}


@record
class MountRule:
    path: str
    mode: str  # RW | RO | NONE
    origin: str  # e.g. "ProtectSystem=strict", "ReadWritePaths=/run/x"
    location: Location | None
    rank: int = 3
    private: bool = False  # a namespace of its own (PrivateTmp=, TemporaryFileSystem=)


@record
class Access:
    path: str
    mode: str
    rule: MountRule | None  # the rule that decides; None: no sandbox rule covers the path

    @property
    def writable(self) -> bool:
        return self.mode == RW

    @property
    def private(self) -> bool:
        return self.rule is not None and self.rule.private


@record
class Sandbox:
    unit: str
    protect_system: str  # no | yes | full | strict
    protect_system_location: Location | None
    private_tmp: bool
    private_tmp_location: Location | None
    rules: tuple[MountRule, ...]

    def access(self, path: str) -> Access:
        """How the unit's processes may use ``path`` (absolute, normalised)."""
        path = _norm(path)
        covering = [r for r in self.rules if _under(path, r.path)]
        blocked = [r for r in covering if r.mode == NONE]
        if blocked:
            # Nothing can be nested inside an inaccessible path.
            return Access(path, NONE, min(blocked, key=lambda r: len(r.path)))
        if not covering:
            return Access(path, RW, None)
        best = max(covering, key=lambda r: (len(r.path), -r.rank))
        return Access(path, best.mode, best)

    def writable_roots(self) -> list[str]:
        """The directives that make paths writable (not the API file systems), for messages."""
        roots: dict[str, None] = {}
        for rule in self.rules:
            if rule.mode == RW and rule.rank < 4:
                roots.setdefault(rule.path + (" (private)" if rule.private else ""), None)
        return list(roots)


def _norm(path: str) -> str:
    normalized = posixpath.normpath("/" + path.lstrip("/"))
    return "/" + normalized.lstrip("/")


def _under(path: str, root: str) -> bool:
    return root == "/" or path == root or path.startswith(root.rstrip("/") + "/")


def _last(unit: UnitFile, key: str) -> UnitSetting | None:
    return unit.get("Service", key)


def _words(setting: UnitSetting) -> tuple[str, ...]:
    # Split and specifier-expanded by the parser (every key this module reads is in PATH_LIST_KEYS).
    return setting.words or ()


def _strip_prefixes(word: str) -> tuple[str, bool]:
    optional = False
    while word[:1] in ("-", "+"):
        optional = optional or word[0] == "-"
        word = word[1:]
    return word, optional


def sandbox_of(unit: UnitFile) -> Sandbox:
    rules: list[MountRule] = []
    protect = _last(unit, "ProtectSystem")
    level = "no"
    if protect is not None:
        value = protect.value.strip().lower()
        if value in ("full", "strict"):
            level = value
        elif parse_bool(value):
            level = "yes"
    dynamic = _last(unit, "DynamicUser")
    dynamic_user = dynamic is not None and bool(parse_bool(dynamic.value))
    dynamic_location = dynamic.location if dynamic is not None else None
    protect_location = protect.location if protect is not None else None
    origin = f"ProtectSystem={protect.value}" if protect is not None else ""
    if dynamic_user and level != "strict":
        # systemd.exec(5): DynamicUser= implies ProtectSystem=strict.
        level, protect_location = "strict", dynamic_location
        origin = "DynamicUser=yes (implies ProtectSystem=strict)"
    if level == "strict":
        rules.append(MountRule("/", RO, origin, protect_location, _RANK[RO]))
        for api in ("/dev", "/proc", "/sys", "/home", "/root", "/run/user"):
            rules.append(MountRule(api, RW, f"{origin} leaves {api} writable", protect_location, 4))
    elif level in ("yes", "full"):
        for ro in ("/usr", "/boot", "/efi") + (("/etc",) if level == "full" else ()):
            rules.append(MountRule(ro, RO, origin, protect_location, _RANK[RO]))

    home = _last(unit, "ProtectHome")
    home_mode = None
    if home is not None:
        value = home.value.strip().lower()
        if value in ("read-only", "tmpfs"):
            home_mode = RO
        elif parse_bool(value):
            home_mode = NONE
    elif dynamic_user:
        home_mode = RO
    if home_mode is not None:
        for hidden in ("/home", "/root", "/run/user"):
            rules.append(MountRule(hidden, home_mode, f"ProtectHome={home.value if home else 'read-only'}",
                                   home.location if home else dynamic_location, _RANK[home_mode]))

    for keys, mode in ((("ReadWritePaths", "ReadWriteDirectories"), RW),
                       (("ReadOnlyPaths", "ReadOnlyDirectories"), RO),
                       (("InaccessiblePaths", "InaccessibleDirectories"), NONE)):
        for setting in _list_settings(unit, keys):
            for word in _words(setting):
                path, optional = _strip_prefixes(word)
                if not path.startswith("/"):
                    continue
                label = f"{setting.key}={word}" + (" (ignored if missing)" if optional else "")
                rules.append(MountRule(_norm(path), mode, label, setting.location, _RANK[mode]))

    for key, base in _EXEC_DIRS.items():
        for setting in unit.get_all("Service", key):
            for word in _words(setting):
                name, _, link = word.partition(":")
                if not name or name.startswith("/"):
                    continue
                target = _norm(posixpath.join(base, name))
                rules.append(MountRule(target, RW, f"{key}={name} ({target})", setting.location, _RANK["bind"]))
                if link:
                    linked = _norm(posixpath.join(base, link))
                    rules.append(MountRule(linked, RW, f"{key}={word} ({linked} -> {target})", setting.location,
                                           _RANK["bind"]))

    for key, mode in (("BindPaths", RW), ("BindReadOnlyPaths", RO)):
        for setting in unit.get_all("Service", key):
            for word in _words(setting):
                spec, _ = _strip_prefixes(word)
                parts = spec.split(":")
                dest = parts[1] if len(parts) > 1 and parts[1].startswith("/") else parts[0]
                if dest.startswith("/"):
                    rules.append(MountRule(_norm(dest), mode, f"{key}={word}", setting.location, _RANK["bind"]))

    for setting in unit.get_all("Service", "TemporaryFileSystem"):
        for word in _words(setting):
            path, _, options = word.partition(":")
            if path.startswith("/"):
                mode = RO if "ro" in options.split(",") else RW
                rules.append(MountRule(_norm(path), mode, f"TemporaryFileSystem={word}", setting.location,
                                       _RANK["bind"], private=True))

    private = _last(unit, "PrivateTmp")
    private_tmp = private is not None and (bool(parse_bool(private.value))
                                           or private.value.strip().lower() == "disconnected")
    private_location = private.location if private is not None else None
    if dynamic_user and private is None:
        private_tmp, private_location = True, dynamic_location
    if private_tmp:
        label = "PrivateTmp=" + (private.value if private is not None else "yes (implied by DynamicUser=)")
        for tmp in ("/tmp", "/var/tmp"):
            rules.append(MountRule(tmp, RW, f"{label}: a private {tmp}", private_location, _RANK["bind"],
                                   private=True))
    return Sandbox(unit.path, level, protect_location, private_tmp, private_location, tuple(rules))


def _list_settings(unit: UnitFile, keys: tuple[str, ...]) -> list[UnitSetting]:
    """A list-valued key with its alias: assignments in file order, an empty one resets both."""
    values: list[UnitSetting] = []
    for setting in unit.settings:
        if setting.section == "Service" and setting.key in keys:
            if setting.value == "":
                values.clear()
            else:
                values.append(setting)
    return values


def joined_namespaces(units: list[UnitFile], paths: list[str]) -> bool:
    """True when the units share one namespace through JoinsNamespaceOf= (systemd.unit(5))."""
    names = {u.path: u.name for u in units}
    edges: dict[str, set[str]] = {p: set() for p in paths}
    for unit in units:
        if unit.path not in edges:
            continue
        for setting in unit.get_all("Unit", "JoinsNamespaceOf"):
            for other in paths:
                if names[other] in setting.value.split():
                    edges[unit.path].add(other)
                    edges[other].add(unit.path)
    seen = {paths[0]}
    pending = [paths[0]]
    while pending:
        for other in edges[pending.pop()]:
            if other not in seen:
                seen.add(other)
                pending.append(other)
    return len(seen) == len(paths)
