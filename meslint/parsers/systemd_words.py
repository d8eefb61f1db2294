"""How systemd splits a value into words: ``extract_first_word()`` and ``cunescape_one()``.

Words are split by ``extract_first_word()`` (``src/basic/extract-word.c``)
with ``EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE``: ``'`` and ``"`` quote (anywhere in
a word, and both kinds alike: C escapes are decoded inside single quotes too),
``\\n \\t \\xNN \\NNN \\uNNNN \\s \\\\`` etc. come from ``cunescape_one()``
(``src/basic/escape.c``).
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.records import record

WHITESPACE = " \t\n\r"  # systemd's WHITESPACE macro


class ExtractError(Exception):
    """``extract_first_word()`` returned -EINVAL."""

    def __init__(self, reason: str, position: int) -> None:
        super().__init__(reason)
        self.reason = reason  # "quote" | "escape"
        self.position = position


@record(slots=True)
class Word:
    text: str
    start: int  # offset of the word's first source character
    end: int  # offset one past its last source character
    relaxed_escape: bool = False  # an unknown escape was kept verbatim


def hex_value(ch: str) -> int:
    return int(ch, 16) if ch and ch in "0123456789abcdefABCDEF" else -1


def _cunescape_one(s: str, i: int) -> tuple[bytes, int] | None:
    """Decode the escape whose letter is at ``s[i]``: (bytes, chars consumed) or None."""
    simple = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
              "\\": "\\", '"': '"', "'": "'", "s": " "}
    c = s[i]
    if c in simple:
        return simple[c].encode(), 1
    if c == "x":
        a, b = hex_value(s[i + 1:i + 2]), hex_value(s[i + 2:i + 3])
        if a < 0 or b < 0 or (a == 0 and b == 0):
            return None
        return bytes([(a << 4) | b]), 3  # a raw byte, as systemd's eight_bit path
    if c in "uU":
        width = 4 if c == "u" else 8
        digits = s[i + 1:i + 1 + width]
        if len(digits) != width or any(hex_value(d) < 0 for d in digits):
            return None
        code = int(digits, 16)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code).encode(), width + 1
    if c in "01234567":
        digits = s[i:i + 3]
        if len(digits) != 3 or any(d not in "01234567" for d in digits):
            return None
        value = int(digits, 8)
        if value == 0 or value > 255:
            return None
        return bytes([value]), 3
    return None


def extract_word(s: str, i: int, *, cunescape: bool = True, relax: bool = False,
                  unescape_relax: bool = False) -> tuple[Word | None, int]:
    """One word of ``s`` from ``i`` (``extract_first_word`` with EXTRACT_UNQUOTE).

    Returns the word (None at the end) and the offset of the next word.
    """
    n = len(s)
    while i < n and s[i] in WHITESPACE:
        i += 1
    if i >= n:
        return None, n
    start = i
    out = bytearray()
    quote = ""
    relaxed = False
    while i < n:
        c = s[i]
        if c == "\\":
            i += 1
            if i >= n:
                if unescape_relax and (not quote or relax):
                    out += b"\\"
                    relaxed = True
                    break
                if relax:
                    break
                raise ExtractError("escape", i - 1)
            if cunescape:
                decoded = _cunescape_one(s, i)
                if decoded is not None:
                    out += decoded[0]
                    i += decoded[1]
                    continue
                if not unescape_relax:
                    raise ExtractError("escape", i - 1)
                out += ("\\" + s[i]).encode("utf-8", "surrogateescape")
                relaxed = True
            else:
                out += s[i].encode("utf-8", "surrogateescape")
            i += 1
            continue
        if quote:
            if c == quote:
                quote = ""
            else:
                out += c.encode("utf-8", "surrogateescape")
            i += 1
            continue
        if c in "'\"":
            quote = c
            i += 1
            continue
        if c in WHITESPACE:
            break
        out += c.encode("utf-8", "surrogateescape")
        i += 1
    if quote and i >= n and not relax:
        raise ExtractError("quote", start)
    end = i
    while i < n and s[i] in WHITESPACE:
        i += 1
    return Word(out.decode("utf-8", "surrogateescape"), start, end, relaxed), i


def words_of(value: str) -> Iterator[Word]:
    """``extract_first_word()`` to the end of ``value``; raises ExtractError where it fails."""
    pos = 0
    while True:
        word, pos = extract_word(value, pos)
        if word is None:
            return
        yield word


def split_words(value: str) -> tuple[str, ...]:
    """Split like systemd's Exec/Environment parsers; raises ValueError on bad quoting/escapes."""
    try:
        return tuple(word.text for word in words_of(value))
    except ExtractError as exc:
        raise ValueError(f"invalid {exc.reason} at offset {exc.position}") from None



def split_relaxed(value: str) -> list[str]:
    """``strv_split_full(WHITESPACE, EXTRACT_RELAX|EXTRACT_UNQUOTE)``: never fails."""
    words: list[str] = []
    pos = 0
    while True:
        word, pos = extract_word(value, pos, cunescape=False, relax=True)
        if word is None:
            return words
        words.append(word.text)



def string_is_safe(text: str) -> bool:
    """``string_is_safe()``: no control characters, quotes or backslashes."""
    return not any(ord(c) < 32 or ord(c) == 127 or c in "\\\"'" for c in text)
