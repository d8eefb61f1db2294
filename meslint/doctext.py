"""Contract tokens and values stated in Markdown facts (shared by the gate 8 rules).

The gate 8 checks read documentation as *claims*: a setting with a value
(``KEY=value`` in a fence or code span, a ``| KEY | value |`` table row), a conda
environment name, a unit name, a start-script subcommand, a port, a repository
path.  This module picks the documents (the readme, the contract and operator
docs), turns :class:`~meslint.facts.MarkdownDoc` facts into setting-value claims,
with their locations, and normalises values so that a documented value can be
compared with what :mod:`meslint.resolve` says the consumers use.  Documentation
lines, :class:`Claim` and placeholders live in :mod:`meslint.doclines`, the claims
that name other things (conda environment, units, subcommands, ports, provisioning
steps) in :mod:`meslint.docrefs`; both are re-exported here, where the rules import them.

Nothing here opens a file: it works on the facts and on the contract pack.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

from meslint.dochistory import DocReading
from meslint.doclines import (
    Claim,
    DocLine,
    all_lines,
    any_contains_token,
    code_lines,
    contains_token,
    is_placeholder,
    location_at,
)
from meslint.docrefs import (
    PROVISIONING_STEP,
    conda_env_claims,
    dev_server_ports,
    port_claims,
    provisioning_claims,
    provisioning_steps,
    script_claims,
    script_subcommands,
    unit_claims,
)
from meslint.facts import Location, MarkdownDoc, Repository
from meslint.globs import matches_any
from meslint.pack import ContractPack
from meslint.runtime_files import is_historical
from meslint.template import CHECKOUT_ROOT

__all__ = [
    # documents
    "readme", "contract_docs", "operator_docs",
    # lines and claims (meslint.doclines)
    "DocLine", "code_lines", "all_lines", "contains_token", "any_contains_token", "Claim", "location_at",
    "is_placeholder",
    # setting values
    "strip_code", "unquote_value", "assignment_claims", "table_claims", "default_claims", "default_phrases",
    "flag_claims",
    # normalisation
    "normalize_bool", "split_bind", "deployed_path", "doc_path", "values_agree",
    # other claims (meslint.docrefs)
    "PROVISIONING_STEP", "provisioning_steps", "provisioning_claims", "conda_env_claims", "unit_claims",
    "script_claims", "script_subcommands", "dev_server_ports", "port_claims",
]

# --------------------------------------------------------------------------- documents


def readme(repo: Repository, pack: ContractPack) -> MarkdownDoc | None:
    return repo.doc(pack.docs.readme)


def contract_docs(repo: Repository, pack: ContractPack) -> list[MarkdownDoc]:
    """The documents that together must state the contract (MES802): ``docs.contract_docs``, else the readme."""
    if not pack.docs.contract_docs:
        first = readme(repo, pack)
        return [first] if first is not None else []
    return [doc for doc in sorted(repo.markdown, key=lambda d: d.path)
            if matches_any(doc.path, pack.docs.contract_docs) and not is_historical(doc.path, pack)]


def operator_docs(repo: Repository, pack: ContractPack, *, mirrors: bool = False) -> list[MarkdownDoc]:
    """README first, then the pack's operator docs; historical docs never, mirrors on request."""
    docs: list[MarkdownDoc] = []
    first = readme(repo, pack)
    if first is not None:
        docs.append(first)
    for doc in sorted(repo.markdown, key=lambda d: d.path):
        if doc is first or is_historical(doc.path, pack):
            continue
        is_mirror = doc.path in pack.docs.mirrors
        if (mirrors and is_mirror) or (not is_mirror and matches_any(doc.path, pack.docs.operator_docs)):
            docs.append(doc)
    return docs


# --------------------------------------------------------------------------- setting values


_ASSIGN = re.compile(r"(?<![\w$\-./])(?:export\s+)?([A-Z][A-Z0-9_]*)=(\"[^\"]*\"|'[^']*'|[^\s;&|)]*)")
_COMMAND_PREFIX = re.compile(r"\s+(?!#)\S")
_EMPTY_CELLS = {"", "-", "—", "–", "n/a", "none", "(none)", "(empty)", "(unset)", "無", "空"}
_VALUE_HEADERS = ("default", "value", "預設", "默认", "默認", "值", "canonical")


