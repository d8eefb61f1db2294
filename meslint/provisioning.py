"""Where documented provisioning steps put the env template on the host.

Operators follow the README: ``cp .env.example .env``, then ``sudo cp .env /etc/mes/app.env`` or
``sudo install -m 640 .env.example /etc/mes/app.env``.  A unit whose ``EnvironmentFile=`` names a path
such a chain fills reads the template's lines there, just as one that loads the pack's
``env_file.deployed``.  This module follows the chains (``cp``/``install``/``mv``/``ln`` in fenced
blocks of the operator docs, in document order, history excluded) and returns each host path the
template reaches, with the step that puts it there as provenance.
"""

from __future__ import annotations

import posixpath

from meslint.dochistory import DocReading, Markers
from meslint.doclines import CodeHistory
from meslint.docrefs import STEP_WORDS
from meslint.doctext import code_lines, is_placeholder, operator_docs, provisioning_steps
from meslint.facts import Location, Repository
from meslint.pack import ContractPack
from meslint.records import record


@record
class TemplateFill:
    """The env template reaches ``path`` on the host through the documented step at ``step``."""

    path: str
    step: Location
    text: str  # the step as written, for messages


def template_fills(repo: Repository, pack: ContractPack) -> tuple[TemplateFill, ...]:
    """Host paths the documented steps fill from the pack's env template (computed once per run)."""
    if not pack.env_file.configured or not pack.env_file.template:
        return ()
    return repo.memo("provisioning.template_fills", lambda: _fills(repo, pack))


def _fills(repo: Repository, pack: ContractPack) -> tuple[TemplateFill, ...]:
    # Repository-relative names that hold the template's lines: the template itself, and what a
    # relative copy of it makes (`cp .env.example .env`).
    holds_template = {_relative(pack.env_file.template)}
    found: dict[str, TemplateFill] = {}
    markers = Markers.of(pack)
    for doc in operator_docs(repo, pack):
        if not any(code.kind == "block" and any(word in code.text for word in STEP_WORDS) for code in doc.code):
            continue  # no step at all: spare the history reading of the whole document
        # A step under a history heading or in a sentence that says it is old is not what operators do
        # now; only the lines with a step are judged.
        history = CodeHistory(doc, DocReading.of(doc, markers, may_be_record=False))
        for line in code_lines(doc):
            steps = list(provisioning_steps(line))
            if not steps or history.of(line):
                continue
            for verb, operands, _offset in steps:
                if verb not in ("cp", "install", "mv", "ln") or len(operands) < 2 \
                        or any(is_placeholder(word) for word in operands):
                    continue
                *sources, target = operands
                if not any(_relative(source) in holds_template for source in sources):
                    continue
                if target.startswith("/"):
                    path = posixpath.normpath(target)
                    found.setdefault(path, TemplateFill(path, line.location, " ".join(line.text.split())))
                elif not target.startswith(("~", "$")):
                    holds_template.add(_relative(target))
    return tuple(sorted(found.values(), key=lambda fill: fill.path))


def _relative(path: str) -> str:
    return posixpath.normpath(path.removeprefix("./")) if not path.startswith("/") else path
