"""MES601's container case: the image does not run the Python the contract's runtime pins.

Not a rule of its own (no ``RULE``): :mod:`meslint.checks.conda_runtime_mismatch` yields these
findings.  A container does not run conda: the pack's container contract is the Python version
(``container.python``, by default the ``python=X.Y`` pin of the conda runtime's environment
file), which the image's base must carry.  The image's Python is the tag of an official
``python`` base image (``python:3.11-slim``, ``docker.io/library/python:3.11``), followed through
``FROM <stage>``; other bases are not judged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from meslint.checks import CheckContext, Rule
from meslint.facts import Location
from meslint.findings import Finding, Related

_PYTHON_IMAGE = re.compile(r"(?:(?:docker\.io/)?library/)?python:(?P<tag>[^@\s]+)")
_PIN = re.compile(r"python\s*(?:==?|~=)\s*(?P<version>\d+\.\d+)(?:[.*\d]*)?$")


def expected_python(ctx: CheckContext) -> tuple[str, Location | None, str] | None:
    """(MAJOR.MINOR, where it is said, how) the pack expects a container to run."""
    spec = ctx.pack.container
    if spec is not None and spec.python:
        return spec.python, None, "the pack's container.python"
    conda = ctx.pack.conda
    doc = ctx.repo.data_doc(conda.environment_file) if conda is not None else None
    if doc is None or not isinstance(doc.data, dict) or not isinstance(doc.data.get("dependencies"), list):
        return None
    for index, item in enumerate(doc.data["dependencies"]):
        match = _PIN.match(item.strip()) if isinstance(item, str) else None
        if match:
            line = doc.line_of(f"dependencies.{index}")
            return match.group("version"), Location(doc.path, line), f"{doc.path} pins python={match.group('version')}"
    return None


def container_python_findings(ctx: CheckContext, rule: Rule) -> Iterator[Finding]:
    from meslint.container_runtime import container_runs

    expected = expected_python(ctx)
    if expected is None:
        return
    version, where, how = expected
    seen: set[Location] = set()
    for run in container_runs(ctx.repo, ctx.pack):
        stage = run.stage
        while stage.base_stage is not None:  # FROM <stage>: the Python of the stage it builds on
            parent = run.dockerfile.stage(stage.base_stage)
            if parent is None or parent is stage:
                break
            stage = parent
        match = _PYTHON_IMAGE.fullmatch(stage.base)
        if match is None or stage.location in seen:
            continue
        seen.add(stage.location)
        tag = match.group("tag")
        found = re.match(r"\d+(?:\.\d+)*", tag)
        parts = found.group(0).split(".") if found else []
        image = ".".join(parts[:2])
        if image == version:
            continue
        detail = (f"runs Python {image}" if len(parts) >= 2 else
                  f"does not pin the Python minor version (tag {tag})")
        yield rule.finding(
            f"{run.dockerfile.path} builds FROM {stage.base}, which {detail}; the contract runs Python {version} "
            f"({how}): the container imports other library builds than the conda runtime", stage.location,
            [Related(where, how)] if where is not None else [], subject=f"{run.dockerfile.path} python")
