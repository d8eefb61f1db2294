"""The Python collector's recognisers of file writes, RQ enqueues and the full import list.

* **Write sites** (:class:`meslint.facts.WriteSite`): ``open(p, "w"|"a"|"x"|"+")``,
  ``os.makedirs``/``os.mkdir``, ``Path.mkdir/write_text/write_bytes/touch/open("w")``,
  ``shutil.copy*``/``move`` and ``os.replace``/``rename`` targets, ``tempfile.*(dir=...)``,
  ``sqlite3.connect``, ``logging`` file handlers, ``to_parquet``/``to_csv``,
  ``pq.write_table``/``ParquetWriter``, removals, a Unix socket's ``bind``; and the reads/tests of a path
  (a socket's ``connect`` too)
  (``open(p)``, ``os.path.exists``, ``Path.exists/read_text``), which are the other end of a
  file two processes exchange.  The path is a template (:mod:`meslint.facts`); a path that
  starts from a name imported from another module keeps that name as a reference, which the
  import graph resolves (:mod:`meslint.unit_writes`).  Nothing is guessed: an unknown path is
  ``None`` and keeps its source text.
* **Enqueue calls** (:class:`meslint.facts.EnqueueCall`): ``q.enqueue(f, ...)``,
  ``enqueue_call(func=...)``, ``enqueue_in/at``, with the queue of ``q`` followed through
  ``q = Queue(name)`` and ``q = helper()`` where the helper returns ``Queue(name)``; and calls
  that hand a queue and a job function to a helper (``enqueue_job(queue_name=Q, worker_fn=f)``,
  a registry entry with ``queue_name=``), whose meaning the derived view decides.
* **Import references**: every module an import may load, relative ones included.
"""

from __future__ import annotations

import ast

from meslint.facts import EnqueueCall, WriteSite
from meslint.parsers.python_ast import walk
from meslint.parsers.python_classes import Classes
from meslint.parsers.python_logging import HANDLERS as _HANDLERS
from meslint.parsers.python_logging import LoggingConfig
from meslint.parsers.python_values import File, Scope, Symbol, _join, str_const

_MAX_EXPR = 80
_OPEN = frozenset({"open", "io.open", "builtins.open", "codecs.open"})
_TEMPFILE = frozenset({"mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryFile", "SpooledTemporaryFile",
                       "TemporaryDirectory"})
_COPIES = frozenset({"copy", "copy2", "copyfile", "copytree", "move"})
_READ_CALLS = frozenset({"os.path.exists", "os.path.isfile", "os.path.isdir", "os.path.getmtime", "os.stat",
                         "os.path.getsize"})
_PATH_READS = frozenset({"exists", "is_file", "read_text", "read_bytes", "stat"})
_ENQUEUE_METHODS = {"enqueue": 0, "enqueue_call": 0, "enqueue_in": 1, "enqueue_at": 1}
_QUEUE_KEYWORDS = frozenset({"queue_name", "queue"})
_LOGGING_CONFIG = ("logging.basicConfig", "logging.config.dictConfig", "logging.config.fileConfig")
# What _write_site can recognise at all: a call of one of these names, a name ending in one of these
# tails, or a method of one of these names (every branch tests one of them first).
_SITE_CALLS = _OPEN | _READ_CALLS | frozenset({"os.makedirs", "os.mkdir", "os.replace", "os.rename", "os.remove",
                                               "os.unlink", "sqlite3.connect", *_LOGGING_CONFIG})
_SITE_TAILS = _COPIES | _TEMPFILE | _HANDLERS | frozenset({"write_table", "ParquetWriter"})
_PATH_METHODS = frozenset({"mkdir", "write_text", "write_bytes", "touch", "unlink", "open", "bind", "connect"})
_SITE_ATTRS = _PATH_METHODS | _PATH_READS | frozenset({"to_parquet", "to_csv", "to_feather", "to_json"})


def _tail(name: str | None) -> str:
    return (name or "").rpartition(".")[2]


def _keyword(node: ast.Call, *names: str) -> ast.expr | None:
    for kw in node.keywords:
        if kw.arg in names:
            return kw.value
    return None


def _arg(node: ast.Call, index: int, *names: str) -> ast.expr | None:
    if len(node.args) > index and not any(isinstance(a, ast.Starred) for a in node.args[:index + 1]):
        return node.args[index]
    return _keyword(node, *names)


