"""bash ``set -a; source FILE`` reader.

A static reader for the subset of bash env files use: simple commands split
on newlines and ``;``; words with single quotes, double quotes (``\\`` before
``$ ` " \\`` and newline), ``$'...'`` (ANSI-C escapes; a NUL ends the string),
``$"..."``, backslash escapes and backslash-newline; ``#`` starts a comment
only at the start of a word; ``export`` (its assignment arguments are
recorded with ``exported=True``); ``unset``.  Expansions ``$VAR``, ``${VAR}``,
``${VAR-w}``, ``${VAR:-w}``, ``${VAR+w}``, ``${VAR:+w}``, ``${VAR=w}``,
``${VAR:=w}`` and ``${#VAR}`` are evaluated against assignments made earlier in
the same file.  A variable the file has not assigned expands to empty (or its
default) and sets ``bash_dynamic``: the caller's environment decides.
``$(...)``, backticks, ``$((...))``, special parameters (``$1 $? $$ $_``...),
tilde and any other ``${...}`` form give ``bash=None`` with ``bash_dynamic``.
``NAME=a b`` runs command ``b`` with NAME in its environment only, so NAME is
not set (``bash=None``, ``bash_dynamic=True``); the same holds for
``NAME=x export OTHER=y`` (OTHER is set) and ``NAME=x :`` (bash 5.2, not in
POSIX mode).  An unquoted word that expands to nothing (``A=1 $UNSET``) is no
command, so A is set.  Words are expanded in bash's order (a command's words
before its prefix assignments; all ``export`` arguments before any is
assigned; plain assignments left to right), which matters for ``${VAR:=x}``.
``export $X`` where X holds ``NAME=v`` assigns NAME (the fact is located at
``$X``).  A bad substitution (``${}``) fails its command -- assignments to its
left on an assignment-only line still happen -- and discards the rest of the
line, as bash does for a sourced file.  After ``source other`` or
``export $UNKNOWN`` any variable may have been set, so later references to
variables the file has not assigned become unknown.
Assignments inside ``if``/``case``/loops/``{ }`` or in commands joined by
``&& || | &`` or with redirections get ``bash=None`` with ``bash_dynamic``.
Nothing is ever executed.  Other commands (``echo``, ``source other``) record
nothing.  A syntax error (unterminated quote or ``${``, stray ``fi``/``}``)
becomes a ParseProblem and, like bash, ends reading of the file.  Names
and ``$NAME`` references may be split by backslash-newline (``A\\<nl>B=1``
assigns ``AB``).  ``${...}`` nested more than 100 deep is a ParseProblem on
its line, which is skipped; the rest of the file is read.  Memory stays within
a few times the input (static text is kept in runs, see :mod:`.bash_words`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from meslint.parsers.envfile.bash_words import (
    RESERVED_CLOSE,
    RESERVED_MID,
    RESERVED_OPEN,
    Bad,
    BashLexer,
    BashSyntaxError,
    Dyn,
    Lit,
    Param,
    TooDeep,
    Word,
)
from meslint.parsers.envfile.lines import VALID_NAME, Hit, Reading


class _Vars(dict):
    """Variables (None: unknown value) that remember which names got a known value
    since :meth:`forget_known`, so forgetting costs what was learnt, not every name."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.known_since: list[str] = list(self)

    def __setitem__(self, name: str, value: str | None) -> None:
        super().__setitem__(name, value)
        if value is not None:
            self.known_since.append(name)

    def forget_known(self) -> None:
        """Every variable's value becomes unknown."""
        for name in self.known_since:
            if name in self:
                super().__setitem__(name, None)
        self.known_since.clear()


@dataclass
class BashState:
    vars: _Vars = field(default_factory=lambda: _Vars())  # None: unknown value
    unset: set[str] = field(default_factory=set)  # unset by the file: known to be empty
    # Set after something that may assign any variable (``source x``, ``export $1``):
    # from then on a variable the file has not assigned is unknown, not empty.
    opaque: bool = False
    depth: int = 0  # compound-command nesting


