"""``meslint show-contract``: each setting's effective value per consumer, with provenance."""

from __future__ import annotations

from meslint.reporters.escape import json_text, visible
from meslint.resolve import Resolution


def render_contract(resolution: Resolution, output_format: str = "text", writes: list[dict] | None = None) -> str:
    """``writes``: the units' write sets (:func:`meslint.reporters.write_sets.write_sets`), if any."""
    if output_format == "json":
        data: dict = {"version": 1, "values": [_value_dict(v) for v in resolution.values]}
        if writes:
            data["writes"] = writes
        return json_text(data, indent=2) + "\n"
    out: list[str] = []
    for setting in resolution.settings():
        out.append(setting)
        for runtime in resolution.runtimes():
            values = resolution.for_setting(setting, runtime)
            if not values:
                continue
            distinct = {v.value for v in values}
            verdict = "agree" if len(distinct) == 1 else f"DISAGREE ({len(distinct)} values)"
            out.append(f"  [{runtime}] {verdict}")
            width = max(len(v.consumer) for v in values)
            for value in values:
                shown = value.value if value.value is not None else "(unknown)"
                out.append(f"    {value.consumer.ljust(width)}  {shown}")
                out.append(f"    {''.ljust(width)}    at {value.location.short()}; {value.explain()}")
        out.append("")
    if not out:
        out.append("No contract consumers found (is this the repository root? is the --contract right?)")
    if writes:
        from meslint.reporters.write_sets import render_write_sets

        out.extend(render_write_sets(writes))
    return "".join(visible(line) + "\n" for line in out)


def _value_dict(value) -> dict:
    return {
        "setting": value.setting,
        "runtime": value.runtime,
        "consumer": value.consumer,
        "kind": value.kind,
        "value": value.value,
        "raw": value.raw,
        "path": value.location.path,
        "line": value.location.line,
        "column": value.location.column,
        "provenance": [
            {"text": step.text, "path": step.location.path if step.location else None,
             "line": step.location.line if step.location else None}
            for step in value.chain
        ],
    }
