"""MES101's container case: a supervisord setting supervisord cannot expand, so it refuses to start.

Not a rule of its own (no ``RULE``): :mod:`meslint.checks.parse_error` yields these findings.
supervisord expands ``%(name)s`` in its settings when it reads its file (supervisor/options.py
``expand``); an unknown name or a lone ``%`` stops it with "Format string ... contains names
which cannot be expanded" / "is badly formatted" before any program starts.  Which ``ENV_X``
names exist depends on the container's environment, so these come from the container runs
(:mod:`meslint.container_runtime`), once per place however many runs read the file.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.checks import CheckContext, Rule
from meslint.findings import Finding
from meslint.location import Location


def container_parse_findings(ctx: CheckContext, rule: Rule) -> Iterator[Finding]:
    from meslint.container_runtime import container_runs

    found: dict[tuple[str, str, int], list[str]] = {}
    places: dict[tuple[str, str, int], Location] = {}
    for run in container_runs(ctx.repo, ctx.pack):
        for message, location, depends in run.problems:
            key = (message, location.path, location.line)
            places.setdefault(key, location)
            details = found.setdefault(key, [])
            if depends and depends not in details:
                details.append(depends)
    for key, details in found.items():
        message = key[0] + (f"; in {' and '.join(details)}" if details else "")
        yield rule.finding(message, places[key], subject=key[1])
