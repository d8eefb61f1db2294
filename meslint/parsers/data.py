"""TOML and YAML documents -> :class:`meslint.facts.DataDoc`.

``data`` is what ``tomllib.loads`` / ``yaml.safe_load`` return.  ``key_lines`` maps
dotted keys to 1-based lines, best effort, first occurrence wins:

* TOML: a line scan (``tomllib`` keeps no positions).  Table headers
  ``[tool.meslint]`` and ``[[array.of.tables]]`` record the table and any parent
  not seen yet; ``key = ...`` lines record ``<table>.<key>`` (dotted and quoted
  keys are split the TOML way).  Lines inside multi-line strings and multi-line
  arrays/inline tables are skipped; keys inside inline tables are not recorded.
* YAML: the composed node graph's marks, mapping keys down to
  :data:`_YAML_KEY_DEPTH` levels; sequence items count as a level and appear as
  their index (``dependencies.2.pip``).

Never raises: syntax errors become a :class:`ParseProblem` at the error's line
and column.  YAML anchors and aliases are expanded by whoever walks ``data``, so
a small file can stand for an enormous tree ("billion laughs"); a document
whose expanded size exceeds :data:`_YAML_MAX_NODES`, or that refers to itself,
is refused before it is constructed.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys

import yaml

from meslint.facts import DataDoc, FileKind, Location, ParseProblem
from meslint.parsers import YAML_BREAKS, lf_position_mapper

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

# environment.yml / pyproject.toml have hundreds of nodes; a million-node
# expansion is an attack or an accident, and walking it would hang the checks.
_YAML_MAX_NODES = 100_000
_YAML_MAX_DEPTH = 100
_YAML_KEY_DEPTH = 4
_MAX_KEY_LINES = 10_000


# --------------------------------------------------------------------------- TOML


def parse_toml(path: str, text: str) -> DataDoc:
    """Parse a TOML document; never raises."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, column = _toml_error_position(exc, text)
        message = f"TOML not parsable: {_toml_error_message(exc)}"
        return DataDoc(path, FileKind.TOML, problems=(ParseProblem(Location(path, line, column), message),))
    except Exception as exc:  # tomllib bugs or odd input must not stop the run
        return DataDoc(path, FileKind.TOML, problems=(_problem(path, 1, 1, f"TOML not parsable: {exc}"),))
    return DataDoc(path, FileKind.TOML, data=data, key_lines=_safe_key_lines(_toml_key_lines, text))


_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


def _toml_error_position(exc: Exception, text: str) -> tuple[int, int]:
    # Python >= 3.14 / tomli >= 2.1 carry lineno/colno; older ones only say it in the message.
    line, column = getattr(exc, "lineno", None), getattr(exc, "colno", None)
    if isinstance(line, int) and isinstance(column, int):
        return line, column
    match = _TOML_AT.search(str(exc))
    if match:
        return int(match.group(1)), int(match.group(2))
    if "end of document" in str(exc):
        lines = text.split("\n")
        return len(lines), len(lines[-1]) + 1
    return 1, 1


def _toml_error_message(exc: Exception) -> str:
    message = getattr(exc, "msg", None) or str(exc)
    return _TOML_AT.sub("", message).strip()


_BARE_KEY = r"[A-Za-z0-9_-]+"
_QUOTED_KEY = r'"(?:[^"\\]|\\.)*"|\'[^\']*\''
_KEY_PART = rf"\s*(?:{_BARE_KEY}|{_QUOTED_KEY})\s*"
_DOTTED_KEY = rf"{_KEY_PART}(?:\.{_KEY_PART})*"
_TABLE_HEADER = re.compile(rf"\s*(\[\[?)({_DOTTED_KEY})\]\]?\s*(?:#.*)?$")
_KEY_VALUE = re.compile(rf"\s*({_DOTTED_KEY})=")
_KEY_SPLIT = re.compile(rf"{_BARE_KEY}|{_QUOTED_KEY}")


