"""A mirror doc (README.mdj, ...) says something about the contract that README.md does not.

## What it does
For each mirror the pack names in `docs.mirrors`, collects per section (the
innermost heading, compared without numbering, case and blanks) the contract
tokens of its code spans, fences and tables:

* `KEY=value` assignments and `| KEY | value |` rows of upper-case settings;
* command lines running a repository script (`./scripts/x.sh start`);
* `systemctl ...` lines (without `sudo` and repeated blanks);
* unit names (`x.service`).

A mirror section whose heading README.md also has must carry the same tokens as
that README section: one finding per differing section, on the mirror's heading,
listing what the mirror lacks, adds, or gives another value (`KEY=a` against
`KEY=b`).  A mirror section README.md has no heading for (a condensed mirror
with its own outline) is compared with README.md as a whole: only tokens
README.md has nowhere are reported.  README sections the mirror leaves out are
not reported (a mirror may be shorter), and a missing mirror is not a finding.

## Why it matters
Teams keep translated or condensed copies of the README for operators; when the
contract changes only in README.md, the copy keeps the old port, path or command
and someone follows it (gate 8).

## Example
```markdown
## Start script                       <!-- README.mdj: MES803 -->
./scripts/start_server.sh run         (README.md: ./scripts/start_server.sh start)
```

## How to fix
Bring the mirror doc in line with README.md (or README.md with the mirror, whichever is current).

## Options
`docs.readme` and `docs.mirrors` in the contract pack.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.doctext import code_lines, readme, strip_code
from meslint.facts import Location, MarkdownDoc
from meslint.findings import Finding, Related

RULE = Rule("MES803", "mirror-doc-drift", Gate.DOCUMENTATION, Severity.ERROR)

_MAX_LISTED = 6
_ASSIGN = re.compile(r"(?<![\w$\-./])(?:export\s+)?([A-Z][A-Z0-9_]{2,})=(\"[^\"]*\"|'[^']*'|[^\s;&|)#]*)")
_SCRIPT_CMD = re.compile(r"(?:^|(?<=[\s;&|(]))"
                         r"((?:\./)?(?:scripts|bin|deploy)/[\w.\-/]+\.(?:sh|py|bash)(?:\s+[\w.\-]+)*)")
_SYSTEMCTL = re.compile(r"\bsystemctl\b[^;&|#\n]*")
_UNIT = re.compile(r"(?<![\w.\-@])([\w.\-@]+\.service)\b")


class Token:
    """A contract token with where it appears; ``key`` pairs values of one setting."""

    __slots__ = ("text", "key", "location")

    def __init__(self, text: str, key: str | None, location: Location) -> None:
        self.text, self.key, self.location = text, key, location


def check(ctx: CheckContext) -> Iterator[Finding]:
    repo, pack = ctx.repo, ctx.pack
    main = readme(repo, pack)
    if main is None:
        return
    main_sections = sections_tokens(main)
    main_all: dict[str, Token] = {}
    for tokens in main_sections.values():
        for token in tokens.values():
            main_all.setdefault(token.text, token)
    main_headings = {section_key(h.text): h for h in main.headings}
    for mirror_path in pack.docs.mirrors:
        mirror = repo.doc(mirror_path)
        if mirror is None or mirror is main:
            continue
        mirror_headings = {section_key(h.text): h for h in mirror.headings}
        for key, tokens in sorted(sections_tokens(mirror).items(), key=lambda kv: _first_line(kv[1])):
            if key in main_headings or (key == "" and "" in main_sections):
                reference = main_sections.get(key, {})
                missing = [t for text, t in reference.items() if text not in tokens]
                extra = [t for text, t in tokens.items() if text not in reference]
                where = (f"differs from {main.path} section '{_shown(main_headings[key].text)}'"
                         if key in main_headings else f"differs from the preamble of {main.path}")
            else:
                reference = main_all
                missing = []
                extra = [t for text, t in tokens.items() if text not in main_all]
                where = f"(no such section in {main.path}) differs from all of {main.path}"
            if not missing and not extra:
                continue
            heading = mirror_headings.get(key)
            if heading is not None:
                location = heading.location
            else:
                location = extra[0].location if extra else Location(mirror.path, 1, 1)
            message = _message(mirror.path, _shown(heading.text) if heading else "(top)", where, missing, extra)
            related = [Related(t.location, f"{main.path}: {t.text}") for t in missing[:_MAX_LISTED]]
            related += [Related(t.location, f"{mirror.path}: {t.text}") for t in extra[:_MAX_LISTED]]
            yield RULE.finding(message, location, related, subject=f"{mirror.path}#{key}")


_COMMENT = re.compile(r"<!--.*?-->")
_BLANKS = re.compile(r"\s+")
_NUMBERING = re.compile(r"^\s*(?:[\d.]+|[ivx]+\.)\s*", re.IGNORECASE)
_SETTING = re.compile(r"[A-Z][A-Z0-9_]{2,}")


def _shown(heading: str) -> str:
    return _BLANKS.sub(" ", _COMMENT.sub("", heading)).strip()


def _message(mirror: str, section: str, where: str, missing: list[Token], extra: list[Token]) -> str:
    parts = []
    extra_by_key = {t.key: t for t in extra if t.key}
    changed = [(t, extra_by_key[t.key]) for t in missing if t.key in extra_by_key]
    changed_keys = {m.key for m, _ in changed}
    if changed:
        parts.append("different values: " + ", ".join(f"{e.text} (README: {m.text})"
                                                      for m, e in changed[:_MAX_LISTED]))
    lacks = [t.text for t in missing if t.key not in changed_keys]
    adds = [t.text for t in extra if t.key not in changed_keys]
    if lacks:
        parts.append("lacks " + ", ".join(lacks[:_MAX_LISTED]) + (" ..." if len(lacks) > _MAX_LISTED else ""))
    if adds:
        parts.append("adds " + ", ".join(adds[:_MAX_LISTED])
                     + (" ..." if len(adds) > _MAX_LISTED else ""))
    return f"{mirror} section '{section}' {where}: " + "; ".join(parts)


def section_key(heading: str) -> str:
    text = _COMMENT.sub("", heading)
    text = _NUMBERING.sub("", text.strip())
    return _BLANKS.sub(" ", text).strip().lower()


def sections_tokens(doc: MarkdownDoc) -> dict[str, dict[str, Token]]:
    """Contract tokens per section key (innermost heading; "" before the first heading)."""
    sections: dict[str, dict[str, Token]] = {}
    keys: dict[str, str] = {}  # heading -> its key: a section has many lines
    for line in code_lines(doc):
        heading = line.section[-1] if line.section else ""
        key = keys.get(heading)
        if key is None:
            key = keys[heading] = section_key(heading) if heading else ""
        bucket = sections.setdefault(key, {})
        for token in line_tokens(line.text, line.location):
            bucket.setdefault(token.text, token)
    for row in doc.table_rows:
        key = section_key(row.section[-1]) if row.section else ""
        cells = [strip_code(_COMMENT.sub("", c)) for c in row.cells]
        if len(cells) >= 2 and _SETTING.fullmatch(cells[0]) and cells[1] \
                and not re.search(r"\s", cells[1]):
            token = Token(f"{cells[0]}={cells[1]}", cells[0], row.location)
            sections.setdefault(key, {}).setdefault(token.text, token)
    return {key: tokens for key, tokens in sections.items() if tokens}


def line_tokens(text: str, location: Location) -> Iterator[Token]:
    stripped = text.strip()
    if stripped.startswith("#"):
        return
    for match in _ASSIGN.finditer(text):
        value = match.group(2).strip("\"'")
        if value and not any(ch in value for ch in "<>$"):  # placeholders are not contract values
            yield Token(f"{match.group(1)}={value}", match.group(1), location)
    for match in _SCRIPT_CMD.finditer(text):
        command = match.group(1)
        command = command[2:] if command.startswith("./") else command
        yield Token(_BLANKS.sub(" ", command), None, location)
    for match in _SYSTEMCTL.finditer(text):
        yield Token(_BLANKS.sub(" ", match.group(0)).strip(), None, location)
    for match in _UNIT.finditer(text):
        yield Token(match.group(1), None, location)


def _first_line(tokens: dict[str, Token]) -> int:
    return min((t.location.line for t in tokens.values()), default=0)
