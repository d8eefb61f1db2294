"""Repository paths that documents name (MES805): links, paths in code, placeholders, what exists.

Split from :mod:`meslint.doctext`, which reads the *claims* documents make about the contract;
this module reads the *references* they make to files.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from urllib.parse import unquote

from meslint.doctext import DocLine, is_placeholder
from meslint.facts import MarkdownDoc, Repository
from meslint.globs import matches_any
from meslint.pack import ContractPack

_PATH_EXTENSIONS = {
    "sh", "bash", "py", "md", "mdj", "markdown", "rst", "txt", "service", "timer", "socket", "target",
    "bat", "cmd", "ps1", "toml", "yml", "yaml", "cfg", "ini", "conf", "sql", "ts", "js", "mjs", "vue",
    "html", "css", "example", "template", "spec", "json",
}
# Directories whose files are produced at run or build time, not kept in the repository.
_GENERATED_TOP = {"tmp", "logs", "log", "run", "var", "data", "static", "htmlcov", "coverage", ".cache"}
_GENERATED_ANY = {"dist", "build", "node_modules", "__pycache__", ".venv", "venv", "site-packages", "dist-packages",
                  ".tox", ".nox", ".eggs", ".pytest_cache", ".mypy_cache", "htmlcov"}
_OPTION_PREFIX = re.compile(r"^[\w-]+=")
_PATH_TOKEN = re.compile(r"[^\s\"'`()<>\[\]{}，。：；、（）]+")


def link_ref(doc: MarkdownDoc, target: str) -> str | None:
    """The repository path a relative Markdown link points to, or ``None`` when it is not one."""
    target = target.strip().strip("<>")
    if not target or target.startswith(("#", "mailto:", "tel:", "data:", "javascript:", "//")):
        return None
    if re.match(r"[A-Za-z][A-Za-z0-9+.\-]*:", target):
        return None  # URL (http:, ftp:, ...) or a Windows drive
    target = target.split("#", 1)[0].split("?", 1)[0]
    if not target:
        return None
    target = unquote(target)
    if is_placeholder(target):
        return None
    if target.startswith("/"):
        joined = target.lstrip("/")
    else:
        joined = posixpath.join(posixpath.dirname(doc.path), target)
    normalized = posixpath.normpath(joined)
    if normalized.startswith("../") or normalized == "..":
        return None  # outside the repository
    return "" if normalized == "." else normalized


def code_path_refs(line: DocLine) -> Iterator[tuple[str, int]]:
    """Repository-relative file paths named on a code line, with their offsets.

    A candidate has a directory part and a file extension meslint knows
    (``scripts/x.sh``, ``./docs/a.md``, ``deploy\\x.service`` in Windows
    spelling).  Absolute paths, ``~``, URLs, globs, placeholders (``<...>``,
    ``$VAR``), parent-relative paths and files under generated directories
    (``tmp/``, ``logs/``, ``dist/``, ...) are not candidates.
    """
    if "/" not in line.text and "\\" not in line.text:
        return  # every candidate has a directory part, in one spelling or the other
    for match in _PATH_TOKEN.finditer(line.text):
        token = match.group(0).rstrip(".,;:!?")
        if "/" not in token and "\\" not in token:
            continue  # no directory part, in either spelling: the common case, ruled out cheaply
        token = _OPTION_PREFIX.sub("", token)  # --config=path, KEY=path
        if "\\" in token and "/" not in token and re.fullmatch(r"[\w.\-]+(?:\\[\w.\-]+)+", token):
            token = token.replace("\\", "/")
        if "/" not in token or "://" in token or is_placeholder(token):
            continue
        if token.startswith(("/", "~", "../", "-", "@", "http")):
            continue
        if token.startswith("./"):
            token = token[2:]
        parts = token.split("/")
        if any(p in {"", ".", ".."} for p in parts[:-1]) or not parts[-1]:
            continue
        name = parts[-1]
        if "." not in name.strip(".") or name.rsplit(".", 1)[-1].lower() not in _PATH_EXTENSIONS:
            continue
        directories = {p.lower() for p in parts[:-1]}
        if parts[0].lower() in _GENERATED_TOP or _GENERATED_ANY & directories \
                or any(d.endswith(".egg-info") for d in directories) or not re.match(r"[\w.]", parts[0]):
            continue
        if _placeholder_path(parts):
            continue
        yield token, match.start()


def path_known(repo: Repository, path: str, doc_dir: str = "") -> bool:
    """Whether a path a document names is in the repository.

    Taken from the repository root, then from the document's directory.  A path
    whose first directory is not a top-level directory of the repository is
    package-relative shorthand (``core/response.py`` for
    ``src/mes_dashboard/core/response.py``): it is known when some repository
    path ends with it.
    """
    if repo.path_exists(path) or (doc_dir and repo.path_exists(posixpath.join(doc_dir, path))):
        return True
    top = path.split("/", 1)[0]
    if top in _top_level_dirs(repo):
        return False
    return repo.has_path_ending(path)


def _top_level_dirs(repo: Repository) -> frozenset[str]:
    return repo.memo("docpaths.top_dirs", lambda: frozenset(p.split("/", 1)[0] for p in repo.all_paths if "/" in p))


# --------------------------------------------------------------------------- names of no file here

# Segments that make a path an illustration, wherever it is written: `path/to/app.py`, `foo/bar.py`.
_PLACEHOLDER_SEGMENT = re.compile(r"(foo|bar|baz|qux|xxx|yyy|zzz|your[-_]?\w*|my[-_]\w+|some[-_]\w+)\Z", re.I)
# Words that make the prose around a path (or its section's heading) an example.
_EXAMPLE_MARKERS = ("example", "e.g.", "for instance", "such as", "sample", "例如", "範例", "范例", "示例", "例子",
                    "比如", "舉例", "举例")
_DIFF_HEADER = re.compile(r"\s*(---|\+\+\+|diff --git|diff -[a-z]*u|index [0-9a-f]+\.\.)\s")
# A first directory that is a host (`github.com/owner/repo/blob/main/x.py`): another project's file.
_HOST = re.compile(r"[\w-]+(\.[\w-]+)*\.(com|org|net|io|dev|edu|gov|co|info|app|cloud|tw|cn|jp|de|uk)\Z", re.I)
_CLONE = re.compile(r"\bgit\s+clone\s+(.*)")


def _placeholder_path(parts: list[str]) -> bool:
    lowered = [p.lower() for p in parts]
    if any(a == "path" and b == "to" for a, b in zip(lowered, lowered[1:], strict=False)):
        return True
    return any(_PLACEHOLDER_SEGMENT.match(p) for p in parts[:-1])


def names_no_file_here(repo: Repository, pack: ContractPack, doc: MarkdownDoc, line: DocLine, path: str) -> bool:
    """Whether a path on a code line names no file of this repository's tree at all (so MES805 does not
    ask for it): a side of a diff header (``--- a/x.py``, ``b/x.py``), another project's file (under a
    host name, a project the document clones, ``site-packages``), an illustration in an example, or a
    build output the pack names (``docs.generated``)."""
    first = path.split("/", 1)[0]
    top_dirs = _top_level_dirs(repo)
    if _DIFF_HEADER.match(line.text) or (first in {"a", "b"} and first not in top_dirs):
        return True
    if _HOST.match(first) or (first not in top_dirs and first in _cloned_projects(repo, pack, doc)):
        return True
    if pack.docs.generated and matches_any(path, pack.docs.generated):
        return True
    return first not in top_dirs and _in_example(repo, doc, line)


def _cloned_projects(repo: Repository, pack: ContractPack, doc: MarkdownDoc) -> frozenset[str]:
    """Directories the document's commands clone other projects into (``git clone URL [DIR]``); this
    repository's own checkout (the deploy root's name, or ``.``) is not one."""

    def compute() -> frozenset[str]:
        own = {posixpath.basename(pack.deploy_root.rstrip("/")), ".", ""}
        found = set()
        for code in doc.code:
            for text in code.text.split("\n"):
                match = _CLONE.search(text)
                if match is None:
                    continue
                words = [w for w in match.group(1).split() if not w.startswith("-")]
                url = next((w for w in words if "://" in w or w.startswith("git@")), None)
                if url is None:
                    continue
                after = words[words.index(url) + 1:]
                name = after[0] if after and after[0] not in {"&&", ";", "|"} else url.rstrip("/").rsplit("/", 1)[-1]
                name = name.removesuffix(".git").rsplit(":", 1)[-1]
                if name not in own:
                    found.add(name)
        return frozenset(found)

    return repo.memo(("docpaths.cloned", doc.path), compute)


def _in_example(repo: Repository, doc: MarkdownDoc, line: DocLine) -> bool:
    """Whether a code line shows an example: its section's heading, the prose on its line (a span) or
    just above its fence (a block), or a comment line of its block above it says so."""
    if any(_says_example(heading) for heading in line.section):
        return True
    prose = repo.memo(("docpaths.prose", doc.path), lambda: {t.location.line: t.text for t in doc.text})
    if line.source != "block":
        return _says_example(prose.get(line.location.line, ""))
    code = doc.code[line.block] if 0 <= line.block < len(doc.code) else None
    if code is None:
        return False
    fence = code.location.line - 1
    above = [prose[n] for n in range(fence - 1, max(fence - 6, 0), -1) if n in prose][:1]
    if _says_example(code.info) or any(_says_example(text) for text in above):
        return True
    body = code.text.split("\n")[:line.location.line - code.location.line]
    return any(text.strip().startswith(("#", "//", ";")) and _says_example(text) for text in body)


def _says_example(text: str) -> bool:
    lowered = text.lower()
    return any(marker in lowered for marker in _EXAMPLE_MARKERS)
