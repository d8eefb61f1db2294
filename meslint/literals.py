"""Whether any of many literal words occurs in a text, in one regex scan (shared by the gate 8 readers)."""

from __future__ import annotations

import re
from functools import lru_cache

_MAX_TRIE_WORD = 200  # deeper tries would nest groups (and recursion) a word's length deep


@lru_cache(maxsize=64)
def any_of(words: frozenset[str]) -> re.Pattern[str]:
    """A pattern that finds some word of ``words`` in a text exactly when one occurs there (``any(word
    in text for word in words)`` in one scan).  Built as a trie (``GUNICORN_(?:BIND|PID)``): an
    alternation of a hundred names tries each at every capital letter, a trie follows one path."""
    if not words:
        return re.compile(r"(?!)")
    if max(map(len, words)) > _MAX_TRIE_WORD:  # names from a pack: no limit on their length
        return re.compile("|".join(re.escape(word) for word in sorted(words)))
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here

    def branch(node: dict) -> str:
        if "" in node:
            return ""  # a word ends here: finding it is enough, whatever follows
        alternatives = [re.escape(char) + branch(child) for char, child in sorted(node.items())]
        return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"

    return re.compile(branch(trie))
