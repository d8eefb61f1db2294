"""Bash words -> templates (see :mod:`meslint.template`) for the script parser.

Quotes are removed, static text is kept with ``\\``, ``$``, a backtick and ``}``
escaped by a backslash (:func:`meslint.template.literal`), ``$VAR`` is
normalised to ``${VAR}``, ``${VAR:-word}`` keeps its (converted) default -- its
word decoded as bash decodes it inside or outside double quotes -- and any
other expansion keeps its source text, which the evaluator treats as unknown.
Escapes and ``$'...'`` are decoded by :mod:`meslint.template`, the routines the
env-file bash reader uses too.  Used by :mod:`meslint.parsers.shell` through
:class:`WordTemplates`, a base of its extractor.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from meslint.facts import ROOT_TOKEN
from meslint.parsers.shell_anchors import RootAnchors, join_segments, root_template, unescape_dq, unescape_unquoted
from meslint.template import (
    DOUBLE_QUOTED,
    DOUBLE_QUOTED_BRACE,
    UNKNOWN,
    UNQUOTED,
    ansi_c_end,
    decode_ansi_c,
    unescape,
)
from meslint.template import literal as _lit

if TYPE_CHECKING:
    from tree_sitter import Node

_DEFAULT_OPS = frozenset({":-", "-", ":=", "=", ":+", "+", ":?", "?"})
_SPECIAL = re.compile(r"[$`'\"\\}]")
# Unquoted text without quotes or expansions (escaped characters allowed).
_STATIC_UNQUOTED = re.compile(r"(?:\\.|[^'\"$`\\])*", re.S)


class WordTemplates(RootAnchors):
    """Templates of word nodes (command-substitution anchors become ``@ROOT...``)."""

    def _tmpl(self, node: Node) -> str:
        text = self._text(node)
        if not _SPECIAL.search(text):
            return text  # plain static text: nothing to unquote, escape or expand
        kind = node.type
        if kind == "word":
            return _lit(unescape_unquoted(text))
        if kind in ("string", "translated_string"):
            return self._join(node, unescape_dq, skip_delims=True)
        if kind == "concatenation":
            return self._join(node, unescape_unquoted, skip_delims=False)
        if kind == "string_content":
            return _lit(unescape_dq(text))
        if kind == "raw_string":
            return _lit(text[1:-1])
        if kind == "ansi_c_string":
            end = ansi_c_end(text, 2)
            if end == len(text) - 1:
                return _lit(decode_ansi_c(text[2:end]))
            # tree-sitter-bash runs ``$'\\\\'`` on to a later quote.  When the rest is
            # unquoted text (``$'\\\\'\\'``) it is read here; otherwise the tokens
            # after it are misaligned too, and the value is unknown rather than wrong.
            if 0 <= end and _STATIC_UNQUOTED.fullmatch(text, end + 1):
                return _lit(decode_ansi_c(text[2:end])) + _lit(unescape_unquoted(text[end + 1 :]))
            return UNKNOWN
        if kind == "simple_expansion":
            lead, start = self._lead(node, "$")
            return lead + "${" + self._slice(start + 1, node.end_byte) + "}"
        if kind == "expansion":
            return self._expansion(node)
        if kind == "command_substitution":
            segs = self._anchor_subst(node)
            return text if segs is None else root_template(segs)
        if kind in ("number", "extglob_pattern", "brace_expression", "regex"):
            return _lit(text)
        # $((...)), <(...), arrays, ...: source text, unknown to the evaluator.
        return text

    def _join(self, node: Node, unescape: Any, *, skip_delims: bool) -> str:
        """Template of a node made of pieces; text between named pieces is static."""
        children = node.children
        pos = node.start_byte
        end = node.end_byte
        if skip_delims and children and not children[0].is_named:
            # Quotes are the first (``"`` or ``$"``) and last bytes; tree-sitter-bash
            # sometimes makes blanks next to them part of the quote token (``" "``).
            pos = node.start_byte + 1 if node.type == "string" else children[0].end_byte
            if len(children) > 1 and not children[-1].is_named:
                end = node.end_byte - 1
        parts: list[str] = []
        for child in children:
            if not child.is_named or child.start_byte < pos or child.end_byte > end:
                continue
            if child.start_byte > pos:
                parts.append(_lit(unescape(self._slice(pos, child.start_byte))))
            parts.append(self._tmpl(child))
            pos = child.end_byte
        if pos < end:
            parts.append(_lit(unescape(self._slice(pos, end))))
        result = "".join(parts)
        return _normalise_root(result) if ROOT_TOKEN in result else result

    def _expansion(self, node: Node) -> str:
        children = node.children
        lead, start = self._lead(node, "${")
        source = lead + self._slice(start, node.end_byte)
        # Shape: "${" NAME [OP WORD...] "}"; anything else keeps its source text.
        if len(children) < 3 or children[1].type not in ("variable_name", "special_variable_name"):
            return source
        name = self._text(children[1])
        rest = children[2:-1]
        if not rest:
            return lead + "${" + name + "}"
        op = rest[0].type
        if op not in _DEFAULT_OPS or rest[0].is_named:
            return source
        word_end = children[-1].start_byte
        raw_word = self._slice(rest[0].end_byte, word_end)
        if (len(raw_word) - len(raw_word.rstrip("\\"))) % 2:
            # tree-sitter-bash closed the expansion at an escaped ``}`` (``${A:-x\\}}``):
            # keep the source, which the evaluator cannot match -- unknown, not wrong.
            return source
        word = self._brace_word(rest[1:], rest[0].end_byte, word_end, _inside_double_quotes(node))
        return lead + "${" + name + op + word + "}"

    def _lead(self, node: Node, token: str) -> tuple[str, int]:
        """(template of stray text before ``token``, offset of ``token``) for an expansion node.

        tree-sitter-bash sometimes folds blanks or escapes before ``$`` into the
        expansion's first token (``" ${C}"``, ``"\\ $A"``); they are static text.
        """
        first = node.children[0] if node.children else node
        start = first.end_byte - len(token)
        if start <= node.start_byte:
            return "", node.start_byte
        context = DOUBLE_QUOTED if _inside_double_quotes(node) else UNQUOTED
        return _lit(unescape(self._slice(node.start_byte, start), context)), start

    def _brace_word(self, nodes: list[Node], pos: int, end: int, in_dq: bool) -> str:
        """Template of the word of ``${NAME<op>word}``, decoded as bash decodes it there.

        Inside double quotes a backslash escapes only ``$ ` " \\ }`` and single
        quotes are literal; unquoted, a backslash escapes anything.  Static source
        text is decoded in whole runs: tree-sitter-bash may split an escape across
        nodes (``${B:-\\\\}``).
        """
        escapable = DOUBLE_QUOTED_BRACE if in_dq else UNQUOTED
        parts: list[str] = []
        for child in _flatten_concatenations(nodes):
            if not child.is_named or child.type == "word" or (child.type == "raw_string" and in_dq):
                continue  # static text: decoded with the run it belongs to
            parts.append(_lit(unescape(self._slice(pos, child.start_byte), escapable)))
            parts.append(self._tmpl(child))
            pos = child.end_byte
        parts.append(_lit(unescape(self._slice(pos, end), escapable)))
        return "".join(parts)


def _flatten_concatenations(nodes: list[Node]) -> Iterator[Node]:
    for node in nodes:
        if node.type == "concatenation":
            yield from _flatten_concatenations(node.children)
        else:
            yield node


def _inside_double_quotes(node: Node) -> bool:
    """True when an expansion is (through enclosing expansions) inside ``"..."``."""
    parent = node.parent
    while parent is not None:
        if parent.type in ("string", "translated_string"):
            return True
        if parent.type not in ("expansion", "concatenation"):
            return False
        parent = parent.parent
    return False


# "@ROOT" followed by static path text (up to the next expansion or escape).
_ROOT_PREFIX = re.compile(re.escape(ROOT_TOKEN) + r"(/[^$\\]*)?")


def _normalise_root(template: str) -> str:
    """Fold ``.``/``..`` right after ``@ROOT`` (``@ROOT/scripts/../tmp`` -> ``@ROOT/tmp``)."""

    def fold(match: re.Match[str]) -> str:
        suffix = match.group(1) or ""
        if "/." not in suffix:
            return match.group(0)
        # Only whole segments fold: a partial segment glued to an expansion stays.
        cut = suffix.rfind("/") if match.end() < len(template) else len(suffix)
        head, tail = suffix[:cut], suffix[cut:]
        segs = join_segments((), head)
        if segs is None:
            return match.group(0)
        return root_template(segs) + tail

    return _ROOT_PREFIX.sub(fold, template)
