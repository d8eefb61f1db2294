"""Human text output (grouped, with related sites) and the concise one-line form."""

from __future__ import annotations

from meslint.findings import Finding
from meslint.reporters.escape import visible

_BOLD, _RED, _YELLOW, _CYAN, _DIM, _RESET = "\033[1m", "\033[31m", "\033[33m", "\033[36m", "\033[2m", "\033[0m"


def render_concise(findings: tuple[Finding, ...]) -> str:
    lines = [visible(f"{f.location.short()}: {f.code} {f.severity}: {f.message}") for f in findings]
    return "".join(line + "\n" for line in lines)


def render_text(findings: tuple[Finding, ...], *, color: bool = False, summary: bool = True) -> str:
    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    out: list[str] = []
    for finding in findings:
        where = paint(visible(finding.location.short()), _BOLD)
        tone = _RED if finding.severity == "error" else _YELLOW
        out.append(f"{where}: {paint(finding.code, tone)} [{finding.name}] {visible(finding.message)}")
        for related in finding.related:
            out.append(f"    {paint(visible(related.location.short()), _CYAN)}: {visible(related.message)}")
        if finding.fix is not None:  # as ruff's "help:" line: what the fix does, and how to apply it
            how = {"safe": " (--fix)", "unsafe": " (--unsafe-fixes)"}.get(finding.fix.applicability, "")
            out.append(f"    {paint('help', _DIM)}: {visible(finding.fix.message)}{how}")
    total = len(findings)
    if not summary:
        return "".join(line + "\n" for line in out)
    if total == 0:
        out.append("All checks passed.")
    else:
        noun = "finding" if total == 1 else "findings"
        out.append(paint(f"Found {total} {noun}.", _DIM) if color else f"Found {total} {noun}.")
        hint = _fixable(findings)
        if hint:
            out.append(paint(hint, _DIM) if color else hint)
    return "\n".join(out) + "\n"


def _fixable(findings: tuple[Finding, ...]) -> str:
    """ruff's summary hint: how many findings ``--fix`` (and ``--unsafe-fixes``) would fix."""
    safe = sum(1 for f in findings if f.fix is not None and f.fix.applicability == "safe")
    unsafe = sum(1 for f in findings if f.fix is not None and f.fix.applicability == "unsafe")
    if not safe and not unsafe:
        return ""
    parts = [f"{safe} fixable with `meslint check --fix`"] if safe else []
    if unsafe:
        parts.append(f"{unsafe} {'more ' if safe else ''}with `--fix --unsafe-fixes`")
    return "[*] " + "; ".join(parts) + "."
