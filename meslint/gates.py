"""``meslint gates``: which cutover gates are statically ready.

A gate is *ready* when the rules that enforce it (``Rule.gate``) report nothing, *not ready* when
they report something (the findings are listed), and *not statically checkable* when no rule
enforces it: then the summary names what the runbook asks to run instead (the pack's
``gates[].run``).  A gate with rules and ``run`` items is ready only statically; the items are
listed as what still has to run.  The gate list is the pack's ``gates:``; gates that rules declare
but the pack does not list are added with their number as title.
"""

from __future__ import annotations

import json
import sys

from meslint.checks import Gate, RegisteredRule
from meslint.findings import Finding
from meslint.pack import ContractPack
from meslint.records import record
from meslint.reporters.escape import visible

READY = "ready"
NOT_READY = "not-ready"
NOT_CHECKABLE = "not-statically-checkable"


@record
class GateStatus:
    id: str
    title: str
    state: str  # READY, NOT_READY or NOT_CHECKABLE
    rules: tuple[str, ...]  # the codes that enforce the gate (those selected for the run)
    findings: tuple[Finding, ...]
    run: tuple[str, ...]  # what the runbook asks to run for the rest


def summarize(pack: ContractPack, rules: list[RegisteredRule], findings: tuple[Finding, ...]) -> list[GateStatus]:
    """One status per gate, in gate order; ``rules``: the rules the run selected."""
    titles = {gate.id: gate.title for gate in pack.gates}
    runs = {gate.id: gate.run for gate in pack.gates}
    ids = list(titles)
    for rule in rules:
        if rule.gate != Gate.MESLINT.value and rule.gate not in ids:
            ids.append(rule.gate)
    statuses = []
    for gate_id in sorted(ids, key=_order):
        codes = tuple(rule.code for rule in rules if rule.gate == gate_id)
        found = tuple(f for f in findings if f.code in codes)
        state = NOT_CHECKABLE if not codes else NOT_READY if found else READY
        statuses.append(GateStatus(gate_id, titles.get(gate_id, f"gate {gate_id}"), state, codes, found,
                                   runs.get(gate_id, ())))
    return statuses


def _order(gate_id: str) -> tuple[int, str]:
    return (int(gate_id), "") if gate_id.isdigit() else (1 << 30, gate_id)


def own_findings(findings: tuple[Finding, ...], rules: list[RegisteredRule]) -> tuple[Finding, ...]:
    """meslint's own findings (a file that could not be parsed or read): every gate may be incomplete."""
    own = {rule.code for rule in rules if rule.gate == Gate.MESLINT.value}
    return tuple(f for f in findings if f.code in own)


def render_text(statuses: list[GateStatus], own: tuple[Finding, ...]) -> str:
    labels = {READY: "statically ready", NOT_READY: "NOT READY", NOT_CHECKABLE: "not statically checkable"}
    lines = []
    for status in statuses:
        lines.append(f"gate {visible(status.id)} ({visible(status.title)}): {labels[status.state]}"
                     + (f" [{', '.join(status.rules)}]" if status.rules else ""))
        for finding in status.findings:
            loc = finding.location
            lines.append(f"  {visible(loc.path)}:{loc.line}:{loc.column}: {finding.code} {visible(finding.message)}")
        prefix = "  still to run: " if status.rules else "  run instead: "
        lines.extend(prefix + visible(item) for item in status.run)
    if own:
        lines.append(f"meslint could not read {len(own)} file(s) (MES101/MES102 in 'meslint check'); "
                     "the gates above may be incomplete")
    return "\n".join(lines) + "\n"


def render_json(statuses: list[GateStatus], own: tuple[Finding, ...]) -> str:
    payload = {
        "gates": [{
            "id": s.id, "title": s.title, "state": s.state, "rules": list(s.rules),
            "findings": [{"code": f.code, "message": f.message, "path": f.location.path,
                          "line": f.location.line, "column": f.location.column, "subject": f.subject}
                         for f in s.findings],
            "run": list(s.run),
        } for s in statuses],
        "unreadable": len(own),
    }
    return json.dumps(payload, indent=2, ensure_ascii=True) + "\n"


def ready(statuses: list[GateStatus]) -> bool:
    return all(status.state != NOT_READY for status in statuses)


def command(args, root, settings) -> int:
    """``meslint gates``: the check run's findings (suppressions and waivers applied, no baseline), by gate.
    Exit 1 when a gate is not ready, else 0."""
    from meslint.cli import EXIT_CLEAN, EXIT_FINDINGS, _check_selectors, _report
    from meslint.engine import load_contract, selected_rules

    _check_selectors(settings)
    report = _report(root, settings, args.contract, None)
    rules = selected_rules(settings)
    statuses = summarize(load_contract(settings, root, args.contract), rules, report.findings)
    own = own_findings(report.findings, rules)
    render = render_json if args.output_format == "json" else render_text
    sys.stdout.write(render(statuses, own))
    return EXIT_CLEAN if ready(statuses) else EXIT_FINDINGS