def strip_code(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text.startswith("`") and text.endswith("`") and text.count("`") == 2:
        return text[1:-1].strip()
    return text


def unquote_value(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value.strip("\"'")


def assignment_claims(line: DocLine, names: set[str]) -> Iterator[Claim]:
    """``KEY=value`` statements of contract settings on a code line.

    ``KEY=value cmd ...`` (an environment prefix of a command) sets the value for
    that one command; it is an override, not a statement of the default, and is
    not a claim.  Empty values (``KEY=``: "use the default") are not claims.
    """
    text = line.text
    if "=" not in text:
        return  # most lines assign nothing; skip the pattern
    for match in _ASSIGN.finditer(text):
        name = match.group(1)
        if name not in names:
            continue
        rest = text[match.end():]
        following = rest.lstrip()
        if following and not following.startswith("#") and not _ASSIGN.match(following) \
                and _COMMAND_PREFIX.match(rest) and line.source != "text":
            continue
        value = unquote_value(match.group(2))
        if not value:
            continue
        column = line.location.column + match.start(1) if line.source == "block" else line.location.column
        yield Claim(name, value, Location(line.location.path, line.location.line, column), line)


def table_claims(doc: MarkdownDoc, names: set[str], *, reading: DocReading | None = None) -> Iterator[Claim]:
    """``| KEY | value | ... |`` rows: the value is the "default"/"value" column, else the next cell.

    With a ``reading``, a row (or its section) that tells history is historical."""
    for row in doc.table_rows:
        cells = [strip_code(_drop_comment(c)) for c in row.cells]
        header = [strip_code(h).lower() for h in row.header]
        value_col = next((i for i, h in enumerate(header) if any(w in h for w in _VALUE_HEADERS)), None)
        for index, cell in enumerate(cells):
            if cell not in names:
                continue
            col = value_col if value_col is not None and value_col != index else index + 1
            if col >= len(cells):
                continue
            raw = _drop_comment(row.cells[col]).strip()
            inner = strip_code(raw)
            if inner == raw and re.search(r"\s", raw):
                continue  # prose, not a value
            if "`" in inner or inner.lower() in _EMPTY_CELLS:
                continue
            hist = reading is not None and reading.line_tells_history(row.location.line, "", row.section)
            line = DocLine(" | ".join(row.cells), row.location, row.section, "table", hist)
            yield Claim(cell, unquote_value(inner), row.location, line)


# "`KEY`（預設 `value`）", "KEY (default: value)", "KEY 預設為 value", "KEY 默认 value", "KEY defaults to value".
# The English word's boundary is looked behind *after* the word (``default(?<!\wdefault)``, which is
# ``(?<!\w)default``): a pattern whose every branch starts with a literal is scanned for quickly.
_DEFAULT_WORD = re.compile(r"(?:預設值|預設|预设值|预设|默認值|默認|默认值|默认|缺省值|"
                           r"default(?<![\w]default)s?(?:\s+value)?(?![\w]))\s*(?:to\b|is\b|[:：=]|為|为|是)?\s*",
                           re.IGNORECASE)
_BARE_VALUE = re.compile(r"[\w./:@\-]+")
_BOOL_WORDS = {"true", "false", "yes", "no", "on", "off"}


def default_claims(doc: MarkdownDoc, names: set[str], reading: DocReading | None = None) -> Iterator[Claim]:
    """Defaults stated in prose and in table cells: ``KEY``, then a default word, then the value.

    The value is the code span right after the default word, or a bare word that
    looks like a value (a digit, ``/``, ``:``, ``-``, ``.`` or a boolean: "預設為
    8080", not "defaults to the deploy root").  The setting is the last contract
    setting named before the default word in the same sentence.
    """
    spans_by_line: dict[int, list[str]] = {}
    for code in doc.code:
        if code.kind == "inline":
            spans_by_line.setdefault(code.location.line, []).append(code.text)
    for text in doc.text:
        for name, value in default_phrases(text.text, spans_by_line.get(text.location.line, []), names):
            hist = reading is not None and reading.line_tells_history(text.location.line, value, text.section)
            yield Claim(name, value, text.location, DocLine(text.text, text.location, text.section, "text", hist))
    for row in doc.table_rows:
        # A row names its setting in one cell and may state the default in another:
        # "| `KEY` | 單一服務埠（預設 `value`） |".
        keys = [strip_code(cell) for cell in row.cells if strip_code(cell) in names]
        if len(keys) != 1:
            continue
        joined = " | ".join(row.cells)
        for cell in row.cells:
            if strip_code(cell) == keys[0]:
                continue
            spans = re.findall(r"`([^`]+)`", cell)
            for name, value in default_phrases(keys[0] + " " + cell.replace("`", ""), spans, names):
                hist = reading is not None and reading.line_tells_history(row.location.line, "", row.section)
                yield Claim(name, value, row.location, DocLine(joined, row.location, row.section, "table", hist))


def default_phrases(text: str, spans: Sequence[str], names: set[str]) -> Iterator[tuple[str, str]]:
    """``(setting, value)`` of each default phrase of one line of plain text (code marks removed)."""
    # Most lines hold no default word, and looking for one is a single scan; then a setting name
    # (a hundred substring tests) only where there is.
    if not names or not _has_default_word(text) or not any(name in text for name in names):
        return
    for match in _DEFAULT_WORD.finditer(text):
        before = _SENTENCE_SPLIT.split(text[:match.start()])[-1]
        named = [m.group(0) for m in _NAME_TOKEN.finditer(before)]
        if not named or named[-1] not in names:
            continue  # the default of something else ("REDIS_URL 預設 ...") or of nothing named
        name = named[-1]
        rest = text[match.end():]
        value = next((span.strip() for span in sorted(spans, key=len, reverse=True) if span.strip()
                      and rest.startswith(span)), None)
        if value is None:
            bare = _BARE_VALUE.match(rest)
            if bare is None:
                continue
            value = bare.group(0).rstrip(".:")
            if not re.search(r"[\d/:\-._]", value) and value.lower() not in _BOOL_WORDS:
                continue
        if value and value != name and value not in names:
            yield name, unquote_value(value)


@lru_cache(maxsize=8192)
def _has_default_word(text: str) -> bool:
    # MES801 and MES615 read the same prose lines for defaults: each line is scanned once per run.
    return _DEFAULT_WORD.search(text) is not None


_SENTENCE_SPLIT = re.compile(r"[。！？；!?;|]|\.(?=\s)")
_NAME_TOKEN = re.compile(r"(?<![\w$])[A-Z][A-Z0-9_]{2,}(?![\w])")


def flag_claims(line: DocLine, flags: dict[str, str], program: str) -> Iterator[Claim]:
    """``--flag value`` on a fenced command line running ``program``: ``flags`` maps option
    spellings to settings (``{"--pid": "WATCHDOG_PID_FILE"}`` for gunicorn; the same option of
    another program, ``mkdir -p``, ``docker run --pid``, means something else)."""
    if line.source != "block" or "-" not in line.text or not re.search(rf"\b{re.escape(program)}\b", line.text):
        return
    for match in _FLAG.finditer(line.text):
        setting = flags.get(match.group(1))
        if setting is not None:
            value = unquote_value(match.group(2))
            # A placeholder, or a value cut short in pasted output (`systemctl status` ends a
            # process line cut at the terminal's width with `>`), states nothing to compare.
            if value and not value.startswith("-") and not is_placeholder(value):
                yield Claim(setting, value, location_at(line, match.start(2)), line)


_FLAG = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)(?:=|\s+)(\"[^\"]*\"|'[^']*'|[^\s;&|)]+)")


def _drop_comment(text: str) -> str:
    return (_HTML_COMMENT.sub("", text) if "<!--" in text else text).strip()


_HTML_COMMENT = re.compile(r"<!--.*?-->")


# --------------------------------------------------------------------------- normalisation


def normalize_bool(value: str) -> str:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return "true"
    if lowered in {"0", "false", "no", "off"}:
        return "false"
    return lowered


def split_bind(value: str) -> tuple[str, str] | None:
    """``(host, port)`` of a gunicorn bind; host ``""`` when only a port is given."""
    value = value.strip()
    if value.startswith("tcp://"):
        value = value[len("tcp://"):]
    if value.startswith("unix:"):
        return None
    if re.fullmatch(r"\d+", value):
        return "", value
    match = re.fullmatch(r"(\[[^\]]*\]|[^:\s]*):(\d+)", value)
    if not match:
        return None
    return match.group(1) or "0.0.0.0", match.group(2)


def deployed_path(value: str, deploy_root: str) -> str:
    """A resolved path with the checkout root read as the deploy root (that is where it runs)."""
    if value.startswith(CHECKOUT_ROOT):
        value = deploy_root.rstrip("/") + value[len(CHECKOUT_ROOT):]
    return posixpath.normpath(value) if value.startswith("/") else value


def doc_path(value: str, deploy_root: str) -> str | None:
    """A documented path made absolute: relative paths (``./tmp/x``, ``tmp/x``) are root-relative."""
    value = value.strip()
    if not value or "$" in value or "<" in value or value.startswith("~") or "*" in value:
        return None
    if value.startswith("/"):
        return posixpath.normpath(value)
    return posixpath.normpath(posixpath.join(deploy_root, value))


def values_agree(kind: str, documented: str, resolved: str, deploy_root: str) -> bool | None:
    """Whether a documented value states a resolved one; ``None`` when it cannot be compared.

    * ``path``: both absolute, the checkout root read as the deploy root, relative
      documented paths taken from the repository root;
    * ``bind``: host and port; a documented bare port agrees with any host on that port;
    * ``bool``: ``1/yes/on`` are ``true``, ``0/no/off`` are ``false``;
    * anything else: exact text after stripping quotes and blanks.
    """
    if kind == "path":
        documented_path = doc_path(documented, deploy_root)
        if documented_path is None:
            return None
        return documented_path == deployed_path(resolved, deploy_root)
    if kind == "bind":
        left, right = split_bind(documented), split_bind(resolved)
        if left is None or right is None:
            return None if "$" in documented else documented.strip() == resolved.strip()
        if not left[0] or not right[0]:
            return left[1] == right[1]
        return left == right
    if kind == "bool":
        return normalize_bool(documented) == normalize_bool(resolved)
    if "$" in documented:
        return None
    return documented.strip() == resolved.strip()