def _exist_ok(node: ast.Call, index: int) -> bool:
    """``exist_ok=True`` (or positional at ``index``): creating a directory that may exist already.

    Such a call writes nothing when the directory is there: Linux's mkdir() answers EEXIST before
    it checks for a read-only mount, so only a missing directory makes it fail under a sandbox."""
    value = _arg(node, index, "exist_ok")
    return isinstance(value, ast.Constant) and value.value is True


class Writes(Classes, LoggingConfig):
    """Recognisers of write sites, enqueue calls and import references (see the module docstring)."""

    writes: list[WriteSite]
    enqueues: list[EnqueueCall]
    calls: dict[tuple[str, str], None]
    import_refs: set[str]
    _defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]
    _module_body: list[ast.stmt]

    def _prescan_writes(self, tree: ast.Module) -> None:
        """Module-level functions by name: a helper that returns ``Queue(name)``, a job function."""
        self._module_body = tree.body
        self._prescan_classes(tree)
        self._assigned: dict[int, dict[str, list[tuple[int, ast.expr]]]] = {}
        self._helper_queues: dict[str, str] = {}
        self._relative: dict[str, str] = {}  # name -> "..mod.name" for relative imports (not in self.imports)
        # Names bound to a path the evaluator cannot see (built on another module's name, returned by a
        # helper): (id(scope), name) -> (template, base or None).
        self._based: dict[tuple[int, str], tuple[str, str | None]] = {}
        self._defs = {stmt.name: stmt for stmt in tree.body
                      if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))}

    # ----------------------------------------------------------------- imports

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.import_refs.add(alias.name)
        super().visit_Import(node)  # type: ignore[misc]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = "." * node.level + (node.module or "")
        if node.module:
            self.import_refs.add(base)
        for alias in node.names:
            if alias.name != "*":
                dotted = f"{base}.{alias.name}" if node.module else base + alias.name
                self.import_refs.add(dotted)
                if node.level:
                    self._relative[alias.asname or alias.name] = dotted
        super().visit_ImportFrom(node)  # type: ignore[misc]

    def _bound(self, names: list[str], symbol: Symbol, value: ast.expr, stmt: ast.stmt | None) -> None:
        based = self._path_of(value) if not isinstance(symbol, (str, File)) else (None, None)
        for name in names:
            if based[0] is not None:
                self._based[(id(self.scope), name)] = (based[0], based[1])
            else:
                self._based.pop((id(self.scope), name), None)
        self._class_level(names, value, stmt)
        super()._bound(names, symbol, value, stmt)  # type: ignore[misc]

    # ----------------------------------------------------------------- calls

    def _writes_call(self, node: ast.Call, func: str | None) -> None:
        caller = self.scope.name or ""
        # Without relative imports, what the called name refers to is its canonical name (see _ref).
        func_ref = self._ref(node.func) if self._relative else func
        if func_ref is not None:
            self.calls[(caller, func_ref)] = None
        queues = self._queues_job(node, func)
        if node.args or node.keywords:
            # A function handed on at module level is registered (a job registry, a decorator), not run;
            # one handed to a queue runs in a worker, not here.
            if caller and not queues:
                for target in (*node.args, *[kw.value for kw in node.keywords]):
                    if type(target) is not ast.Constant and self._callback(target):
                        ref = self._ref(target)
                        if ref is not None:
                            self.calls[(caller, ref)] = None
            # A construction calls a class-like name, or the method's own class (only in a class's method).
            if self._method_of or (func_ref is not None and func_ref.rpartition(".")[2][:1].isupper()):
                self._construction(node, func_ref)
        attr = node.func.attr if type(node.func) is ast.Attribute else None
        if func in _SITE_CALLS or (func is not None and func.rpartition(".")[2] in _SITE_TAILS) or attr in _SITE_ATTRS:
            if self._write_site(node, func):
                return
        if queues:  # _enqueue looks only at calls _queues_job accepts
            self._enqueue(node, func)

    @staticmethod
    def _queues_job(node: ast.Call, func: str | None) -> bool:
        if isinstance(node.func, ast.Attribute) and node.func.attr in _ENQUEUE_METHODS:
            return True
        if func is not None and ("q" in func or "Q" in func) and "enqueue" in _tail(func).lower():
            return True  # (without a q there is no "enqueue" in any case)
        return any(kw.arg in _QUEUE_KEYWORDS for kw in node.keywords) if node.keywords else False

    def _callback(self, node: ast.expr) -> bool:
        """An argument that names a function (``submit(fn)``, ``Thread(target=self.run)``), not a value."""
        root: ast.expr = node
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name):
            return False
        if root is node:
            return root.id in self._defs or root.id in self.imports or root.id in self._relative
        return root.id in ("self", "cls") or root.id in self.imports or root.id in self._relative

    def _ref(self, node: ast.expr) -> str | None:
        """What a called (or handed-on) name refers to, for the call graph."""
        if isinstance(node, ast.Name):
            return self._relative.get(node.id) or self.imports.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            root: ast.expr = node
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in self._relative:
                return self._relative[root.id] + ast.unparse(node)[len(root.id):]
            return self._canonical(node)
        return None

    def _write_site(self, node: ast.Call, func: str | None) -> bool:
        # _writes_call calls this only for a name in _SITE_CALLS, a tail in _SITE_TAILS or a method in
        # _SITE_ATTRS: every branch below tests one of them first.
        tail = _tail(func)
        attr = node.func.attr if isinstance(node.func, ast.Attribute) else None
        if func in _OPEN:
            mode = str_const(_arg(node, 1, "mode")) or "r"
            write = any(c in mode for c in "wax+")
            return self._site("open" if write else "read", f"open(..., {mode!r})", _arg(node, 0, "file"),
                              node, write=write)
        if func in ("os.makedirs", "os.mkdir"):
            kind = "ensure-dir" if func == "os.makedirs" and _exist_ok(node, 2) else "mkdir"
            return self._site(kind, func, _arg(node, 0, "name", "path"), node, directory=True)
        if func in ("os.replace", "os.rename"):
            return self._site("rename", func + " target", _arg(node, 1, "dst"), node)
        if func in ("os.remove", "os.unlink"):
            return self._site("remove", func, _arg(node, 0, "path"), node)
        if func in _READ_CALLS:
            return self._site("read", func, _arg(node, 0, "path"), node, write=False)
        if func is not None and func.startswith("shutil.") and tail in _COPIES:
            return self._site("copy" if tail != "move" else "move", func + " target", _arg(node, 1, "dst"), node,
                              directory=tail == "copytree")
        if func is not None and func.startswith("tempfile.") and tail in _TEMPFILE:
            directory = _keyword(node, "dir")
            return directory is not None and self._site("tempfile", func + "(dir=...)", directory, node,
                                                        directory=True)
        if func == "sqlite3.connect":
            target = _arg(node, 0, "database")
            if str_const(target) == ":memory:":
                return True
            return self._site("sqlite", func, target, node)
        if func in _LOGGING_CONFIG:
            return self._logging_sites(node, func)
        if tail in _HANDLERS and func is not None and (func.startswith("logging.") or func == tail):
            return self._site("log-handler", func, _arg(node, 0, "filename"), node)
        if func is not None and tail in ("write_table", "ParquetWriter") and "parquet" in func:
            index = 1 if tail == "write_table" else 0
            return self._site("parquet", func, _arg(node, index, "where"), node)
        if attr in ("to_parquet", "to_csv", "to_feather", "to_json") and (node.args or node.keywords):
            target = _arg(node, 0, "path", "path_or_buf")
            return target is not None and self._site("parquet" if attr in ("to_parquet", "to_feather") else "csv",
                                                     "." + attr, target, node)
        if attr is not None and isinstance(node.func, ast.Attribute):
            return self._path_method(node, node.func, attr)
        return False

    def _path_method(self, node: ast.Call, func: ast.Attribute, attr: str) -> bool:
        receiver = func.value
        if attr in ("mkdir", "write_text", "write_bytes", "touch"):
            kind = ("ensure-dir" if _exist_ok(node, 2) else "mkdir") if attr == "mkdir" else "path-write"
            return self._site(kind, "Path." + attr, receiver, node,
                              directory=attr == "mkdir")
        if attr == "unlink":
            return self._path_like(receiver) and self._site("remove", "Path.unlink", receiver, node)
        if attr == "open" and self._path_like(receiver):
            mode = str_const(_arg(node, 0, "mode")) or "r"
            write = any(c in mode for c in "wax+")
            return self._site("path-write" if write else "read", f"Path.open({mode!r})", receiver, node,
                              write=write)
        if attr in ("bind", "connect") and len(node.args) == 1 and not node.keywords:
            # An AF_UNIX socket: bind() creates the socket file, connect() looks for it.
            template, base = self._path_of(node.args[0])
            if base is None and template is not None and template.startswith(("/", "@ROOT")):
                return self._site("socket", "socket." + attr, node.args[0], node, write=attr == "bind")
            return False
        if attr in _PATH_READS and not node.args and self._path_like(receiver):
            return self._site("read", "Path." + attr, receiver, node, write=False)
        return False

    def _path_like(self, node: ast.expr) -> bool:
        """Only a receiver whose path is known is taken as a Path (``.open``/``.exists`` are common names)."""
        template, base = self._path_of(node)
        return template is not None or base is not None

    def _site(self, kind: str, call: str, expr: ast.expr | None, node: ast.AST, *, directory: bool = False,
              write: bool = True) -> bool:
        if expr is None:
            return False
        template, base = self._path_of(expr)
        text = ast.unparse(expr)
        if len(text) > _MAX_EXPR:
            text = text[:_MAX_EXPR - 3] + "..."
        self.writes.append(WriteSite(kind, call, template, text, self._loc(node), self.scope.name, directory,
                                     write, base))
        return True

    def _path_of(self, node: ast.expr, depth: int = 0) -> tuple[str | None, str | None]:
        """(template, imported base): a path known here, or known from a name another module defines."""
        value = self._value(node, self.scope)
        if value is not None:
            if isinstance(value, File) and value.levels == 0:
                return None, None  # __file__ itself is the module, never a written path
            return self._text(value), None
        if depth > 8:
            return None, None
        if isinstance(node, ast.Name):
            scope: Scope | None = self.scope
            while scope is not None:
                if (id(scope), node.id) in self._based:
                    return self._based[(id(scope), node.id)]
                if node.id in scope.symbols:
                    break
                scope = scope.parent
            target = self.imports.get(node.id) or self._relative.get(node.id)
            if target is not None and "." in target and self.scope.lookup(node.id) is None:
                return "", target
            return None, None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            left, base = self._path_of(node.left, depth + 1)
            right = self._value(node.right, self.scope)
            if base is not None and left is not None and isinstance(right, str):
                return (_join(left, right) if left else right), base
            return None, None
        if isinstance(node, ast.Call):
            name = self._canonical(node.func)
            if isinstance(node.func, ast.Name) and node.func.id in self._defs and not node.args and not node.keywords:
                return self._returned_path(self._defs[node.func.id], depth)
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("resolve", "absolute") and not node.args:
                return self._path_of(node.func.value, depth + 1)
            if name in ("os.path.join", "Path", "pathlib.Path", "str", "os.fspath") and node.args:
                left, base = self._path_of(node.args[0], depth + 1)
                if base is None or left is None:
                    return None, None
                for arg in node.args[1:]:
                    right = self._value(arg, self.scope)
                    if not isinstance(right, str):
                        return None, None
                    left = _join(left, right) if left else right
                return left, base
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner = self._self_class(node.value.id)
            if owner is not None:  # self.NAME: the attribute's values are the class's (meslint.unit_writes)
                return "", f"self:{owner}.{node.attr}"
        if isinstance(node, ast.Attribute) and node.attr == "parent":
            left, base = self._path_of(node.value, depth + 1)
            if base is not None and left is not None:
                return (_join(left, "..") if left else ".."), base
        return None, None

    def _returned_path(self, define: ast.FunctionDef | ast.AsyncFunctionDef,
                       depth: int) -> tuple[str | None, str | None]:
        """The path a module helper without arguments returns (``def _root(): return BASE / "x"``)."""
        returns = [n.value for n in walk(define) if isinstance(n, ast.Return) and n.value is not None]
        if len(returns) != 1 or define.args.args or define.args.posonlyargs:
            return None, None
        saved, self.scope = self.scope, self.module  # its names are the module's
        try:
            template, base = self._path_of(returns[0], depth + 1)
        finally:
            self.scope = saved
        return template, base

    # ----------------------------------------------------------------- enqueues

    def _enqueue(self, node: ast.Call, func: str | None) -> None:
        if isinstance(node.func, ast.Attribute) and node.func.attr in _ENQUEUE_METHODS:
            receiver = node.func.value
            if isinstance(receiver, ast.Name) and receiver.id in self.imports:
                pass  # a module function named enqueue (``rq_helpers.enqueue(...)``): a plain call below
            else:
                index = _ENQUEUE_METHODS[node.func.attr]
                target = _arg(node, index, "func" if node.func.attr == "enqueue_call" else "f")
                job_args = (("0", self._arg_value(target)),) if target is not None else ()
                self.enqueues.append(EnqueueCall("<queue>." + node.func.attr, True, self._queue_of(receiver),
                                                 job_args, self._params(), self._loc(node), self.scope.name))
                return
        named_queue = any(kw.arg in _QUEUE_KEYWORDS for kw in node.keywords)
        if not (func is not None and "enqueue" in _tail(func).lower()) and not named_queue:
            return
        args: list[tuple[str, str]] = [(str(i), self._arg_value(a)) for i, a in enumerate(node.args)
                                       if not isinstance(a, ast.Starred)]
        args += [(kw.arg, self._arg_value(kw.value)) for kw in node.keywords if kw.arg is not None]
        if named_queue and not any(v.startswith("ref:") for _k, v in args) and "enqueue" not in _tail(func).lower():
            return  # a queue name without a job function: nothing to link
        callee = func or ""
        if isinstance(node.func, ast.Name) and node.func.id in self._relative:
            callee = self._relative[node.func.id]
        self.enqueues.append(EnqueueCall(callee, False, "", tuple(args), self._params(), self._loc(node),
                                         self.scope.name))

    def _params(self) -> tuple[str, ...]:
        define = self.scope.define
        if define is None:
            return ()
        args = define.args
        return tuple(a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs])

    def _arg_value(self, node: ast.expr | None, params: bool = True) -> str:
        if node is None:
            return ""
        if isinstance(node, ast.Name):
            if params and node.id in self.scope.params:
                return "param:" + node.id
            symbol = self.scope.lookup(node.id)
            if isinstance(symbol, str):
                return "tpl:" + symbol
            if node.id in self._defs and self.module.symbols.get(node.id) is not None:
                return "ref:." + node.id
            if node.id in self.imports and symbol is None:
                return "ref:" + self.imports[node.id]
            if node.id in self._relative and symbol is None:
                return "ref:" + self._relative[node.id]
            return ""
        if isinstance(node, ast.Attribute):
            dotted = self._canonical(node)
            root: ast.expr = node
            while isinstance(root, ast.Attribute):
                root = root.value
            if dotted is not None and isinstance(root, ast.Name) and root.id in self.imports:
                return "ref:" + dotted
        value = self._value(node, self.scope)
        return "tpl:" + self._text(value) if isinstance(value, str) else ""

    def _assignments(self, body: list[ast.stmt]) -> dict[str, list[tuple[int, ast.expr]]]:
        """``name = value`` statements of a function (or the module) by name, in line order; built once each."""
        key = id(body)
        found = self._assigned.get(key)
        if found is None:
            found = self._assigned[key] = {}
            for stmt in walk(ast.Module(body=body, type_ignores=[])):
                if isinstance(stmt, ast.Assign):
                    for target in stmt.targets:
                        if isinstance(target, ast.Name):
                            found.setdefault(target.id, []).append((stmt.lineno, stmt.value))
            for pairs in found.values():
                pairs.sort(key=lambda pair: pair[0])
        return found

    def _queue_of(self, receiver: ast.expr, depth: int = 0, local: bool = True) -> str:
        """The queue name of ``receiver`` as an args-style value ("" when unknown).

        ``local``: the expression is in the current function (its parameters are its own).
        """
        if depth > 4:
            return ""
        if isinstance(receiver, ast.Call):
            if _tail(self._canonical(receiver.func)) == "Queue":
                return self._arg_value(_arg(receiver, 0, "name"), params=local)
            helper = receiver.func.id if isinstance(receiver.func, ast.Name) else None
            if helper in self._defs:
                if helper not in self._helper_queues:  # once per helper, however often it is called
                    self._helper_queues[helper] = ""
                    for node in walk(self._defs[helper]):
                        if isinstance(node, ast.Return) and node.value is not None:
                            found = self._queue_of(node.value, depth + 1, local=False)
                            if found:
                                self._helper_queues[helper] = found
                                break
                return self._helper_queues[helper]
            return ""
        if isinstance(receiver, ast.Name) and local:
            body = self.scope.define.body if self.scope.define is not None else self._module_body
            value = None
            for lineno, assigned in self._assignments(body).get(receiver.id, ()):
                if lineno <= receiver.lineno:
                    value = assigned  # the last assignment before the call
            if value is not None:
                return self._queue_of(value, depth + 1, local)
        return ""
