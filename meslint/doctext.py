"""Contract tokens and values stated in Markdown facts (shared by the gate 8 rules).

The gate 8 checks read documentation as *claims*: a setting with a value
(``KEY=value`` in a fence or code span, a ``| KEY | value |`` table row), a conda
environment name, a unit name, a start-script subcommand, a port, a repository
path.  This module turns :class:`~meslint.facts.MarkdownDoc` facts into those
claims, with their locations, and normalises values so that a documented value
can be compared with what :mod:`meslint.resolve` says the consumers use.

Nothing here opens a file: it works on the facts and on the contract pack.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from meslint.dochistory import DocReading
from meslint.facts import Location, MarkdownDoc, Repository, ShellScript
from meslint.globs import matches_any
from meslint.pack import ContractPack
from meslint.runtime_files import is_historical
from meslint.template import CHECKOUT_ROOT

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


# --------------------------------------------------------------------------- lines


@dataclass(frozen=True)
class DocLine:
    """One line of documentation text with where it is and how to read it."""

    text: str
    location: Location
    section: tuple[str, ...]
    source: str  # span | block | table | text | heading | link
    historical: bool = False
    block: int = -1  # index of the fenced block, -1 for anything else
    info: str = ""


_COMMENT_PREFIXES = ("#", "//", ";", "--", "rem ", "::")


def code_lines(doc: MarkdownDoc, *, reading: DocReading | None = None) -> Iterator[DocLine]:
    """Code spans and fenced-block lines.

    A ``diff`` fence is always historical.  With a ``reading`` of the document (the pack's
    markers, see :mod:`meslint.dochistory`) also: a line whose section is history, a span whose
    sentence, list item or table row tells history, a block introduced by a sentence that does,
    the lines below a fence comment that does (``# before (legacy layout)`` ... ``# after``),
    and a fence line whose own comment does (``DashBoard/   # 舊版，已移除``).
    """
    says = reading.markers.says_history if reading is not None else _says_nothing
    for index, code in enumerate(doc.code):
        section_hist = reading is not None and reading.markers.section_is_history(code.section)
        if code.kind != "block":
            hist = section_hist or (reading is not None and reading.line_tells_history(
                code.location.line, code.text, code.section))
            yield DocLine(code.text, code.location, code.section, "span", hist)
            continue
        info = (code.info.split() or [""])[0].lower()
        block_hist = section_hist or info in {"diff", "patch"} or says(code.info) \
            or (reading is not None and reading.block_introduced_as_history(code))
        region_hist = False
        for offset, line in enumerate(code.text.split("\n")):
            stripped = line.strip()
            line_hist = False
            if stripped.lower().startswith(_COMMENT_PREFIXES) and not stripped.startswith("#!"):
                region_hist = says(stripped)
            elif reading is not None and " #" in line:
                line_hist = says(line.split(" #", 1)[1])  # the line's own comment
            location = Location(doc.path, code.location.line + offset, 1)
            yield DocLine(line, location, code.section, "block", block_hist or region_hist or line_hist, index, info)


def _says_nothing(text: str) -> bool:
    return False


def all_lines(doc: MarkdownDoc) -> Iterator[DocLine]:
    """Every piece of text the document shows: headings, prose, code, tables, links."""
    for heading in doc.headings:
        yield DocLine(heading.text, heading.location, (), "heading")
    for text in doc.text:
        yield DocLine(text.text, text.location, text.section, "text")
    yield from code_lines(doc)
    for row in doc.table_rows:
        yield DocLine(" | ".join(row.cells), row.location, row.section, "table")
    for link in doc.links:
        yield DocLine(f"{link.text} {link.target}", link.location, link.section, "link")


def contains_token(text: str, token: str, *, case: bool = True) -> bool:
    """``token`` appears in ``text`` not glued to other identifier characters."""
    return _token_pattern(token, case).search(text) is not None


def any_contains_token(texts: Sequence[str], token: str, *, case: bool = True) -> bool:
    """Whether :func:`contains_token` finds ``token`` in any of ``texts``."""
    if not texts or "\n" in token:
        return any(contains_token(text, token, case=case) for text in texts)
    # One search instead of one per text: a newline is not an identifier character, so a
    # token without one is found in the joined texts exactly when it is found in one of them.
    return contains_token("\n".join(texts), token, case=case)


@lru_cache(maxsize=1024)
def _token_pattern(token: str, case: bool) -> re.Pattern[str]:
    # Compiled once per token: checks ask about the same few tokens for every documentation line.
    # The token comes first so that the regex engine can scan for it quickly; the check that no
    # identifier character precedes it is a lookbehind over the token just matched.
    flags = 0 if case else re.IGNORECASE
    token = re.escape(token)
    return re.compile(token + r"(?<![\w-]" + token + r")(?![\w-])", flags)


# --------------------------------------------------------------------------- setting values


@dataclass(frozen=True)
class Claim:
    """A documented value: ``subject`` is a setting name, or ``@conda-env``, ``@unit``, ..."""

    subject: str
    value: str
    location: Location
    line: DocLine


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
_DEFAULT_WORD = re.compile(r"(?:預設值|預設|预设值|预设|默認值|默認|默认值|默认|缺省值|"
                           r"(?<![\w])defaults?(?:\s+value)?(?![\w]))\s*(?:to\b|is\b|[:：=]|為|为|是)?\s*",
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
        line = DocLine(text.text, text.location, text.section, "text")
        for name, value in default_phrases(text.text, spans_by_line.get(text.location.line, []), names):
            hist = reading is not None and reading.line_tells_history(text.location.line, value, text.section)
            yield Claim(name, value, text.location, DocLine(line.text, line.location, line.section, "text", hist))
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
    if not names or not any(name in text for name in names):
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
                yield Claim(setting, value, _at(line, match.start(2)), line)


# Provisioning steps: how files reach the host ("sudo cp .env /etc/x/y.env", "install -m 640 ...",
# "chmod 640 /opt/x/.env", "cp deploy/x.service /etc/systemd/system/").
PROVISIONING_STEP = re.compile(
    r"(?:^|[;&|(]\s*|\s)(?:sudo\s+(?:-\S+\s+)*)?(cp|install|chown|chmod|mv|ln)\s+([^;&|#\n]*)")


def provisioning_steps(line: DocLine) -> Iterator[tuple[str, list[str], int]]:
    """``(verb, operands, offset)`` of each provisioning step on a fenced line.

    Operands are the words after the verb without options and their values (``install -m 640
    -o root SRC DST`` gives ``[SRC, DST]``); ``install -d`` (directories) is no step; ``offset``
    is where the operands start in the line.
    """
    if line.source != "block" or not any(word in line.text for word in ("cp ", "install ", "chown ", "chmod ",
                                                                         "mv ", "ln ")):
        return
    for match in PROVISIONING_STEP.finditer(line.text):
        verb, rest = match.group(1), match.group(2)
        if verb == "install" and _INSTALL_DIRECTORIES.search(rest):
            continue
        yield verb, _step_operands(rest), match.start(2)


_INSTALL_DIRECTORIES = re.compile(r"(?:^|\s)-d\b")
_OPTIONS_WITH_VALUES = {"-m", "-o", "-g", "--mode", "--owner", "--group", "-t", "--target-directory"}


def _step_operands(rest: str) -> list[str]:
    operands: list[str] = []
    skip = False
    for word in (w.strip("\"'") for w in rest.split()):
        if skip:
            skip = False
        elif word in _OPTIONS_WITH_VALUES:
            skip = True  # install -m 640, -o user: the value is no operand
        elif not word.startswith("-"):
            operands.append(word)
    return operands


def provisioning_claims(line: DocLine) -> Iterator[Claim]:
    """Env files and unit files a fenced provisioning step touches.

    ``@env-file``: the target of ``cp``/``install``/``mv``/``ln`` and the operand of
    ``chown``/``chmod`` when it is an env file (a ``.env`` name or ``*.env``) given
    as an absolute path, or any env file ``chown``/``chmod`` secures.  ``@unit-file``:
    a repository unit file (``deploy/x.service``) copied or installed somewhere.
    """
    for verb, operands, offset in provisioning_steps(line):
        if verb in ("chown", "chmod"):
            targets = operands[1:]  # owner or mode first
        else:
            targets = operands[-1:] if len(operands) >= 2 else []
            for source in operands[:-1]:
                if source.endswith(".service") and "/" in source and not source.startswith(("/", "~", "$")) \
                        and not is_placeholder(source):
                    yield Claim("@unit-file", source.removeprefix("./"), _at(line, offset), line)
        for target in targets:
            if _is_env_name(target) and (target.startswith("/") or verb in ("chown", "chmod")) \
                    and not is_placeholder(target):
                yield Claim("@env-file", target, _at(line, offset), line)


def _is_env_name(path: str) -> bool:
    name = posixpath.basename(path.rstrip("/"))
    return name == ".env" or name.endswith(".env")


_FLAG = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)(?:=|\s+)(\"[^\"]*\"|'[^']*'|[^\s;&|)]+)")


def _drop_comment(text: str) -> str:
    return re.sub(r"<!--.*?-->", "", text).strip()


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


# --------------------------------------------------------------------------- other claims

_CONDA_ENV = [
    re.compile(r"\bconda\s+activate\s+([\w.\-]+)"),
    re.compile(r"\bsource\s+activate\s+([\w.\-]+)"),
    re.compile(r"\bconda\b[^\n#]*?\s(?:-n|--name)(?:\s+|=)([\w.\-]+)"),
]


def conda_env_claims(line: DocLine) -> Iterator[Claim]:
    if "conda" not in line.text and "activate" not in line.text:
        return  # every pattern needs one of these; most lines have neither
    for pattern in _CONDA_ENV:
        for match in pattern.finditer(line.text):
            name = match.group(1)
            if name in {"base"}:
                continue
            yield Claim("@conda-env", name, _at(line, match.start(1)), line)


_UNIT_TOKEN = re.compile(r"(?<![\w.\-@])([/\w.\-]*?)([\w.\-@]+)\.service\b")
_SYSTEMCTL = re.compile(
    r"\bsystemctl\s+(?:--?[\w-]+\s+)*(?:start|stop|restart|reload|enable|disable|status|is-active|is-enabled|"
    r"kill|try-restart|reload-or-restart|mask|unmask|show|cat|edit|reenable)\b([^;&|#>\n]*)")
_JOURNAL = re.compile(r"\bjournalctl\b[^;&|#>\n]*?(?:-u|--unit)(?:\s+|=)([\w.\-@]+)")


def unit_claims(line: DocLine, prefix: str) -> Iterator[Claim]:
    """Names of the project's units (``prefix`` or ``prefix-*``) in a code line.

    A relative path (``deploy/x.service``) names a repository file, MES805's
    business; installed paths under ``/etc/systemd``/``/usr/lib/systemd`` and bare
    names (``x.service``, ``systemctl restart x``) name units.
    """
    text = line.text
    seen: set[str] = set()
    # Each pattern needs a literal that most lines lack; testing for it first is much cheaper.
    for match in _UNIT_TOKEN.finditer(text) if ".service" in text else ():
        directory, stem = match.group(1), match.group(2)
        if directory and not directory.startswith(("/etc/systemd/", "/usr/lib/systemd/", "/lib/systemd/",
                                                   "/run/systemd/")):
            continue
        if _is_project_unit(stem, prefix) and stem not in seen:
            seen.add(stem)
            yield Claim("@unit", stem, _at(line, match.start(2)), line)
    for pattern, group, literal in ((_SYSTEMCTL, 1, "systemctl"), (_JOURNAL, 1, "journalctl")):
        if literal not in text:
            continue
        for match in pattern.finditer(text):
            for word in _words(match.group(group)):
                name = word[: -len(".service")] if word.endswith(".service") else word
                if "/" in name or "." in name or not _is_project_unit(name, prefix) or name in seen:
                    continue
                seen.add(name)
                yield Claim("@unit", name, _at(line, match.start(group)), line)


def _words(text: str) -> list[str]:
    return [w.strip("\"'") for w in text.split() if not w.startswith("-")]


def _is_project_unit(name: str, prefix: str) -> bool:
    return bool(prefix) and (name == prefix or name.startswith(prefix + "-"))


def script_claims(line: DocLine, script_path: str) -> Iterator[Claim]:
    """``<...>/start_server.sh SUBCOMMAND`` invocations (the first argument only)."""
    base = posixpath.basename(script_path)
    if base not in line.text:
        return
    for match in _invocation_pattern(base).finditer(line.text):
        yield Claim("@command", match.group(1), _at(line, match.start(1)), line)


@lru_cache(maxsize=16)
def _invocation_pattern(base: str) -> re.Pattern[str]:
    return re.compile(r"(?:^|(?<=[\s;&|(`'\"/]))" + re.escape(base) + r"\s+([A-Za-z][\w-]*)")


def script_subcommands(script: ShellScript) -> set[str] | None:
    """The literal first-argument words the script's dispatching ``case`` accepts."""
    from meslint.script_flow import ScriptModel

    return ScriptModel(script).subcommands()


_URL_PORT = re.compile(r"\bhttps?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::(\d+))?(?![\w.:-])")
_LSOF_PORT = re.compile(r"\blsof\b[^\n]*?-i\s*(?:tcp)?:(\d+)")
_BIND_OPT = re.compile(r"(?:--bind(?:\s+|=)|\s-b\s+)[\"']?([^\s\"']+)")
_DEFAULT_PORT = re.compile(r"(?:預設|预设|默認|默认|(?<!\w)default)\s*(?:[:：=]|為|为|是|is)?\s*(\d{2,5})(?![\d.:/\w])",
                           re.IGNORECASE)
_PORT_WORDS = re.compile(r"\bports?\b|埠|端口|連接埠", re.IGNORECASE)
# `-b` is gunicorn's short --bind only on a gunicorn command line (not `git checkout -b NAME`).
_GUNICORN_WORD = re.compile(r"\bgunicorn\b")
# A development server the docs start for testing (Django's runserver, flask run, python -m
# http.server): the port it listens on is its own, not the app server's bind.
_DEV_SERVER_PORT = re.compile(r"\b(?:runserver|flask\s+run|http\.server)\b[^\n]*?(?:[:=]|\s)(\d{2,5})(?![\w.])")


def dev_server_ports(lines: Iterable[DocLine]) -> set[tuple[tuple[str, ...], str]]:
    """(section, port) of every development server a document starts: a port a URL in that
    section gives is where that server listens, not a claim about the contract's bind."""
    return {(line.section, match.group(1)) for line in lines if "server" in line.text or "run" in line.text
            for match in _DEV_SERVER_PORT.finditer(line.text)}


def port_claims(line: DocLine, bind_name: str, context: str = "") -> Iterator[Claim]:
    """Ports the docs give for the app: ``--bind``/``-b`` values, ``lsof -i :PORT``, and
    local ``http://localhost:PORT`` URLs on a line (or in a block) that speaks of the
    bind setting or of a port.  Other local services (Redis, a dev server) are
    told apart by that context rule."""
    text = line.text
    # Each pattern needs a literal that most lines lack; testing for it first is much cheaper.
    for match in _BIND_OPT.finditer(text) if "-b" in text else ():
        if match.group(0).startswith("--") or _GUNICORN_WORD.search(text):
            yield Claim(bind_name, match.group(1), _at(line, match.start(1)), line)
    for match in _LSOF_PORT.finditer(text) if "lsof" in text else ():
        yield Claim("@port", match.group(1), _at(line, match.start(1)), line)
    if line.source in ("text", "table") and _speaks_of_ports(text, bind_name):
        for match in _DEFAULT_PORT.finditer(text):  # "開放服務端口（預設 8080）", "port (default: 8080)"
            yield Claim("@port", match.group(1), line.location, line)
    if "http" not in text:
        return  # no URL, so no need to ask whether the line speaks of ports
    # The line and its block are asked apart (setting names hold no newline, so this is the same
    # as asking their concatenation), the block only once.
    if not _speaks_of_ports(text, bind_name) and not _block_speaks_of_ports(context, bind_name):
        return
    for match in _URL_PORT.finditer(text):
        if match.group(1):
            yield Claim("@port", match.group(1), _at(line, match.start(1)), line)


def _speaks_of_ports(text: str, bind_name: str) -> bool:
    return bind_name in text or _PORT_WORDS.search(text) is not None


@lru_cache(maxsize=64)
def _block_speaks_of_ports(context: str, bind_name: str) -> bool:
    # A fenced block is the context of each of its lines: search it once, not once per line.
    return _speaks_of_ports(context, bind_name)


def _at(line: DocLine, offset: int) -> Location:
    if line.source == "block":
        return Location(line.location.path, line.location.line, line.location.column + offset)
    return line.location


_VERSION_PLACEHOLDER = re.compile(r"(?<![A-Za-z])[vV]?X\.Y(?:\.Z)?(?![A-Za-z])")


def is_placeholder(text: str) -> bool:
    """A path or value written as a placeholder (``<name>``, ``$VAR``, ``...``, a release ``X.Y.Z``)."""
    return (any(ch in text for ch in "$<>*?{}[]%") or "..." in text or "\u2026" in text
            or ("X.Y" in text and _VERSION_PLACEHOLDER.search(text) is not None))
