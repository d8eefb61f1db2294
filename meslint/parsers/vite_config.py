"""Pack-named JavaScript/TypeScript files (Vite configs, API clients) -> :class:`meslint.facts.DataDoc`.

Parsed with the tree-sitter JavaScript / TypeScript grammars; nothing is run.  ``data`` holds what
the file states statically, with repository-relative paths:

* ``outDir``: ``build.outDir`` resolved through top-level constants, string and template literals
  without substitutions, ``path.resolve``/``resolve``/``path.join``/``join`` and ``__dirname``,
  against the config's ``root`` (default: the config's directory, where ``npm --prefix DIR run
  build`` runs Vite); Vite's default ``dist`` when the file gives none; ``None`` when it cannot be
  evaluated (an environment variable, a function call);
* ``base``: the public base URL (``/`` when not given, ``None`` when not evaluable);
* ``retries``: where the file retries requests (:mod:`meslint.parsers.js_retry`), for API clients.

``key_lines`` gives the line of ``outDir`` and ``base`` where the file states them.
"""

from __future__ import annotations

import posixpath
import re

from meslint.facts import DataDoc, FileKind, Location, ParseProblem

_TS_SUFFIXES = (".ts", ".mts", ".cts")
_MAX_EVAL_DEPTH = 16
_PARSERS: dict[bool, object] = {}


def _parser(typescript: bool):
    if typescript not in _PARSERS:
        import tree_sitter

        if typescript:
            import tree_sitter_typescript

            language = tree_sitter.Language(tree_sitter_typescript.language_typescript())
        else:
            import tree_sitter_javascript

            language = tree_sitter.Language(tree_sitter_javascript.language())
        _PARSERS[typescript] = tree_sitter.Parser(language)
    return _PARSERS[typescript]


_SCRIPT_BLOCK = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.DOTALL | re.IGNORECASE)


def parse(path: str, text: str) -> DataDoc:
    if path.endswith(".vue"):
        return _parse_vue(path, text)
    source = text.encode("utf-8", "surrogatepass")
    tree = _parser(path.endswith(_TS_SUFFIXES)).parse(source)  # type: ignore[attr-defined]
    reader = _Reader(source, posixpath.dirname(path))
    reader.scan(tree.root_node)
    problems: tuple[ParseProblem, ...] = ()
    if tree.root_node.has_error:
        problems = (ParseProblem(Location(path, reader.error_line(tree.root_node), 1),
                                 "JavaScript/TypeScript not parsable (the build output was read where possible)"),)
    from meslint.parsers.js_labels import labels
    from meslint.parsers.js_retry import retry_sites

    data = {**reader.result(), "retries": retry_sites(tree.root_node, source),
            "labels": labels(tree.root_node, source)}
    return DataDoc(path, FileKind.JAVASCRIPT, data=data, key_lines=tuple(reader.lines.items()), problems=problems)


def _parse_vue(path: str, text: str) -> DataDoc:
    """A Vue single-file component: its ``<script>`` blocks, read as TypeScript at their lines."""
    from meslint.parsers.js_labels import labels
    from meslint.parsers.js_retry import retry_sites

    found: dict[str, list] = {"retries": [], "labels": []}
    for match in _SCRIPT_BLOCK.finditer(text):
        offset = text.count("\n", 0, match.start(1))
        source = match.group(1).encode("utf-8", "surrogatepass")
        tree = _parser(True).parse(source)  # type: ignore[attr-defined]
        for site in retry_sites(tree.root_node, source):
            found["retries"].append({**site, "line": int(site["line"]) + offset})  # type: ignore[call-overload]
        found["labels"].extend(labels(tree.root_node, source, offset))
    return DataDoc(path, FileKind.JAVASCRIPT, data=found)


