"""Text from the checked repository made safe to print, in one place for every reporter.

File names, values and messages come from an untrusted repository.  Printed raw,
an ESC or BEL sequence recolours, retitles or clears the terminal; a newline in a
file name forges a whole ``path:line:col: CODE message`` line that CI problem
matchers accept; a bidi override makes a line read differently than it is; a
C0 character makes JUnit XML malformed; and an undecodable file-name byte (held
as a lone surrogate, :func:`os.fsdecode`'s ``surrogateescape``) cannot be
written to a UTF-8 stream at all.

* :func:`visible` -- human formats (text, concise, GitHub annotations, JUnit,
  show-contract text): each such character becomes a visible escape, ``\\x1b``,
  ``\\u202e``, and an undecodable file-name byte its byte, ``\\xff``.  Tab and
  newline are escaped too: one finding is one line.
* :func:`json_text` -- JSON and SARIF: ``json.dumps`` escapes C0 itself; the
  other unsafe characters (DEL, C1, separators, bidi controls, lone surrogates)
  become ``\\uXXXX`` escapes, so the output is plain UTF-8 and ``json.loads``
  gives back the exact original string (``os.fsencode`` of a path gives back
  its bytes).
* :func:`uri_reference` -- SARIF artifact URIs: every byte of the file name but
  unreserved characters and ``/`` percent-encoded (``urllib.parse.quote``, from
  the name's bytes, so an undecodable one is ``%FF``);
  ``urllib.parse.unquote_to_bytes`` gives the bytes back.
"""

from __future__ import annotations

import json
import re

# C0 (tab and newline included), DEL, C1; bidi controls (ALM, LRM, RLM, the embeddings and
# overrides U+202A-202E, the isolates U+2066-2069); line and paragraph separators; the BOM;
# every surrogate (a lone one is an undecodable file-name byte); the non-characters XML 1.0
# forbids.  Printable non-ASCII text (the repository's Chinese docs) stays as it is.
_BEYOND_C0 = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff\ud800-\udfff"
_UNSAFE_CLASS = "\x00-\x1f" + _BEYOND_C0
_UNSAFE = re.compile(f"[{_UNSAFE_CLASS}]")
# What json.dumps(ensure_ascii=False) leaves raw (it escapes C0 itself).
_JSON_UNSAFE = re.compile(f"[{_BEYOND_C0}]")


def _visible_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the undecodable byte itself
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control, bidi or undecodable character shown as a visible escape."""
    return _UNSAFE.sub(_visible_char, text)


def json_text(document: object, **options) -> str:
    """``json.dumps(document, ensure_ascii=False, **options)`` with no unsafe character left raw.

    Outside strings JSON holds ASCII only, so every match is inside a string, where
    a ``\\uXXXX`` escape means the same character.
    """
    dumped = json.dumps(document, ensure_ascii=False, **options)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)


def uri_reference(path: str) -> str:
    """A repository-relative POSIX path as a relative URI reference (``a b#1.md`` -> ``a%20b%231.md``)."""
    from urllib.parse import quote

    try:
        data = path.encode("utf-8", "surrogateescape")  # an undecodable file-name byte: that byte
    except UnicodeEncodeError:  # a surrogate no file name holds: still lossless, never a crash
        data = path.encode("utf-8", "surrogatepass")
    return quote(data, safe="/")
