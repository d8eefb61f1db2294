"""The comment lines right above an env assignment (what MES615 takes as its explanation)."""

from __future__ import annotations

from meslint.parsers.envfile import parse


def test_comment_above_is_the_block_right_above_only() -> None:
    env = parse(".env", "# header\n\n# a\n# b\nX=1\nY=2  # inline\n#c\nZ=3\nW=4\n")
    notes = {a.name: a.comment_above for a in env.assignments}
    assert notes == {"X": "a / b", "Y": "", "Z": "c", "W": ""}


def test_comment_above_is_bounded() -> None:
    env = parse(".env", "# " + "x" * 5000 + "\n" * 1 + "#\n" * 50 + "K=1\n")
    note = env.assignments[0].comment_above
    assert len(note) <= 300 and note.count("/") <= 4
