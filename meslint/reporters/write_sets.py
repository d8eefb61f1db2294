"""``meslint show-contract``: per unit, the code it runs and the paths that code writes, with provenance.

Each resolved path shows how the unit's sandbox treats it; a path the resolver cannot resolve is
listed as unknown with its source text (never guessed).
"""

from __future__ import annotations

from meslint.facts import Repository
from meslint.import_graph import import_graph
from meslint.pack import ContractPack
from meslint.resolve import Resolution, contract_units
from meslint.sandbox import sandbox_of
from meslint.script_writes import script_writes
from meslint.unit_code import script_code, unit_code
from meslint.unit_writes import ResolvedWrite, resolve_writes, unit_writes


def write_sets(repo: Repository, pack: ContractPack, resolution: Resolution | None = None) -> list[dict]:
    """One record per contract unit (and the start script): entries, written paths (with access and
    provenance), unknown sites."""
    graph = import_graph(repo)
    records = []
    for unit in sorted(contract_units(repo, pack), key=lambda u: u.path):
        code = unit_code(repo, pack, unit)
        sandbox = sandbox_of(unit)
        writes = [w for w in unit_writes(repo, pack, unit) if w.site.write]
        known, unknown = [w for w in writes if w.path], [w for w in writes if not w.path]
        records.append({
            "unit": unit.path,
            "runs": [{"entry": e.reason, "module": e.module, "path": (e.via or e.location).path,
                      "line": (e.via or e.location).line} for e in code.entries],
            "modules": len(code.modules(graph)),
            "writes": [_write_dict(w, sandbox.access(w.path or "/").mode,
                                   (sandbox.access(w.path or "/").rule.origin  # type: ignore[union-attr]
                                    if sandbox.access(w.path or "/").rule else None)) for w in known],
            "unknown": [_write_dict(w) for w in unknown],
        })
    script = script_code(repo, pack, resolution) if resolution is not None else None
    if script is not None and resolution is not None:
        # The start script runs outside systemd: no sandbox decides its paths.
        found = resolve_writes(repo, pack, script, pack.deploy_root) + script_writes(repo, pack, resolution)
        writes = [w for w in found if w.site.write]
        records.append({
            "unit": script.owner,
            "runs": [{"entry": e.reason, "module": e.module, "path": e.location.path, "line": e.location.line}
                     for e in script.entries],
            "modules": len(script.modules(graph)),
            "writes": [_write_dict(w, "unsandboxed") for w in writes if w.path],
            "unknown": [_write_dict(w) for w in writes if not w.path],
        })
    return records


def _write_dict(write: ResolvedWrite, access: str | None = None, decided_by: str | None = None) -> dict:
    record: dict = {
        "kind": write.site.kind,
        "call": write.site.call,
        "expression": write.site.expr,
        "path": write.path,
        "site": {"path": write.site.location.path, "line": write.site.location.line,
                 "column": write.site.location.column},
        "runs_as": write.reason(),
        "provenance": [{"text": s.text, "path": s.location.path if s.location else None,
                        "line": s.location.line if s.location else None} for s in write.sources],
    }
    if write.path is not None:
        record["access"] = access
        record["decided_by"] = decided_by
    return record


def render_write_sets(records: list[dict]) -> list[str]:
    out = ["Write sets (what each unit's code writes)"]
    for record in records:
        out.append(record["unit"])
        for run in record["runs"]:
            out.append(f"  runs {run['entry']} ({run['module']}; at {run['path']}:{run['line']})")
        out.append(f"  {record['modules']} module(s) imported")
        for write in record["writes"]:
            where = f"{write['site']['path']}:{write['site']['line']}"
            decided = f" ({write['decided_by']})" if write["decided_by"] else ""
            out.append(f"    {write['path']}  [{write['access']}{decided}]")
            out.append(f"        {write['call']} at {where}: {write['expression']}")
            for step in write["provenance"]:
                at = f" ({step['path']}:{step['line']})" if step["path"] else ""
                out.append(f"        from {step['text']}{at}")
        for write in record["unknown"]:
            where = f"{write['site']['path']}:{write['site']['line']}"
            out.append(f"    (unknown) {write['call']} at {where}: {write['expression']}")
            out.extend(f"        from {step['text']}" for step in write["provenance"])
        out.append("")
    return out
