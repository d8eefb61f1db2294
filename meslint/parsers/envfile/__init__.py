"""Env files -> :class:`meslint.facts.EnvFile`, read the way each consumer reads them.

One file, three readers that disagree.  The package runs three independent
readers over the text and merges their results by the offset of the variable
name: an :class:`EnvAssignment` exists for every name at least one consumer
assigns, and a consumer that does not assign at that spot gets ``None``.

``location`` starts at the name and ends one past the furthest character any
consumer took as part of the value (systemd keeps inline comments, so for
``KEY=2  # note`` the span runs to the end of ``note``).  ``raw`` is the text
of the physical lines the span covers, continuation lines included.

Each reader lives in its own module and documents what it ports and what was
verified: :mod:`.systemd` (``EnvironmentFile=``), :mod:`.bash` (``set -a;
source FILE``, words lexed by :mod:`.bash_words`) and :mod:`.python_dotenv`
(``dotenv_values``); :mod:`.lines` holds what they share.

Known limits (documented, not bugs)
-----------------------------------
* dotenv: a bare ``KEY`` line (no ``=``) makes ``dotenv_values`` report
  ``KEY: None`` and hides an earlier ``KEY=x``; meslint records no assignment
  for it (it still resolves to empty in later interpolation).
* bash: ``${VAR:=x}`` assigns VAR as a side effect; the reader tracks that
  for later expansions, but no :class:`EnvAssignment` is recorded for it.
* bash: functions, here-documents, subshells and arrays are not modelled;
  ``declare``/``readonly``/``local`` and ``source`` record nothing;
  ``export -n``/``-f`` style options make the line's assignments unknown.
  ``$'\\u....'`` is decoded as in a UTF-8 locale.
* bash: a lone ``'`` in the word of ``"${VAR:-word}"`` is literal, as in the
  value bash computes, but bash 5.2 still pairs it with a later ``'`` when it
  looks for the closing brace (``"${A:-'}${A:-'}"`` is one expansion to bash).
  (The script parser, through tree-sitter-bash, pairs them as bash does.)
"""

from __future__ import annotations

from meslint.facts import EnvAssignment, EnvFile, Location, ParseProblem
from meslint.parsers.envfile import bash, python_dotenv, systemd
from meslint.parsers.envfile.lines import Hit, Positions, Reading

__all__ = ["parse", "consumer_values", "CONSUMERS"]

CONSUMERS = ("systemd", "bash", "dotenv")
_READERS = (("systemd", systemd.read), ("bash", bash.read), ("dotenv", python_dotenv.read))


def parse(path: str, text: str) -> EnvFile:
    """Read an env file the way systemd, bash and python-dotenv each read it."""
    readings = {}
    problems: list[ParseProblem] = []
    pos = Positions(text)
    for consumer, reader in _READERS:
        try:
            readings[consumer] = reader(text)
        except Exception as exc:  # never raise: an internal slip becomes a problem
            readings[consumer] = Reading()
            problems.append(ParseProblem(Location(path), f"{consumer}: internal error: {exc!r}"))
    for reading in readings.values():
        for offset, message in reading.problems:
            problems.append(ParseProblem(pos.location(path, offset, offset), message))

    by_start: dict[int, dict[str, Hit]] = {}
    for consumer, reading in readings.items():
        for hit in reading.hits:
            by_start.setdefault(hit.start, {})[consumer] = hit
    assignments = [_merge(path, pos, start, hits) for start, hits in sorted(by_start.items())]
    problems.sort(key=lambda p: (p.location.line, p.location.column, p.message))
    return EnvFile(path=path, assignments=tuple(assignments), problems=tuple(problems))


def _merge(path: str, pos: Positions, start: int, hits: dict[str, Hit]) -> EnvAssignment:
    name = next(h.name for h in hits.values())
    end = max(h.end for h in hits.values())
    bash = hits.get("bash")
    return EnvAssignment(
        name=name,
        raw=pos.raw(start, end),
        location=pos.location(path, start, end),
        systemd=hits["systemd"].value if "systemd" in hits else None,
        bash=bash.value if bash else None,
        dotenv=hits["dotenv"].value if "dotenv" in hits else None,
        exported=any(h.exported for h in hits.values()),
        bash_dynamic=bash.dynamic if bash else False,
        comment_above=_comment_above(pos, start),
    )


_MAX_NOTE_LINES = 5
_MAX_NOTE = 300


def _comment_above(pos: Positions, start: int) -> str:
    """The ``#`` lines directly above the line at ``start`` (nearest last), bounded in size."""
    index = pos.line_col(start)[0] - 2  # 0-based index of the line above
    notes: list[str] = []
    while index >= 0 and len(notes) < _MAX_NOTE_LINES:
        begin = pos.starts[index]
        text = pos.text[begin:pos.starts[index + 1] - 1].strip()
        if not text.startswith("#"):
            break
        notes.append(text.lstrip("#").strip()[:_MAX_NOTE])
        index -= 1
    return " / ".join(reversed(notes))[:_MAX_NOTE]


def consumer_values(assignment: EnvAssignment) -> dict[str, str | None]:
    """The value each consumer reads for this line, keyed by consumer name."""
    return {consumer: getattr(assignment, consumer) for consumer in CONSUMERS}
