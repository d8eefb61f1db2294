"""Labels paired with API keys in frontend modules, Vue script blocks at their own lines."""

from __future__ import annotations

from meslint.parsers.vite_config import parse

VUE = """<template>
  <div>{{ x }}</div>
</template>
<script lang="ts">
export const a = { field: 'K1', label: 'One' };
</script>
<script setup>
const b = [{ dataIndex: "K2", title: `not a plain string` }, { prop: 'K3', name: 'Three', label: 'Label wins' }];
</script>
"""


def test_vue_script_blocks_keep_their_lines() -> None:
    labels = parse("web/App.vue", VUE).data["labels"]
    assert labels == [{"key": "K1", "label": "One", "line": 5}, {"key": "K3", "label": "Label wins", "line": 8}]


def test_objects_without_both_members_are_not_labels() -> None:
    source = "const c = [{ field: 'K' }, { label: 'L' }, { key: k, label: 'L' }];\n"
    labels = parse("web/cols.ts", source).data["labels"]
    assert labels == []
