"""A `meslint: ignore` comment or a configured waiver that suppresses no finding.

## What it does
Reports inline suppressions (`# meslint: ignore[MES602]`,
`<!-- meslint: ignore[MES801] -->`, `ignore-file[...]`) and
`[[tool.meslint.waivers]]` entries that no finding of a selected rule matched,
including those naming a code no rule has, and the codes of a suppression that
matched nothing while its other codes did.  A suppression is only judged when
one of its codes is selected: `--select MES6` does not make the MES8
suppressions stale.  The engine computes this rule after every other rule, so
`check` itself yields nothing.

## Why it matters
A stale suppression outlives the problem it excused and silently hides the next
one on that line; a stale waiver keeps a reason in the configuration that no
longer describes the repository.  Removing them keeps every exception justified.

## Example
```bash
# The line below no longer breaks the contract, the comment is stale:
WATCHDOG_PID_FILE="${ROOT}/tmp/gunicorn.pid"  # meslint: ignore[MES603]
```

## How to fix
Delete the suppression comment or the waiver, or drop the codes from it that no longer match (keep
the others).

`meslint check --fix` does it for inline suppressions (a safe fix: only a comment changes): a
suppression alone on its line is deleted with its line, an inline one with the whitespace before
it, and a used suppression loses just the codes that matched nothing (`ignore[MES602, MES603]`
becomes `ignore[MES602]`).  Waivers in the configuration are left to you.

## Options
Inline suppressions are scoped to the line they end, to the next line when
alone on a comment line (units and env files: whole comment lines only, since an
inline `#` is part of a systemd value), or to the file (`ignore-file`).
Waivers: `[[tool.meslint.waivers]]` with `code`, `subject` and/or `path`
(a glob over the finding's files) and a mandatory `reason`.  Deselect with
`--ignore MES100`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from meslint.autofix.suppression import drop_codes, remove
from meslint.checks import FixApplicability, Gate, Rule, Severity
from meslint.facts import Location
from meslint.suppressions import Suppression

RULE = Rule("MES100", "unused-suppression", Gate.MESLINT, Severity.WARNING, FixApplicability.SAFE)


def unused(repo, settings, rules: Iterable, used: dict[int, set[str]], used_waivers: set[int]) -> Iterator:
    """``used``: for each suppression some finding matched, the codes of it that matched."""
    from meslint.checks import all_rules

    selected = [r.code for r in rules if r.code != RULE.code]
    known = [r.code for r in all_rules()]
    for index, suppression in enumerate(repo.suppressions):
        if index in used:
            yield from _unused_codes(suppression, used[index], selected, known)
            continue
        codes = suppression.codes
        unknown = [c for c in codes if not any(k.startswith(c) for k in known)]
        relevant = not codes or unknown or any(s.startswith(c) for c in codes for s in selected)
        if not relevant:
            continue
        detail = f" (no rule {', '.join(unknown)})" if unknown else ""
        yield RULE.finding(f"unused suppression '{suppression.text}'{detail}", suppression.location,
                           subject=suppression.text, fix=remove(suppression))
    config = _config_path(repo.root, settings.source)
    for index, waiver in enumerate(settings.waivers):
        if index in used_waivers:
            continue
        if not any(s.startswith(waiver.code) for s in selected) and any(k.startswith(waiver.code) for k in known):
            continue
        yield RULE.finding(f"unused waiver ({waiver.describe()}): no finding matches it",
                           Location(config, waiver.line, 1), subject=f"waiver {waiver.describe()}")


def _unused_codes(suppression: Suppression, matched: set[str], selected: list[str],
                  known: list[str]) -> Iterator:
    """The codes of a used suppression that matched nothing (judged as a whole suppression is)."""
    stale = [code for code in suppression.codes if code not in matched
             and (not any(k.startswith(code) for k in known) or any(s.startswith(code) for s in selected))]
    if stale:
        codes = ", ".join(stale)
        yield RULE.finding(f"unused code{'s' if len(stale) > 1 else ''} {codes} in suppression '{suppression.text}'",
                           suppression.location, subject=f"{suppression.text} {codes}",
                           fix=drop_codes(suppression, stale))


def _config_path(root: str, source: str | None) -> str:
    if not source:
        return "meslint.toml"
    if not Path(source).is_absolute() and (Path(root) / source).is_file():
        return Path(source).as_posix()  # found in the checked root
    try:
        return Path(source).resolve().relative_to(Path(root)).as_posix()
    except ValueError:
        return Path(source).as_posix()
