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
    total = len(findings)
    if not summary:
        return "".join(line + "\n" for line in out)
    if total == 0:
        out.append("All checks passed.")
    else:
        noun = "finding" if total == 1 else "findings"
        out.append(paint(f"Found {total} {noun}.", _DIM) if color else f"Found {total} {noun}.")
    return "\n".join(out) + "\n"
