"""Where a root derived from a file's own location lands, relative to the repository root.

One evaluator for both sides: the bash parser (``$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)``,
``dirname "$0"``, ``readlink -f``, ``realpath``) and the Python collector
(``Path(__file__).resolve().parents[N]``, ``.parent`` chains, ``os.path.dirname`` chains,
``os.path.join(..., "..")``, ``os.path.abspath``) reduce a derivation to *steps* on the file's
repository path; this module applies them.

A landing is a tuple of path segments below the repository root: ``()`` is the root itself,
``("scripts",)`` one level below it, ``("..",)`` one level above it (a derivation may climb out
of the repository; the result is still known, and wrong).  :func:`render` writes a landing as a
template (``@ROOT``, ``@ROOT/scripts``, ``@ROOT/..``), :func:`landing_of` reads one back.
"""

from __future__ import annotations

from meslint.facts import ROOT_TOKEN

Landing = tuple[str, ...]


def file_segments(path: str) -> Landing:
    """The segments of a repository-relative file path (the file itself, not its directory)."""
    return tuple(s for s in path.split("/") if s not in ("", "."))


def parent(landing: Landing, steps: int = 1) -> Landing:
    """``dirname`` applied ``steps`` times; above the root each step adds a ``..``."""
    segs = list(landing)
    for _ in range(steps):
        if segs and segs[-1] != "..":
            segs.pop()
        else:
            segs.append("..")
    return tuple(segs)


def join(landing: Landing, suffix: str) -> Landing:
    """``landing/suffix`` with ``.`` and ``..`` folded (``cd`` and ``realpath`` do the same)."""
    segs = list(landing)
    for part in suffix.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            segs[:] = parent(tuple(segs))
        else:
            segs.append(part)
    return tuple(segs)


def render(landing: Landing) -> str:
    return ROOT_TOKEN + "".join("/" + s for s in landing)


def landing_of(template: str) -> Landing | None:
    """The landing of a static ``@ROOT...`` template (folded), None for anything else."""
    if not template.startswith(ROOT_TOKEN):
        return None
    rest = template[len(ROOT_TOKEN):]
    if rest and not rest.startswith("/") or "$" in rest or "`" in rest or "\\" in rest:
        return None
    return join((), rest)


def above(landing: Landing) -> int:
    """How many levels above the repository root the landing is (0 when inside it)."""
    count = 0
    for seg in landing:
        if seg != "..":
            break
        count += 1
    return count


def describe(landing: Landing) -> str:
    """Where ``landing`` is, as a reader would say it: "on scripts/, 1 level below the repository root"."""
    if not landing:
        return "on the repository root"
    ups = above(landing)
    if ups == len(landing):
        return f"{ups} level{'s' if ups > 1 else ''} above the repository root"
    if ups:
        return f"on {'/'.join(landing)}, outside the repository"
    depth = len(landing)
    return f"on {'/'.join(landing)}/, {depth} level{'s' if depth > 1 else ''} below the repository root"


# Names that say "the repository (project) root" -- not a package, static or SQL directory.
_ROOT_QUALIFIERS = frozenset({"project", "repo", "repository", "deploy", "default", "base", "top"})
_DIR_NAMES = frozenset({("project", "dir"), ("repo", "dir"), ("repository", "dir"), ("base", "dir"),
                        ("project", "home"), ("deploy", "dir"), ("top", "dir")})


def names_root(name: str) -> bool:
    """Whether a variable's name says it holds the repository root (``ROOT``, ``PROJECT_ROOT``,
    ``_REPO_ROOT``, ``BASE_DIR``, ``DEFAULT_PROJECT_ROOT``); ``SRC_ROOT`` and ``STATIC_ROOT`` do not."""
    words = tuple(w for w in name.lower().strip("_").split("_") if w)
    if not words:
        return False
    if words[-1] in ("root", "rootdir"):
        return all(q in _ROOT_QUALIFIERS for q in words[:-1])
    if len(words) >= 2 and words[-2:] in _DIR_NAMES:
        return all(q in _ROOT_QUALIFIERS for q in words[:-2])
    return False
