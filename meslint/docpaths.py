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

_PATH_EXTENSIONS = {
    "sh", "bash", "py", "md", "mdj", "markdown", "rst", "txt", "service", "timer", "socket", "target",
    "bat", "cmd", "ps1", "toml", "yml", "yaml", "cfg", "ini", "conf", "sql", "ts", "js", "mjs", "vue",
    "html", "css", "example", "template", "spec", "json",
}
# Directories whose files are produced at run or build time, not kept in the repository.
_GENERATED_TOP = {"tmp", "logs", "log", "run", "var", "data", "static", "htmlcov", "coverage", ".cache"}
_GENERATED_ANY = {"dist", "build", "node_modules", "__pycache__", ".venv", "venv"}
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
        if parts[0].lower() in _GENERATED_TOP or _GENERATED_ANY & {p.lower() for p in parts[:-1]} \
                or not re.match(r"[\w.]", parts[0]):
            continue
        yield token, match.start()


# A release number written as a placeholder: `netbox-X.Y.Z/`, `vX.Y`.
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
