"""MES602/MES603/MES604's fix (unsafe): the outlier site takes the value the others agree on.

The reference is the :class:`meslint.agreement.Disagreement`'s: the pack's canonical value when
a site holds it, else the majority.  A fix is offered only when the reference is the pack's
canonical value, the pack's contract module decides it, or sites that take it from two different
places hold it (never a coin toss; two consumers of one env line count once), and only where the
outlier's value is written literally at one place meslint can edit exactly:

* a unit directive (``PIDFile=/run/x.pid``, in the unit or a drop-in): its value;
* a line of the env template that decides it (``GUNICORN_BIND=0.0.0.0:9000``): its value;
* a start-script default, ``${X:-...}``, when both values are plain words: the default word;
* a Python default, ``os.getenv("X", "...")`` / ``os.environ.get(...)``, or a module constant
  ``X = "..."``: the string literal, found with libcst in the module's text and replaced in place
  (same quotes; comments and formatting untouched).

A value the resolution normalised (a relative path made absolute, ``${ROOT}`` expanded) is not
written back: its spelling in the source is not the value.  The fix is unsafe: the outlier's
consumer then sees another value.
"""

from __future__ import annotations

import re

from meslint.agreement import Disagreement
from meslint.autofix import offered
from meslint.edits import UNSAFE, Edit, Fix
from meslint.facts import Location, Repository
from meslint.template import CHECKOUT_ROOT


@offered
def align(repo: Repository, d: Disagreement, contract_module: str | None = None) -> Fix | None:
    """``contract_module``: the pack's module that owns the contract (its value is the pack's word)."""
    outlier, value = d.outlier, d.majority
    if outlier.value is None or outlier.raw != outlier.value or CHECKOUT_ROOT in value or "\n" in value:
        return None
    holders = [site for site in d.sites if site.value == value]
    owned = any(_decided_at(site).path == contract_module for site in holders)
    if not (d.canonical or owned) and len({_decided_at(site) for site in holders}) < 2:
        return None  # two consumers of one env line are one opinion, not a majority
    where = _decided_at(outlier)
    edit = (_unit_edit(repo, where, outlier.value, value) or _env_edit(repo, where, outlier.value, value)
            or _python_edit(repo, where, outlier.value, value) or _shell_edit(repo, where, d.setting, outlier.value,
                                                                              value))
    if edit is None:
        return None
    return Fix(UNSAFE, f"set {d.setting} to {value} at {where.path}:{where.line} (as the other sites have it)",
               (edit,))


def _decided_at(site) -> Location:
    """Where the site's value is written: the first located step of its provenance (the later steps
    carry it: a command line passing it on), else the site."""
    located = [step.location for step in site.chain if step.location is not None] or [site.location]
    return located[0]


def _unit_edit(repo: Repository, where: Location, old: str, new: str) -> Edit | None:
    from meslint.autofix.unit_directive import set_value

    for unit in repo.units:
        for setting in unit.settings:
            loc = setting.location
            if (loc.path, loc.line) == (where.path, where.line) and setting.value == old and loc.line == loc.end_line:
                return set_value(setting, new)
    return None


def _env_edit(repo: Repository, where: Location, old: str, new: str) -> Edit | None:
    from meslint.autofix.env_comment import env_line

    env = repo.env_file(where.path)
    if env is None:
        return None
    for assignment in env.assignments:
        if assignment.location.line == where.line and old in (assignment.systemd, assignment.bash):
            return env_line(assignment, new)
    return None


_SHELL_PLAIN = re.compile(r"[A-Za-z0-9_.:/@%+,=-]+")


def _shell_edit(repo: Repository, where: Location, name: str, old: str, new: str) -> Edit | None:
    """The default word of ``${NAME:-old}`` (or ``:=``, ``-``, ``=``) on the script line that decides
    the value; only plain words on both sides (no quoting, expansion or space to get wrong)."""
    from meslint.autofix import text_of

    if repo.script(where.path) is None or not (_SHELL_PLAIN.fullmatch(old) and _SHELL_PLAIN.fullmatch(new)):
        return None
    text = text_of(repo, where.path)
    lines = text.split("\n") if text is not None else []
    if not 0 < where.line <= len(lines):
        return None
    found = list(re.finditer(rf"\$\{{{re.escape(name)}:?[-=]({re.escape(old)})\}}", lines[where.line - 1]))
    if len(found) != 1:
        return None
    start, end = found[0].span(1)
    return Edit(where.path, where.line, start + 1, where.line, end + 1, new)


def _python_edit(repo: Repository, where: Location, old: str, new: str) -> Edit | None:
    if not where.path.endswith(".py"):
        return None
    from meslint.autofix.python_literal import replace_literal

    return replace_literal(repo, where, old, new)
