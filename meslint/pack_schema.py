"""The JSON Schema of the contract pack format, generated from the declarations in :mod:`meslint.pack`.

The loader converts a pack against those dataclasses; this module walks the very same
dataclasses, type hints and field metadata, so the schema cannot drift from what the
loader accepts.  Two rules the types cannot state are checked on load only: a unit
gives exactly one of ``path``/``glob`` and ``runs`` names declared consumers; host
paths (``deploy_root``, installed paths) are absolute.
"""

from __future__ import annotations

import dataclasses
import types
import typing

from meslint.pack import ContractPack
from meslint.pack_convert import is_required, pack_fields, variant_kind, yaml_key

SCHEMA_ID = "https://meslint.invalid/schema/contract-pack.json"
# The loader reads any scalar where text is expected (an unquoted port or version is fine).
_TEXT = {"type": ["string", "number", "boolean"]}


def pack_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a pack file."""
    definitions: dict[str, dict] = {}
    root = _record(ContractPack, definitions)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            "title": "meslint contract pack", **root, "$defs": dict(sorted(definitions.items()))}


def _type(hint, definitions: dict[str, dict], variant: bool = False) -> dict:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        schemas = [_type(a, definitions, variant=len(options) > 1) for a in options]
        if type(None) in args:
            schemas.append({"type": "null"})
        return schemas[0] if len(schemas) == 1 else {"oneOf": schemas}
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin is tuple:
        return {"type": "array", "items": _type(args[0], definitions)}
    if origin is dict:
        return {"type": "object", "additionalProperties": _type(args[1], definitions)}
    if dataclasses.is_dataclass(hint):
        name = typing.cast(type, hint).__name__
        if name not in definitions:
            definitions[name] = {}  # placeholder first: a record may refer to itself
            definitions[name] = _record(hint, definitions, variant)
        return {"$ref": f"#/$defs/{name}"}
    if hint is str:
        return dict(_TEXT)
    if hint is bool:
        return {"type": "boolean"}
    raise TypeError(f"no JSON Schema for {hint!r}")  # pragma: no cover


def _record(record, definitions: dict[str, dict], variant: bool = False) -> dict:
    hints = typing.get_type_hints(record)
    properties: dict[str, dict] = {}
    required: list[str] = []
    for spec in pack_fields(record):
        key = yaml_key(spec)
        schema = _type(hints[spec.name], definitions)
        if spec.name == "kind" and variant:
            schema = {"const": variant_kind(record)}  # the tag that selects this record
        doc = spec.metadata.get("doc")
        properties[key] = {**({"description": doc} if doc else {}), **schema}
        if is_required(spec) or (spec.name == "kind" and variant):
            required.append(key)
    out: dict = {"type": "object", "properties": properties, "additionalProperties": False}
    if record.__doc__ and not record.__doc__.startswith(f"{record.__name__}("):
        out = {"description": " ".join(record.__doc__.split()), **out}
    if required:
        out["required"] = required
    return out


def field_rows() -> list[tuple[str, str, bool, str]]:
    """Every field of the format as (dotted key, type, required, description), for documentation.

    A tagged union (``runtime``) lists the fields its variants share once, then each
    variant's own fields under ``key[kind=...]``.
    """
    schema = pack_schema()
    rows: dict[str, tuple[str, str, bool, str]] = {}
    _rows(schema, schema["$defs"], "", rows)
    return list(rows.values())


def _rows(node: dict, defs: dict, prefix: str, rows: dict) -> None:
    for key, prop in node.get("properties", {}).items():
        if "const" in prop:
            continue  # a variant's tag: its own row names it
        dotted = f"{prefix}{key}"
        if dotted not in rows:
            rows[dotted] = (dotted, _describe(prop), key in node.get("required", ()), prop.get("description", ""))
        refs = _refs(prop)
        if not refs:
            continue
        if len(refs) == 1:
            _rows(defs[refs[0]], defs, f"{dotted}.", rows)
            continue
        records = [defs[ref] for ref in refs]
        shared = set.intersection(*(set(r["properties"]) for r in records)) - {"kind"}
        _rows(_only(records[0], shared), defs, f"{dotted}.", rows)
        for record in records:
            tag = record["properties"]["kind"]
            variant = f"{dotted}[kind={tag['const']}]"
            rows[variant] = (variant, f"kind: {tag['const']}", False, tag.get("description", ""))
            _rows(_only(record, set(record["properties"]) - shared), defs, f"{variant}.", rows)


def _only(record: dict, keys: set[str]) -> dict:
    return {**record, "properties": {k: v for k, v in record["properties"].items() if k in keys}}


def _refs(prop: dict) -> list[str]:
    found = []
    for option in [prop, *prop.get("oneOf", ())]:
        target = option.get("items", option)
        if "$ref" in target:
            found.append(target["$ref"].rsplit("/", 1)[1])
    return found


def _describe(prop: dict) -> str:
    if "enum" in prop:
        return " \\| ".join(prop["enum"])
    if "oneOf" in prop:
        kinds = [_describe(option) for option in prop["oneOf"]]
        return " or ".join(dict.fromkeys(kinds))
    if "$ref" in prop:
        return "mapping"
    kind = prop.get("type")
    if kind == "array":
        return f"list of {_describe(prop['items'])}"
    if kind == "object":
        return "map of text"
    if kind == "null":
        return "null"
    return "bool" if kind == "boolean" else "text"


TABLE_BEGIN = "<!-- pack-fields:begin (generated: python -m meslint.pack_schema rules/README.md) -->"
TABLE_END = "<!-- pack-fields:end -->"


def fields_table() -> str:
    lines = ["| field | type | required | what it holds |", "|---|---|---|---|"]
    for key, kind, required, doc in field_rows():
        lines.append(f"| `{key}` | {kind} | {'yes' if required else ''} | {doc.replace('|', chr(92) + '|')} |")
    return "\n".join(lines)


def with_fields_table(text: str) -> str:
    """``text`` with the generated field table between its markers."""
    start = text.index(TABLE_BEGIN) + len(TABLE_BEGIN)
    end = text.index(TABLE_END)
    return text[:start] + "\n" + fields_table() + "\n" + text[end:]


if __name__ == "__main__":  # python -m meslint.pack_schema rules/README.md
    import sys
    from pathlib import Path

    target = Path(sys.argv[1])
    target.write_text(with_fields_table(target.read_text(encoding="utf-8")), encoding="utf-8")
