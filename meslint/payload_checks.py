"""What the payload gates' checks share: the run's payload index, and the findings for key paths a route's
payload lacks (MES401 for the observability gate's health routes, MES502 for the resilience gate's).

Not a check: the rules live in :mod:`meslint.checks.health_payload_field_missing` and
:mod:`meslint.checks.resilience_payload_field_missing`; the reading of payloads in :mod:`meslint.payload_paths`.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.checks import CheckContext, Rule
from meslint.findings import Finding
from meslint.pack_gates import PayloadSpec
from meslint.payload_paths import PayloadIndex, missing_fields


def payload_index(ctx: CheckContext, sources: tuple[str, ...]) -> PayloadIndex:
    """The payload modules matching ``sources``, built once per run for every check that asks with them."""
    return ctx.shared(("payload_paths", sources), lambda: PayloadIndex(ctx.repo, sources))


def missing_field_findings(ctx: CheckContext, rule: Rule, sources: tuple[str, ...],
                           payloads: tuple[PayloadSpec, ...], gate: str) -> Iterator[Finding]:
    """One finding of ``rule`` per required key path (``payloads``) absent from a route's payload,
    on the route function; ``gate`` names the runbook gate that requires it."""
    if not payloads:
        return
    for missing in missing_fields(payload_index(ctx, sources), payloads):
        yield rule.finding(f"{missing.message} (the {gate} gate requires it)", missing.function.location,
                           missing.related, subject=f"{missing.payload.route}:{missing.required}")
