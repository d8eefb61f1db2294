"""The gate 8 text helpers' fast paths answer exactly as the patterns they replace."""

from __future__ import annotations

import random
import re

from meslint.doclines import Corpus, any_contains_token, contains_token


def _token_spec(text: str, token: str, case: bool) -> bool:
    """The specification: the token not glued to identifier characters (``\\w`` or ``-``)."""
    escaped = re.escape(token)
    pattern = re.compile(r"(?<![\w-])" + escaped + r"(?![\w-])", 0 if case else re.IGNORECASE)
    return pattern.search(text) is not None


def test_token_search_by_hand_matches_the_pattern() -> None:
    rnd = random.Random(3)
    alphabet = ["ab", "a", "b", "_", "-", " ", ".", "\n", "é", "字", "٣", "Ⅷ", "ß", "A", "`"]
    tokens = ["ab", "a", "a-b", "b_a", "ab.a", "字", "é", "A", "ß"]
    found = 0
    for _ in range(3000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 12)))
        token = rnd.choice(tokens)
        for case in (True, False):
            expected = _token_spec(text, token, case)
            assert contains_token(text, token, case=case) is expected, (text, token, case)
            found += expected
    assert found > 150


def test_a_corpus_answers_as_any_contains_token() -> None:
    rnd = random.Random(5)
    for _ in range(300):
        texts = ["".join(rnd.choice(["ab", "a", "-", " ", "\n", "字", "_"]) for _ in range(rnd.randint(0, 6)))
                 for _ in range(rnd.randint(0, 4))]
        corpus = Corpus(texts)
        for token in ("ab", "a", "a\nb", "字"):
            for case in (True, False):
                assert corpus.contains_token(token, case=case) is any_contains_token(texts, token, case=case)


def test_any_of_finds_a_word_exactly_when_one_occurs() -> None:
    from meslint.literals import any_of

    rnd = random.Random(11)
    letters = "AB_C字.\\("
    for _ in range(500):
        words = frozenset("".join(rnd.choice(letters) for _ in range(rnd.randint(0, 4)))
                          for _ in range(rnd.randint(0, 6)))
        text = "".join(rnd.choice(letters + " ") for _ in range(rnd.randint(0, 10)))
        assert (any_of(words).search(text) is not None) is any(word in text for word in words), (words, text)
    long_words = frozenset({"X" * 300, "ab"})  # past the trie's depth: a plain alternation
    assert any_of(long_words).search("-ab-") and any_of(long_words).search("X" * 301)
    assert not any_of(long_words).search("X" * 299)


def test_the_default_word_is_found_where_the_lookbehind_first_pattern_finds_it() -> None:
    from meslint.doctext import _DEFAULT_WORD

    spec = re.compile(r"(?:預設值|預設|预设值|预设|默認值|默認|默认值|默认|缺省值|"
                      r"(?<![\w])defaults?(?:\s+value)?(?![\w]))\s*(?:to\b|is\b|[:：=]|為|为|是)?\s*", re.IGNORECASE)
    rnd = random.Random(13)
    pieces = ["default", "Defaults", "DEFAULT", " value", " to ", "is", ":", "預設", "值", "為", "x", "_", " ", "8080",
              "é"]
    found = 0
    for _ in range(3000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 6)))
        expected = [match.span() for match in spec.finditer(text)]
        assert [match.span() for match in _DEFAULT_WORD.finditer(text)] == expected, text
        found += bool(expected)
    assert found > 500


def _fixture_docs():
    from pathlib import Path

    from meslint.parsers.markdown import parse

    root = Path(__file__).resolve().parents[2]
    for path in sorted((root / "fixtures").rglob("*.md")):
        yield parse(path.name, path.read_text(encoding="utf-8", errors="replace"))


def test_all_texts_are_the_texts_of_all_lines() -> None:
    from meslint.doclines import all_lines, all_texts

    docs = list(_fixture_docs())
    assert len(docs) > 20
    for doc in docs:
        assert all_texts(doc) == [line.text for line in all_lines(doc)]


def test_only_four_characters_beyond_ascii_match_ascii_case_blind() -> None:
    from meslint.doclines import _CASELESS_ASCII

    ascii_case_blind = re.compile(r"[\x00-\x7f]", re.IGNORECASE)
    beyond = {cp for cp in range(0x80, 0x110000) if ascii_case_blind.fullmatch(chr(cp))}
    assert beyond == set(_CASELESS_ASCII)
    for cp, letter in _CASELESS_ASCII.items():
        assert re.fullmatch(letter, chr(cp), re.IGNORECASE)


def test_a_case_blind_corpus_search_sees_the_special_letters() -> None:
    texts = ["Retry-After: 5", "RETRY-AFTER", "retry-after-x", "Retry-Afte\u212a", "\u0130ndex", "Po\u017ft-it", "其他"]
    for token in ("retry-after", "Retry-AfteK", "index", "post-it", "Retry-After-X", "absent-one"):
        for subset in (texts, texts[3:], texts[:1], texts[6:]):
            assert Corpus(subset).contains_token(token, case=False) is any_contains_token(subset, token, case=False)
    assert Corpus(texts[3:4]).contains_token("retry-afterk", case=False) is False
    assert Corpus(texts[3:4]).contains_token("retry-aftek", case=False) is True


def test_port_words_are_found_where_the_boundary_first_pattern_finds_them() -> None:
    from meslint.docrefs import _PORT_WORDS

    spec = re.compile(r"\bports?\b|埠|端口|連接埠", re.IGNORECASE)
    rnd = random.Random(17)
    pieces = ["port", "Ports", "PORT", "s", "x", "_", "-", " ", "埠", "端口", "import", "8080", "é", "ſ"]
    found = 0
    for _ in range(3000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 5)))
        expected = spec.search(text) is not None
        assert (_PORT_WORDS.search(text) is not None) is expected, text
        found += expected
    assert 300 < found < 2700


def test_code_history_line_by_line_is_code_lines_flag() -> None:
    from meslint.dochistory import DocReading, Markers
    from meslint.doclines import CodeHistory, code_lines
    from meslint.pack import load_pack

    markers = Markers.of(load_pack("mes-dashboard"))
    flagged = 0
    for doc in _fixture_docs():
        for may_be_record in (True, False):
            reading = DocReading.of(doc, markers, may_be_record=may_be_record)
            history = CodeHistory(doc, reading)
            raw, read = list(code_lines(doc)), list(code_lines(doc, reading=reading))
            assert [(line.text, line.location) for line in raw] == [(line.text, line.location) for line in read]
            # asked backwards, so no answer comes from an earlier question's work
            assert [history.of(line) for line in reversed(raw)] == [line.historical for line in reversed(read)]
            flagged += sum(line.historical for line in read)
    assert flagged > 10


def test_a_token_glued_many_times_is_still_found_after() -> None:
    text = "ab_" * 100 + " ab " + "xab" * 100
    assert contains_token(text, "ab") is True
    assert contains_token("ab_" * 100 + "xab" * 100, "ab") is False
    assert contains_token("ab_" * 100 + " ab", "ab") is True  # at the very end, after the hand-tested ones
    assert contains_token("ab_" * 100 + "ab", "ab") is False  # glued to the "_" before it
    assert contains_token("ab_" * 100 + "-ab", "ab") is False


def test_long_texts_past_the_hand_tested_occurrences_match_the_pattern() -> None:
    rnd = random.Random(19)
    for _ in range(300):
        text = "".join(rnd.choice(["a", "a_", "xa", "-a", " ", "字"]) for _ in range(rnd.randint(30, 120)))
        assert contains_token(text, "a") is _token_spec(text, "a", True), text
