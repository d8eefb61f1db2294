"""A contract setting, unit or start-script command that README.md never mentions.

## What it does
Looks through all of README.md (headings, prose, code spans, fences, tables,
links) for every item of the contract:

* each setting of the pack's `settings` (its name, e.g. `WATCHDOG_PID_FILE`)
  that some consumer in the repository reads (a unit, the start script, a
  Python module, the gunicorn config: see `meslint show-contract`);
* each unit in the repository the pack's `units` cover (its file name
  `x.service`, or its name as an argument of `systemctl`/`journalctl -u`);
* each command of `start_script.commands` that the start script's dispatching
  `case` accepts (`start_server.sh NAME`, or a `{start|stop|...}` usage group
  after the script name, or a table cell/code span `NAME` in a section whose
  heading names the script).

A pack entry the repository does not have (a setting nothing reads, a command
the script does not dispatch) is not a documentation gap.

One finding per missing item, on the README heading most related to the kind of
item (an environment/configuration heading for settings, a systemd heading for
units, a heading naming the script or operations for commands), else on line 1.
Nothing is reported when the repository has no README (nothing to complete).
A pack whose contract is stated across its operator docs rather than in the
README names them in `docs.contract_docs`: an item counts as documented when
any of them mentions it.  A setting with `variable: false` has no name an
operator types and is not asked for.

## Why it matters
Gate 8 asks that the README state the current runtime contract.  A worker unit
added without a README line, or a watchdog setting nobody documented, is what an
operator misses during a cutover or a rollback.

## Example
```markdown
## systemd
sudo systemctl enable --now mes-dashboard mes-dashboard-watchdog
```
With `deploy/mes-dashboard-report-worker.service` in the repository, MES802
reports `mes-dashboard-report-worker` on the "systemd" heading.

## How to fix
Document the setting, unit or command in README.md (a table row or a code span naming it is enough).

## Options
`docs.readme`, `docs.contract_docs`, `settings`, `units` and
`start_script.commands` in the contract pack.  Mentions are matched as whole tokens, case-sensitively.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.doclines import Corpus, all_texts
from meslint.doctext import contract_docs, script_subcommands, strip_code
from meslint.facts import Location, MarkdownDoc
from meslint.findings import Finding, Related

RULE = Rule("MES802", "readme-contract-undocumented", Gate.DOCUMENTATION, Severity.WARNING)

_SETTING_HEADINGS = ("environment", "configuration", "config", "settings", "contract", ".env", "環境變數",
                     "環境", "設定", "配置")
_UNIT_HEADINGS = ("systemd", "unit", "service", "服務")
_COMMAND_HEADINGS = ("operation", "usage", "start", "操作", "啟動", "運維")


def check(ctx: CheckContext) -> Iterator[Finding]:
    repo, pack = ctx.repo, ctx.pack
    docs = contract_docs(repo, pack)
    if not docs:
        return
    doc = docs[0]  # findings sit on its headings
    shown = doc.path if not pack.docs.contract_docs else f"none of {', '.join(pack.docs.contract_docs)}"
    texts = [text for each in docs for text in all_texts(each)]
    corpus = Corpus(texts)
    for spec in pack.settings:
        # Only what the repository has: a pack setting no unit, script or module reads is no gap
        # (nor one that no environment variable carries: it has no name to document).
        if not spec.variable or not ctx.resolution.for_setting(spec.name):
            continue
        if not corpus.contains_token(spec.name):
            yield RULE.finding(f"{shown} does not mention the contract setting {spec.name}",
                               _heading(doc, _SETTING_HEADINGS), subject=spec.name)
    for unit in sorted(repo.units, key=lambda u: u.path):
        if pack.unit_spec(unit.path) is None:
            continue
        if not _unit_mentioned(unit.name, corpus):
            yield RULE.finding(f"{shown} does not mention the unit {unit.name} ({unit.path})",
                               _heading(doc, _UNIT_HEADINGS), [Related(Location(unit.path, 1, 1), "the unit")],
                               subject=unit.name)
    start = pack.start_script
    script = repo.script(start.path) if start is not None else None
    if script is not None and start is not None:
        base = posixpath.basename(script.path)
        dispatched = ctx.shared(("script_subcommands", script.path), lambda: script_subcommands(script)) or set()
        for command in start.commands:
            if command not in dispatched:
                continue  # the script does not offer it: nothing to document
            if not any(_command_mentioned(each, base, command, texts) for each in docs):
                yield RULE.finding(f"{shown} does not mention the start-script command '{base} {command}'",
                                   _heading(doc, (base,) + _COMMAND_HEADINGS),
                                   subject=f"{start.path} {command}")


def _unit_mentioned(name: str, texts: Corpus) -> bool:
    stem = name[: -len(".service")] if name.endswith(".service") else name
    if texts.contains_token(name):
        return True
    if stem not in texts.joined:
        return False  # the command pattern needs the stem written out
    command = re.compile(r"\b(?:systemctl|journalctl)\b[^;&|#\n]*?(?<![\w.\-])" + re.escape(stem)
                         + r"(?:\.service)?(?![\w.\-])")
    return any(command.search(text) for text in texts.texts)


def _command_mentioned(doc: MarkdownDoc, base: str, command: str, texts: list[str]) -> bool:
    direct = re.compile(re.escape(base) + r"\s+" + re.escape(command) + r"(?![\w-])")
    group = re.compile(re.escape(base) + r"\s+[{\[(<]([^}\])>]*)[}\])>]")
    for text in texts:
        if base not in text:
            continue  # both patterns start with the script's name
        if direct.search(text):
            return True
        for match in group.finditer(text):
            if command in re.split(r"[|,\s]+", match.group(1)):
                return True
    # A table or code span that lists the command under a heading naming the script.
    for row in doc.table_rows:
        if any(base in heading for heading in row.section) and any(
                strip_code(cell) in (command, f"{base} {command}") for cell in row.cells):
            return True
    for code in doc.code:
        if code.kind == "inline" and strip_code(code.text) == command and any(base in h for h in code.section):
            return True
    return False


def _heading(doc: MarkdownDoc, words: tuple[str, ...]) -> Location:
    for word in words:
        for heading in doc.headings:
            if word.lower() in heading.text.lower():
                return heading.location
    return Location(doc.path, 1, 1)
