"""Field labels a frontend module hard-codes: object literals pairing an API key with a label (gate 3).

``{ field: 'ou_pct', label: 'OU%' }``, ``{ key: 'JOBID', title: '工單' }``: an object with one string
member naming a field (``field``, ``key``, ``value``, ``prop``, ``dataKey``, ``dataIndex``,
``apiKey``, ``api_key``) and one naming its label (``label``, ``title``, ``header``, ``headerName``,
``text``, ``name``).  Plain data, stored in the file's :class:`meslint.facts.DataDoc` under ``labels``.
"""

from __future__ import annotations

_KEYS = ("field", "key", "value", "prop", "dataKey", "dataIndex", "apiKey", "api_key")
_LABELS = ("label", "title", "header", "headerName", "text", "name")
_MAX_LABELS = 2_000


def labels(root, source: bytes, line_offset: int = 0) -> list[dict[str, object]]:
    def text(node) -> str:
        return source[node.start_byte:node.end_byte].decode("utf-8", "replace")

    found: list[dict[str, object]] = []
    stack = [root]
    while stack and len(found) < _MAX_LABELS:
        node = stack.pop()
        if node.type == "object":
            members: dict[str, str] = {}
            for pair in node.named_children:
                if pair.type != "pair":
                    continue
                key, value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
                if key is None or value is None or value.type != "string":
                    continue
                name = text(key).strip("'\"")
                members.setdefault(name, "".join(text(part) for part in value.named_children
                                                 if part.type == "string_fragment"))
            field = next((members[k] for k in _KEYS if k in members), None)
            label = next((members[k] for k in _LABELS if k in members), None)
            if field and label:
                found.append({"key": field, "label": label, "line": node.start_point[0] + 1 + line_offset})
        stack.extend(reversed(node.named_children))
    return found
