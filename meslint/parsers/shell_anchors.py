"""Root anchoring for the bash script parser: which words are statically the
script's own location or a directory below the repository root.

``$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)``, ``$(dirname "$(readlink -f
"$0")")``, ``$(realpath "$(dirname "$0")/..")`` and the same built on an earlier
anchored variable become ``@ROOT`` or ``@ROOT/sub/dir``, computed from the
script's repository path.  Used by :mod:`meslint.parsers.shell` through
:class:`RootAnchors`, a base of its extractor.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from meslint import root_derivation
from meslint.facts import ROOT_TOKEN
from meslint.template import DOUBLE_QUOTED, UNQUOTED, unescape

if TYPE_CHECKING:
    from tree_sitter import Node

# Spellings of "this script's own path".
_SCRIPT_PATH = re.compile(r"\$(0|\{0\}|BASH_SOURCE|\{BASH_SOURCE(\[0\])?(:?-(\$0|\$\{0\}))?\})")


def unescape_unquoted(text: str) -> str:
    return unescape(text, UNQUOTED)


def unescape_dq(text: str) -> str:
    return unescape(text, DOUBLE_QUOTED)


class NodeText:
    """Source text of tree-sitter nodes (``src`` is the script as UTF-8)."""

    src: bytes

    def _text(self, node: Node) -> str:
        return self.src[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def _slice(self, start: int, end: int) -> str:
        return self.src[start:end].decode("utf-8", "replace")


class RootAnchors(NodeText):
    """Evaluates words that are root anchors; ``anchored`` maps variables already
    known to hold one to their path segments below the root."""

    anchored: dict[str, tuple[str, ...]]
    script_segs: tuple[str, ...]
    script_dir_segs: tuple[str, ...]

    def _levels(self, segs: tuple[str, ...]) -> int:
        ups = root_derivation.above(segs)
        if ups:  # above the root: every directory of the script's, then the rest
            return len(self.script_dir_segs) + ups
        common = 0
        for a, b in zip(self.script_dir_segs, segs, strict=False):
            if a != b:
                break
            common += 1
        return len(self.script_dir_segs) - common

    def _anchor_word(self, node: Node) -> tuple[str, ...] | None:
        """Path segments (below the root) when a whole word is a root anchor."""
        if node.type not in ("string", "concatenation", "command_substitution"):
            return None
        raw = self.src[node.start_byte : node.end_byte]
        if b"$(" not in raw and b"`" not in raw:
            return None  # no command substitution: cannot be an anchor
        return self._path_word(node, allow_vars=False)

    def _path_word(self, node: Node, *, allow_vars: bool) -> tuple[str, ...] | None:
        """Evaluate a word that is <script path or anchor> followed by static text."""
        pieces = self._pieces(node)
        if not pieces or isinstance(pieces[0], str):
            return None
        base = self._path_piece(pieces[0], allow_vars=allow_vars)
        if base is None:
            return None
        suffix = ""
        for piece in pieces[1:]:
            if not isinstance(piece, str):
                return None
            suffix += piece
        if not suffix:
            return base
        if not suffix.startswith("/"):
            return None
        return join_segments(base, suffix)

    def _pieces(self, node: Node) -> list[Any]:
        """Flatten a word into static strings and expansion nodes."""
        kind = node.type
        if kind in ("string", "concatenation"):
            out: list[Any] = []
            unescape = unescape_dq if kind == "string" else unescape_unquoted
            for child in node.children:
                if not child.is_named:
                    if kind == "concatenation":
                        out.append(self._text(child))
                    continue
                if child.type == "string_content":
                    out.append(unescape(self._text(child)))
                else:
                    out.extend(self._pieces(child))
            return _merge_static(out)
        if kind == "word":
            return [unescape_unquoted(self._text(node))]
        if kind == "raw_string":
            return [self._text(node)[1:-1]]
        return [node]

    def _path_piece(self, node: Node, *, allow_vars: bool) -> tuple[str, ...] | None:
        kind = node.type
        if kind == "command_substitution":
            return self._anchor_subst(node)
        if kind in ("simple_expansion", "expansion"):
            text = self._text(node)
            if _SCRIPT_PATH.fullmatch(text):
                return self.script_segs
            if allow_vars:
                name = text[1:].strip("{}")
                return self.anchored.get(name)
        return None

    def _anchor_subst(self, node: Node) -> tuple[str, ...] | None:
        """Segments for ``$(...)`` whose output is statically a path in the repository."""
        statements = [c for c in node.named_children if c.type != "comment"]
        if len(statements) == 1 and statements[0].type == "list":
            statements = [c for c in statements[0].children if c.type not in ("comment", "&&", ";")]
            if any(not c.is_named for c in statements):
                return None  # `||` or other operators: not a plain sequence
        if len(statements) == 2:
            return self._cd_pwd(statements[0], statements[1])
        if len(statements) == 1 and statements[0].type == "command":
            return self._path_command(statements[0])
        return None

    def _cd_pwd(self, first: Node, second: Node) -> tuple[str, ...] | None:
        if first.type == "redirected_statement":  # cd X >/dev/null && pwd
            first = first.child_by_field_name("body") or first
        if first.type != "command" or second.type != "command":
            return None
        cd_args = self._static_args(first, "cd")
        pwd_args = self._static_args(second, "pwd")
        if cd_args is None or pwd_args is None or pwd_args[1:] and pwd_args[1:] not in (["-P"], ["-L"]):
            return None
        args = [a for a in cd_args[1:] if not (isinstance(a, str) and a in ("-P", "-L", "--"))]
        if len(args) != 1 or isinstance(args[0], str):
            return None
        return self._path_word(args[0], allow_vars=True)

    def _path_command(self, node: Node) -> tuple[str, ...] | None:
        for name in ("dirname", "realpath", "readlink"):
            args = self._static_args(node, name)
            if args is None:
                continue
            operands = [a for a in args[1:] if not (isinstance(a, str) and a.startswith("-"))]
            if len(operands) != 1 or isinstance(operands[0], str):
                return None
            if name == "readlink" and not any(isinstance(a, str) and a in ("-f", "-e", "-m") for a in args[1:]):
                return None  # plain readlink prints the link target, not a path we know
            segs = self._path_word(operands[0], allow_vars=True)
            if segs is None:
                return None
            if name == "dirname":
                return root_derivation.parent(segs)
            return segs
        return None

    def _static_args(self, node: Node, name: str) -> list[Any] | None:
        """argv of a command named ``name``: static words as str, others as nodes."""
        cmd_name = node.child_by_field_name("name")
        if cmd_name is None or self._text(cmd_name) != name:
            return None
        args: list[Any] = [name]
        for i, child in enumerate(node.children):
            if node.field_name_for_child(i) != "argument":
                continue
            if child.type == "word":
                args.append(unescape_unquoted(self._text(child)))
            elif child.type == "raw_string":
                args.append(self._text(child)[1:-1])
            else:
                args.append(child)
        if any(c.type == "variable_assignment" for c in node.children):
            return None
        return args


def _merge_static(pieces: list[Any]) -> list[Any]:
    out: list[Any] = []
    for piece in pieces:
        if isinstance(piece, str) and out and isinstance(out[-1], str):
            out[-1] += piece
        elif piece != "":
            out.append(piece)
    return out


def join_segments(base: tuple[str, ...], suffix: str) -> tuple[str, ...]:
    """``base/suffix`` folded; a landing above the repository root keeps its ``..`` (see root_derivation)."""
    return root_derivation.join(base, suffix)


def root_template(segs: tuple[str, ...]) -> str:
    return root_derivation.render(segs)


def segments_of(value: str) -> tuple[str, ...]:
    return tuple(s for s in value[len(ROOT_TOKEN) :].split("/") if s)