def _eval(parts: list, state: BashState) -> tuple[str | None, bool, bool]:
    """(value or None if unknown, dynamic, bad substitution)."""
    out: list[str] = []
    dynamic = unknown = bad = False
    for part in parts:
        if isinstance(part, Lit):
            out.append(part.text)
        elif isinstance(part, Dyn):
            unknown = dynamic = True
        elif isinstance(part, Bad):
            bad = True
            break  # bash stops expanding here; earlier ${VAR:=x} effects stay
        elif isinstance(part, Param):
            val, dyn, b = _eval_param(part, state)
            dynamic |= dyn
            if b:
                bad = True
                break
            if val is None:
                unknown = True
            else:
                out.append(val)
    return (None if unknown else "".join(out)), dynamic, bad


def _eval_param(p: Param, state: BashState) -> tuple[str | None, bool, bool]:
    if p.op == "concat":
        return _eval(p.arg or [], state)
    is_set = p.name in state.vars
    dynamic = not is_set and p.name not in state.unset  # the caller's environment could set it
    if not is_set and state.opaque and p.name not in state.unset:
        return None, True, False
    cur = state.vars.get(p.name, "") if is_set else ""
    if is_set and cur is None:
        return None, True, False
    assert cur is not None
    if p.op == "":
        return cur, dynamic, False
    if p.op == "#len":
        return str(len(cur)), dynamic, False
    colon = p.op.startswith(":")
    use_alt = (is_set and cur != "") if colon else is_set
    if p.op.endswith("+"):
        if not use_alt:
            return "", dynamic, False
        val, dyn, bad = _eval(p.arg or [], state)
        return val, dyn or dynamic, bad
    if use_alt:
        return cur, dynamic, False
    val, dyn, bad = _eval(p.arg or [], state)
    if p.op.endswith("=") and not bad:
        state.vars[p.name] = val
        state.unset.discard(p.name)
    return val, dyn or dynamic, bad


def _vanishes(word: Word, state: BashState) -> tuple[bool | None, bool]:
    """(True if an unquoted word expands to nothing -- no command word; None: unknown, dynamic)."""
    if any(isinstance(p, Lit) and p.quoted for p in word.parts):
        return False, False
    val, dyn, _bad = _eval(word.parts, state)
    if val is None:
        return None, True
    return val.strip(" \t\n") == "", dyn


def _tilde(word: Word) -> bool:
    """Unquoted ~ at the start of a value or after ':' is tilde expansion (HOME-dependent)."""
    parts = word.value_parts or []
    text = "".join(p.text if isinstance(p, Lit) and not p.quoted else "\0" for p in parts)
    return text.startswith("~") or ":~" in text