def _split_key(dotted: str) -> list[str]:
    parts = []
    for part in _KEY_SPLIT.findall(dotted):
        if part[0] == '"':
            part = _basic_string(part)
        elif part[0] == "'":
            part = part[1:-1]
        parts.append(part)
    return parts


def _basic_string(quoted: str) -> str:
    if "\\" not in quoted:
        return quoted[1:-1]
    try:  # TOML basic-string escapes are (close to) JSON's
        return str(json.loads(quoted))
    except ValueError:
        return quoted[1:-1]


def _toml_key_lines(text: str) -> dict[str, int]:
    found: dict[str, int] = {}
    table: list[str] = []
    state = _TomlScan()
    for number, line in enumerate(text.split("\n"), start=1):
        if state.busy():  # inside a multi-line string or a multi-line array/inline table
            state.feed(line)
            continue
        header = _TABLE_HEADER.match(line)
        if header:
            table = _split_key(header.group(2))
            for depth in range(1, len(table) + 1):
                found.setdefault(".".join(table[:depth]), number)
            continue
        assignment = _KEY_VALUE.match(line)
        if assignment:
            key = table + _split_key(assignment.group(1))
            for depth in range(len(table) + 1, len(key) + 1):
                found.setdefault(".".join(key[:depth]), number)
            state.feed(line[assignment.end():])
    return found


class _TomlScan:
    """Just enough TOML lexing to know when a value continues on the next lines."""

    def __init__(self) -> None:
        self.depth = 0  # open [ and { of a value
        self.string: str | None = None  # open multi-line string delimiter

    def busy(self) -> bool:
        return self.depth > 0 or self.string is not None

    def feed(self, text: str) -> None:
        i = 0
        while i < len(text):
            if self.string is not None:
                end = self._string_end(text, i, self.string)
                if end < 0:
                    return
                self.string, i = None, end
                continue
            ch = text[i]
            if ch == "#":
                return
            if text.startswith(('"""', "'''"), i):
                self.string, i = text[i:i + 3], i + 3
            elif ch in "\"'":
                end = self._string_end(text, i + 1, ch)
                i = len(text) if end < 0 else end
            else:
                self.depth += {"[": 1, "{": 1, "]": -1, "}": -1}.get(ch, 0)
                self.depth = max(self.depth, 0)
                i += 1

    @staticmethod
    def _string_end(text: str, i: int, delimiter: str) -> int:
        """Index just past the closing ``delimiter`` (basic strings honour backslashes), or -1."""
        while i < len(text):
            if delimiter[0] == '"' and text[i] == "\\":
                i += 2
                continue
            if text.startswith(delimiter, i):
                end = i + len(delimiter)
                # A multi-line string may end with up to two extra quotes ("""a"""" is a" + ").
                while len(delimiter) == 3 and end < len(text) and text[end] == delimiter[0] and end - i < 5:
                    end += 1
                return end
            i += 1
        return -1


# --------------------------------------------------------------------------- YAML


class _YamlRefused(Exception):
    """A YAML document meslint will not expand (alias bomb, self reference)."""

    line: int
    column: int

    def __init__(self, message: str, node: yaml.Node) -> None:
        super().__init__(message)
        mark = getattr(node, "start_mark", None)
        self.line, self.column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses absurd nesting before PyYAML's recursion gives out (slowly)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):  # PyYAML's signature, untyped there too
        self._depth += 1
        try:
            if self._depth > _YAML_MAX_DEPTH:
                raise _YamlRefused(f"nesting deeper than {_YAML_MAX_DEPTH} levels", self.peek_event())
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_YAML_LINE_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")


