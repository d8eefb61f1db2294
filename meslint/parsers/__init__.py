"""One parser per file kind: bytes already decoded to text -> frozen facts.

Every parser exposes ``parse(path, text) -> <facts>`` and never raises on bad
input: what it cannot understand becomes a :class:`meslint.facts.ParseProblem`.
"""