class _Reader:
    def __init__(self, source: bytes, directory: str) -> None:
        self.source = source
        self.directory = directory  # the config's directory, repository-relative ("" at the root)
        self.constants: dict[str, object] = {}  # top-level name -> its initialiser node
        self.build: object | None = None  # the ``build`` object of the config
        self.config: object | None = None  # the config object (holds build)
        self.lines: dict[str, int] = {}

    def text(self, node) -> str:
        return self.source[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def scan(self, root) -> None:
        """Top-level constants, and the object literal that has a ``build: {...}`` member (iteratively)."""
        for child in root.named_children:
            declaration = child.named_children[0] if child.type == "export_statement" and child.named_children \
                else child
            if declaration.type in ("lexical_declaration", "variable_declaration"):
                for declarator in declaration.named_children:
                    name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
                    if declarator.type == "variable_declarator" and name is not None and value is not None \
                            and name.type == "identifier":
                        self.constants.setdefault(self.text(name), value)
        stack = [root]
        while stack and self.build is None:
            node = stack.pop()
            if node.type == "pair" and self._key(node) == "build":
                value = node.child_by_field_name("value")
                if value is not None and value.type == "object":
                    self.build, self.config = value, node.parent
                    break
            stack.extend(reversed(node.named_children))

    def _key(self, pair) -> str:
        key = pair.child_by_field_name("key")
        if key is None:
            return ""
        if key.type in ("string", "template_string"):
            return self._literal(key) or ""
        return self.text(key)

    def _member(self, obj, name: str):
        if obj is None:
            return None
        for child in obj.named_children:
            if child.type == "pair" and self._key(child) == name:
                return child
        return None

    def result(self) -> dict[str, object]:
        root_pair = self._member(self.config, "root")
        root = self.directory
        if root_pair is not None:
            value = self.path_of(root_pair.child_by_field_name("value"), 0)
            root = value if value is not None else root
        out_pair = self._member(self.build, "outDir")
        out_dir: str | None = posixpath.normpath(posixpath.join(root, "dist")) if root else "dist"
        if out_pair is not None:
            self.lines["outDir"] = out_pair.start_point[0] + 1
            value = self.path_of(out_pair.child_by_field_name("value"), 0, base=root)
            out_dir = value
        base_pair = self._member(self.config, "base")
        base: str | None = "/"
        if base_pair is not None:
            self.lines["base"] = base_pair.start_point[0] + 1
            base = self.string_of(base_pair.child_by_field_name("value"), 0)
        return {"outDir": out_dir, "base": base}

    # ----------------------------------------------------------------- evaluation

    def _literal(self, node) -> str | None:
        if node.type == "string":
            return "".join(self.text(part) for part in node.named_children if part.type == "string_fragment")
        if node.type == "template_string":
            if any(part.type == "template_substitution" for part in node.named_children):
                return None
            return self.text(node)[1:-1]
        return None

    def string_of(self, node, depth: int) -> str | None:
        if node is None or depth > _MAX_EVAL_DEPTH:
            return None
        literal = self._literal(node)
        if literal is not None:
            return literal
        if node.type == "identifier" and self.text(node) in self.constants:
            return self.string_of(self.constants[self.text(node)], depth + 1)
        if node.type in ("parenthesized_expression", "as_expression", "satisfies_expression") and node.named_children:
            return self.string_of(node.named_children[0], depth + 1)
        return None

    def path_of(self, node, depth: int, base: str | None = None) -> str | None:
        """A path expression as a repository-relative path (relative strings against ``base``)."""
        base = self.directory if base is None else base
        if node is None or depth > _MAX_EVAL_DEPTH:
            return None
        if node.type == "identifier":
            name = self.text(node)
            if name == "__dirname":
                return self.directory
            if name in self.constants:
                return self.path_of(self.constants[name], depth + 1, base)
            return None
        if node.type in ("parenthesized_expression", "as_expression", "satisfies_expression") and node.named_children:
            return self.path_of(node.named_children[0], depth + 1, base)
        if node.type == "call_expression":
            return self._path_call(node, depth, base)
        literal = self.string_of(node, depth + 1)
        if literal is None:
            return None
        return _join(base, literal)

    def _path_call(self, node, depth: int, base: str) -> str | None:
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        name = self.text(function) if function is not None else ""
        if name not in ("resolve", "path.resolve", "join", "path.join", "posix.resolve", "path.posix.resolve") \
                or arguments is None:
            return None
        parts = [child for child in arguments.named_children if child.type != "comment"]
        if not parts:
            return None
        result: str | None = None
        for index, part in enumerate(parts):
            if index == 0:
                result = self.path_of(part, depth + 1, base)
            else:
                piece = self.string_of(part, depth + 1)
                if piece is None and part.type == "identifier" and self.text(part) == "__dirname":
                    result = self.directory
                    continue
                if piece is None or result is None:
                    return None
                result = _join(result, piece) if (name.endswith("resolve") or not piece.startswith("/")) \
                    else _join(result, piece.lstrip("/"))
            if result is None:
                return None
        return result

    def error_line(self, root) -> int:
        stack = [root]
        while stack:
            node = stack.pop()
            if node.type == "ERROR" or node.is_missing:
                return node.start_point[0] + 1
            stack.extend(reversed(node.children))
        return 1


def _join(base: str, path: str) -> str | None:
    """``path`` against repository-relative ``base``; an absolute path stays absolute (``None`` if it is empty)."""
    if not path:
        return base or "."
    if path.startswith("/"):
        return posixpath.normpath(path)
    joined = posixpath.normpath(posixpath.join(base, path)) if base else posixpath.normpath(path)
    return joined