def parse_yaml(path: str, text: str) -> DataDoc:
    """Parse a single-document YAML file safely; never raises."""
    doc = _parse_yaml(path, text)
    remap = lf_position_mapper(text, YAML_BREAKS)
    if remap is None:
        return doc
    # PyYAML also breaks lines at \r, NEL, LS and PS: report \n-counted lines like every other parser.
    problems = tuple(
        ParseProblem(Location(path, *remap(p.location.line, p.location.column)), p.message) for p in doc.problems)
    key_lines = tuple((key, remap(line, 1)[0]) for key, line in doc.key_lines)
    return dataclasses.replace(doc, problems=problems, key_lines=key_lines)


def _parse_yaml(path: str, text: str) -> DataDoc:
    loader = None
    try:
        # The reader checks the characters already here: a control character in the
        # file raises ReaderError from the constructor.
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            return DataDoc(path, FileKind.YAML, data=None)
        _check_expansion(node)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part) or str(exc)
        return DataDoc(path, FileKind.YAML, problems=(_problem(path, line, column, f"YAML not parsable: {message}"),))
    except _YamlRefused as exc:
        return DataDoc(path, FileKind.YAML, problems=(_problem(path, exc.line, exc.column, f"YAML refused: {exc}"),))
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (control characters)
        # in PyYAML's own line numbering, like the marks of other errors (parse_yaml maps them to \n lines)
        breaks = list(_YAML_LINE_BREAK.finditer(text, 0, exc.position))
        line, column = len(breaks) + 1, exc.position - (breaks[-1].end() if breaks else 0) + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        message = f"YAML not parsable: unacceptable character #x{char:04x}"
        return DataDoc(path, FileKind.YAML, problems=(_problem(path, line, column, message),))
    except Exception as exc:  # YAMLError without a mark, RecursionError on absurd nesting, ...
        return DataDoc(path, FileKind.YAML, problems=(_problem(path, 1, 1, f"YAML not parsable: {exc}"),))
    finally:
        if loader is not None:
            loader.dispose()
    return DataDoc(path, FileKind.YAML, data=data, key_lines=_safe_key_lines(_yaml_key_lines, node))


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a node graph whose fully expanded tree is too large or infinite.

    Aliases make the composed graph a DAG that shares nodes; the size of the tree
    it stands for is computed bottom-up over that DAG (each node once), so the
    check itself stays linear in the file size.
    """
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            total = 1 + sum(size[id(child)] for child in _children(node))
            if total > _YAML_MAX_NODES:
                raise _YamlRefused(f"aliases expand to more than {_YAML_MAX_NODES} nodes", node)
            size[key] = total
            continue
        if key in size:
            continue
        on_path.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                raise _YamlRefused("an alias refers to a node that contains it (recursive document)", child)
            if id(child) not in size:
                stack.append((child, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _yaml_key_lines(root: yaml.Node) -> dict[str, int]:
    found: dict[str, int] = {}
    stack: list[tuple[yaml.Node, tuple[str, ...]]] = [(root, ())]
    seen: set[int] = set()
    while stack and len(found) < _MAX_KEY_LINES:
        node, prefix = stack.pop()
        if id(node) in seen or len(prefix) >= _YAML_KEY_DEPTH:
            continue  # an aliased node is reported where it is defined
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value in reversed(node.value):
                if isinstance(key_node, yaml.ScalarNode):
                    path = prefix + (str(key_node.value),)
                    found.setdefault(".".join(path), key_node.start_mark.line + 1)
                    stack.append((value, path))
        elif isinstance(node, yaml.SequenceNode):
            for index in reversed(range(len(node.value))):
                stack.append((node.value[index], prefix + (str(index),)))
    return dict(sorted(found.items(), key=lambda item: item[1]))


# --------------------------------------------------------------------------- shared


def _safe_key_lines(collect, source) -> tuple[tuple[str, int], ...]:
    # key_lines only improve locations; a scanner bug must not lose the data.
    try:
        return tuple(collect(source).items())
    except Exception:
        return ()


def _problem(path: str, line: int, column: int, message: str) -> ParseProblem:
    return ParseProblem(Location(path, line, column), message)
