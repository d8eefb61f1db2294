"""README or an operator doc links to or names a repository file that does not exist.

## What it does
Checks every repository path README.md, the mirrors and the pack's operator docs
point at:

* relative Markdown links and images: `#anchor` and `?query` stripped,
  URL-decoded, taken relative to the document's directory (`/x` from the
  repository root); in a MkDocs site (`mkdocs.yml` beside `docs/`), a link that is
  not to a `.md` file is also read as a URL relative to the page's address
  (`docs/a/b.md` is served at `a/b/`);
* paths named in code spans and fences: a directory part and a file extension
  (`./scripts/x.sh`, `scripts/x.py`, `docs/x.md`, `deploy/x.service`, also the
  Windows spelling `scripts\\x.bat`), taken from the repository root, or from the
  document's directory when that is where the file is, or from the deploy root's
  parent (`app/gunicorn.py` after `cd /opt` for the deploy root `/opt/app`, known
  when the repository or the pack's `install` map puts it there).

Not checked: URLs, `mailto:`, absolute system paths (`/etc`, `/opt`, ...), `~`,
globs, placeholders (`<name>`, `$VAR`, `...`, a release `X.Y.Z`, `path/to/x.py`, `foo/bar.py`,
`your_app/x.py`), paths outside the repository, files under run- or build-time directories (`tmp/`,
`logs/`, `data/`, `static/`, `dist/`, `build/`, `node_modules/`, `*.egg-info/`, `__pycache__/`,
`site-packages/`, ...) or the pack's `docs.generated` globs, `diff` fences and diff headers
(`--- a/x.py`, `+++ b/x.py`, a path under `a/` or `b/` where the repository has no such directory),
another project's files (under a host name such as `github.com/owner/repo/...`, or under a directory
the document `git clone`s another project into), in an example (its heading, its sentence or the
sentence above its fence says example, e.g., 例如, 範例) a path whose first directory the repository
does not have, documents the pack marks
`historical`, record documents (their first heading says inventory, audit,
report, 盤點, 報告: they name what existed when they were written), and places
that tell history as MES801 reads them: a history heading ("變更紀錄",
"Changelog"), a sentence, list item or table row with a `docs.history_markers`
word ("舊版 `scripts/x.sh` 已移除"), a fence comment with one.

## Why it matters
A runbook that says `./scripts/start_dashboard.bat` or links the migration
runbook after the file was deleted is the first thing an operator follows
during an incident; it fails exactly when it is needed (gate 8).

## Example
```markdown
See [the runbook](docs/migration_gates_and_runbook.md#rollback).   <!-- file deleted -->
```

## How to fix
Fix the link or the name to the file's current path, or remove the reference if the file is gone for
good.

meslint suggests the closest existing path (a file with the same name, the most alike path first;
else a path at least 75% alike) as a display-only fix: JSON and SARIF carry it and `--show-fixes`
lists it, but `--fix` never applies it, since only the author knows whether the document meant that
file.

## Options
`docs.readme`, `docs.mirrors`, `docs.operator_docs`, `docs.historical`,
`docs.historical_markers`, `docs.history_markers`, `docs.history_headings`,
`docs.record_titles` and `docs.generated` in the contract pack.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from urllib.parse import unquote

from meslint.autofix.moved_path import suggest
from meslint.checks import CheckContext, FixApplicability, Gate, Rule, Severity
from meslint.dochistory import DocReading, Markers
from meslint.doclines import CodeHistory
from meslint.docpaths import code_path_refs as _code_path_refs
from meslint.docpaths import link_ref, names_no_file_here, path_known
from meslint.doctext import code_lines, operator_docs
from meslint.facts import Location, Repository
from meslint.findings import Finding, Related
from meslint.pack import ContractPack

RULE = Rule("MES805", "doc-dangling-reference", Gate.DOCUMENTATION, Severity.ERROR, FixApplicability.DISPLAY_ONLY)


def check(ctx: CheckContext) -> Iterator[Finding]:
    repo, pack = ctx.repo, ctx.pack
    markers = Markers.of(pack)
    for doc in operator_docs(repo, pack, mirrors=True):
        reading = DocReading.of(doc, markers,
                                may_be_record=doc.path != pack.docs.readme and doc.path not in pack.docs.mirrors)
        if reading.record:
            continue  # an inventory, audit or sync report names what existed when it was written
        # One finding per missing path and document, at its first mention; the others are related.
        missing: dict[str, list[tuple[Location, str]]] = {}
        for link in doc.links:
            path = link_ref(doc, link.target)
            if path is None or path == "" or repo.path_exists(path) or _site_page(repo, doc.path, link.target):
                continue
            if reading.line_tells_history(link.location.line, link.text or link.target, link.section):
                continue  # judged last: most links name a file that is there
            missing.setdefault(path, []).append((link.location, f"links to {link.target}, but {path}"))
        doc_dir = posixpath.dirname(doc.path)
        history = CodeHistory(doc, reading)  # judged only for the lines that name a path
        for line in code_lines(doc):
            refs = list(_code_path_refs(line))
            if not refs or history.of(line):
                continue
            for path, offset in refs:
                if path_known(repo, path, doc_dir) or _from_deploy_parent(pack, repo, path) \
                        or names_no_file_here(repo, pack, doc, line, path):
                    continue
                location = line.location
                if line.source == "block":
                    location = Location(doc.path, line.location.line, line.location.column + offset)
                missing.setdefault(path, []).append((location, f"names {path}, which"))
        for path, places in missing.items():
            places = sorted(set(places))
            location, how = places[0]
            also = f" (mentioned {len(places)} times)" if len(places) > 1 else ""
            related = [Related(loc, f"also mentioned here ({what.split(',')[0]})") for loc, what in places[1:]]
            yield RULE.finding(f"{doc.path} {how} does not exist in the repository{also}",
                               location, related, subject=path, fix=suggest(repo, path, location))


def _site_page(repo: Repository, doc_path: str, target: str) -> bool:
    """Whether a relative link of a MkDocs page (``mkdocs.yml`` beside ``docs/``) names a page of the
    built site: MkDocs serves ``docs/a/b.md`` at ``a/b/``, and a link that is not to a ``.md`` file
    is a URL relative to that page's address (``../../configuration/x/`` from ``installation/y/``)."""
    target = target.split("#", 1)[0].split("?", 1)[0]
    if (not target or target.startswith("/") or target.endswith(".md") or "://" in target
            or not doc_path.startswith("docs/") or not repo.path_exists("mkdocs.yml")):
        return False
    page = doc_path[len("docs/"):-len(".md")] if doc_path.endswith(".md") else doc_path[len("docs/"):]
    name = posixpath.basename(page)
    base = posixpath.dirname(page) if name in ("index", "README") else page  # use_directory_urls
    url = posixpath.normpath(posixpath.join(base, unquote(target)))
    if url == ".." or url.startswith("../"):
        return False
    url = "" if url == "." else url
    candidates = (f"docs/{url}", f"docs/{url}.md", posixpath.join("docs", url, "index.md"),
                  posixpath.join("docs", url, "README.md"))
    return any(repo.path_exists(candidate) for candidate in candidates if candidate.rstrip("/") != "docs")


def _from_deploy_parent(pack: ContractPack, repo: Repository, path: str) -> bool:
    """A path written from the deploy root's parent (``netbox/gunicorn.py`` after ``cd /opt`` for the
    deploy root /opt/netbox): known when the repository holds it or installing puts it there."""
    root_name, _, rest = path.partition("/")
    if not rest or root_name != posixpath.basename(pack.deploy_root.rstrip("/")):
        return False
    return repo.path_exists(rest) or pack.installs(rest)