class BashReader:
    def __init__(self, text: str) -> None:
        self.lex = BashLexer(text)
        self.state = BashState()
        self.out = Reading()

    def run(self) -> Reading:
        i, complex_line, aborted = 0, False, False
        try:
            while i < self.lex.n:
                try:
                    words, ended, i = self.lex.command(i)
                except TooDeep as err:
                    # One hostile line must not hide the rest of the file: report it,
                    # skip to the next line and read on.
                    line_start = self.lex.text.rfind("\n", 0, err.pos) + 1
                    self.out.problems.append((line_start, err.message))
                    end = self.lex.text.find("\n", err.pos)
                    i = self.lex.n if end < 0 else end + 1
                    complex_line = aborted = False
                    continue
                if ended == "op":
                    complex_line = True
                    i = self._skip_operator(i)
                if not aborted:
                    # An expansion error discards the rest of the line (bash reads a
                    # sourced file one line -- one command list -- at a time).
                    aborted = self._command(words, uncertain=complex_line) is False
                if ended == "\n":
                    complex_line = aborted = False
        except BashSyntaxError as err:
            self.out.problems.append((err.pos, err.message))
            return self.out
        if self.state.depth > 0:
            self.out.problems.append((len(self.lex.text), "bash: unexpected end of file (unclosed compound command)"))
        return self.out

    def _skip_operator(self, i: int) -> int:
        t = self.lex.text
        if t[i] == "(":
            # A subshell or function body: skip it, its assignments do not reach us.
            return self.lex.parens(i)
        return i + 1

    def _record(self, word: Word, value: str | None, dynamic: bool, exported: bool = False) -> None:
        assert word.assign is not None
        name, start, _ = word.assign
        self.out.hits.append(Hit(name, start, word.end, value, exported=exported, dynamic=dynamic))

    def _assign(
        self, word: Word, exported: bool = False, evaluated: tuple[str | None, bool, bool] | None = None
    ) -> bool:
        """Perform one assignment word; False when bash would fail the command."""
        assert word.assign is not None
        name, _, append = word.assign
        val, dyn, bad = evaluated or _eval(word.value_parts or [], self.state)
        if bad:
            return False
        if _tilde(word):
            val, dyn = None, True
        if append and val is not None:
            prev = self.state.vars.get(name, "")
            val = None if prev is None else prev + val
            dyn = dyn or name not in self.state.vars
        self.state.vars[name] = val
        self.state.unset.discard(name)
        self._record(word, val, dyn, exported)
        return True

    def _temporary(self, words: list[Word]) -> None:
        """Assignments that do not persist in the shell (prefix of a command)."""
        for w in words:
            _eval(w.value_parts or [], self.state)  # ${VAR:=x} side effects do persist
            self._record(w, None, True)

    def _command(self, words: list[Word], uncertain: bool) -> bool | None:
        if not words:
            return None
        first = words[0]
        if first.assign is None and self._reserved(first):
            self._command(words[1:], uncertain)
            return None
        if any(_has_bad(w.parts) for w in words):
            self._failed(words)
            return False
        if uncertain or self.state.depth > 0:
            for w in words:
                if w.assign is not None:
                    self.state.vars[w.assign[0]] = None
                    self._record(w, None, True)
            return None
        prefix = [w for w in _takewhile_assign(words)]
        rest = words[len(prefix) :]
        cmd_index, unknown, dynamic = self._command_word(rest)
        if unknown:
            # Whether a command runs is unknown, so whether the assignments persist is too.
            for w in prefix:
                assert w.assign is not None
                self.state.vars[w.assign[0]] = None
            self._temporary(prefix)
            return None
        if cmd_index is None:
            self._plain_assignments(prefix, dynamic)
            return None
        self._temporary(prefix)
        cmd_word = rest[cmd_index]
        name, _, _ = _eval(cmd_word.parts, self.state)
        args = rest[cmd_index + 1 :]
        if name == "export":
            self._export(args)
        elif name == "unset":
            self._unset(args)
        elif name in (".", "source"):
            self._make_opaque()  # the other file may assign anything
        else:
            for w in args:  # for side effects such as ${VAR:=default}
                _eval(w.parts, self.state)
        return None

    def _failed(self, words: list[Word]) -> None:
        """A bad substitution fails the command; assignments before it still happen
        when the command is assignments only (bash assigns left to right)."""
        prefix = _takewhile_assign(words)
        only_assignments = len(prefix) == len(words)
        # bash expands the command's words before its prefix assignments.
        order = words if only_assignments else words[len(prefix) :] + prefix
        failed = False
        for w in order:
            if not failed and only_assignments and not _has_bad(w.parts):
                self._assign(w)
                continue
            if not failed:
                failed = _eval(_expanded_parts(w), self.state)[2]
            if w.assign is not None:
                self._record(w, None, False, exported=words[0].assign is None)

    def _reserved(self, word: Word) -> bool:
        if not all(isinstance(p, Lit) and not p.quoted for p in word.parts):
            return False
        text = "".join(p.text for p in word.parts)
        if text in RESERVED_OPEN:
            self.state.depth += 1
        elif text in RESERVED_CLOSE:
            if self.state.depth == 0:
                raise BashSyntaxError(word.start, f"bash: syntax error near unexpected token `{text}'")
            self.state.depth -= 1
        elif text not in RESERVED_MID:
            return False
        return True

    def _command_word(self, rest: list[Word]) -> tuple[int | None, bool, bool]:
        """(index of the first word that survives expansion or None, unknown, dynamic)."""
        dynamic = False
        for idx, w in enumerate(rest):
            gone, dyn = _vanishes(w, self.state)
            dynamic |= dyn
            if gone is None:
                return None, True, True
            if not gone:
                return idx, False, dynamic
        return None, False, dynamic

    def _plain_assignments(self, prefix: list[Word], dyn_vanish: bool) -> None:
        # Bash expands all assignments of the command before failing on a bad
        # substitution; a failure means none of them is performed.
        # Copying every variable per command made a file of N lines cost N^2: copy
        # only when an assignment can fail.
        can_fail = any(_has_bad(w.value_parts or []) for w in prefix)
        snapshot = _Vars(self.state.vars) if can_fail else None
        hits_before = len(self.out.hits)
        for w in prefix:
            if not self._assign(w):
                assert snapshot is not None
                self.state.vars = snapshot
                del self.out.hits[hits_before:]
                for w2 in prefix:
                    self._record(w2, None, False)
                return
        if dyn_vanish:
            for hit in self.out.hits[hits_before:]:
                hit.dynamic = True

    def _export(self, args: list[Word]) -> None:
        # bash expands every argument before export assigns any of them.
        evaluated = [_eval(_expanded_parts(w), self.state) for w in args]
        first = evaluated[0][0] if args and args[0].assign is None else None
        if first is not None and first.startswith("-") and first != "--":
            # export -n / -f / -p: not modelled; what follows is unknown.
            for w in args[1:]:
                if w.assign is not None:
                    self.state.vars[w.assign[0]] = None
                    self._record(w, None, True, exported=True)
            return
        for w, result in zip(args, evaluated, strict=True):
            if w.assign is not None:
                self._assign(w, exported=True, evaluated=result)
            elif result[0] is None:
                self._make_opaque()  # `export $1`: could assign anything
            elif "=" in result[0]:
                self._export_expanded(w, result[0], result[1])

    def _export_expanded(self, word: Word, value: str, dynamic: bool) -> None:
        """``export $X`` where X holds ``NAME=v``: the expansion is an assignment.
        Its fact is located at the word, the only source text there is."""
        quoted = any(isinstance(p, Lit) and p.quoted for p in word.parts)
        for item in [value] if quoted else value.split():
            name, sep, rest = item.partition("=")
            if sep and VALID_NAME.match(name):
                self.state.vars[name] = rest
                self.state.unset.discard(name)
                self.out.hits.append(Hit(name, word.start, word.end, rest, exported=True, dynamic=dynamic))

    def _make_opaque(self) -> None:
        self.state.opaque = True
        self.state.vars.forget_known()

    def _unset(self, args: list[Word]) -> None:
        for w in args:
            val, _, _ = _eval(w.parts, self.state)
            if val is not None and VALID_NAME.match(val):
                self.state.vars.pop(val, None)
                self.state.unset.add(val)


def _has_bad(parts: list) -> bool:
    for part in parts:
        if isinstance(part, Bad):
            return True
        if isinstance(part, Param) and part.arg and _has_bad(part.arg):
            return True
    return False


def _expanded_parts(word: Word) -> list:
    """What bash expands of a word: the value of an assignment, else the whole word."""
    return (word.value_parts or []) if word.assign is not None else word.parts


def _takewhile_assign(words: list[Word]) -> list[Word]:
    out = []
    for w in words:
        if w.assign is None:
            break
        out.append(w)
    return out


def read(text: str) -> Reading:
    return BashReader(text).run()

