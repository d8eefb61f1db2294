"""The log files a logging configuration opens: ``dictConfig`` handlers and ``basicConfig(filename=)``.

``logging.config.dictConfig(CONFIG)``, with ``CONFIG`` a dict display or a name assigned one
(the last assignment before the call, in the same function or at module level): each entry of
its ``"handlers"`` whose ``"class"`` names a file handler (``logging.FileHandler``,
``logging.handlers.RotatingFileHandler``, ... by string, as ``dictConfig`` imports it) opens its
``"filename"`` for appending.  ``logging.basicConfig(filename=...)`` opens a ``FileHandler``.  The
site is the ``filename`` value; its path is resolved like any other (unknown stays unknown).  A
configuration read from elsewhere (``dictConfig(yaml.safe_load(...))``, ``fileConfig``) is one
site of unknown path.
"""

from __future__ import annotations

import ast

from meslint.facts import WriteSite
from meslint.parsers.python_values import Evaluator, str_const

HANDLERS = frozenset({"FileHandler", "RotatingFileHandler", "TimedRotatingFileHandler", "WatchedFileHandler"})
_HANDLER_MODULES = frozenset({"logging", "logging.handlers"})


class LoggingConfig(Evaluator):
    def _site(self, kind: str, call: str, expr: ast.expr | None, node: ast.AST, *, directory: bool = False,
              write: bool = True) -> bool:
        raise NotImplementedError

    def _assignments(self, body: list[ast.stmt]) -> dict[str, list[tuple[int, ast.expr]]]:
        raise NotImplementedError

    _module_body: list[ast.stmt]
    writes: list[WriteSite]

    def _logging_sites(self, node: ast.Call, func: str | None) -> bool:
        if func == "logging.basicConfig":
            target = next((kw.value for kw in node.keywords if kw.arg == "filename"), None)
            return target is not None and self._site("log-handler", "logging.basicConfig(filename=...)", target,
                                                     target)
        if func == "logging.config.fileConfig":
            return self._unknown_config(node, "logging.config.fileConfig (handlers in a file)")
        if func != "logging.config.dictConfig" or len(node.args) != 1:
            return False
        config = self._dict_of(node.args[0], node.lineno)
        if config is None:
            return self._unknown_config(node, "logging.config.dictConfig (handlers not statically known)")
        handlers = self._dict_of(self._entry(config, "handlers"), node.lineno)
        if handlers is None:
            if self._entry(config, "handlers") is not None:
                return self._unknown_config(node, "logging.config.dictConfig (handlers not statically known)")
            return True
        for key, handler in zip(handlers.keys, handlers.values, strict=True):
            spec = self._dict_of(handler, node.lineno)
            cls = str_const(self._entry(spec, "class")) if spec is not None else None
            module, _, name = (cls or "").rpartition(".")
            if name not in HANDLERS or module not in _HANDLER_MODULES:
                continue
            filename = self._entry(spec, "filename")
            label = f"dictConfig handler {str_const(key)!r} ({name})" if str_const(key) else f"dictConfig ({name})"
            if filename is not None:
                self._site("log-handler", label, filename, filename)
        return True

    def _unknown_config(self, node: ast.Call, call: str) -> bool:
        """A configuration meslint cannot read may open log files: listed as unknown, never guessed."""
        text = ast.unparse(node.args[0]) if node.args else ""
        self.writes.append(WriteSite("log-handler", call, None, text[:77] + "..." if len(text) > 80 else text,
                                     self._loc(node), self.scope.name))
        return True

    @staticmethod
    def _entry(config: ast.Dict | None, key: str) -> ast.expr | None:
        if config is None:
            return None
        for name, value in zip(config.keys, config.values, strict=True):
            if str_const(name) == key:
                return value
        return None

    def _dict_of(self, node: ast.expr | None, line: int) -> ast.Dict | None:
        """A dict display, or the one a name was last assigned before ``line`` (this function, else the module)."""
        if isinstance(node, ast.Dict):
            return node
        if not isinstance(node, ast.Name):
            return None
        bodies = [self._module_body]
        if self.scope.define is not None:
            bodies.insert(0, self.scope.define.body)
        for body in bodies:
            value = None
            for lineno, assigned in self._assignments(body).get(node.id, ()):
                if lineno <= line or body is not bodies[0]:  # a function runs after the module's body
                    value = assigned
            if value is not None:
                return value if isinstance(value, ast.Dict) else None
        return None
