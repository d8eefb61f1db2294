"""Fact cache, parallel parse and lazy imports: same findings whichever way the facts come."""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest

from meslint import build, cachefiles, fact_pickle
from meslint.cache import INDEX_NAME, FactCache
from meslint.cachefiles import CACHE_DIR_NAME
from meslint.cli import main
from tests.conftest import FIXTURES, REPO

DEMO = FIXTURES / "demo"


@pytest.fixture(autouse=True)
def _private_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("MESLINT_NO_CACHE", raising=False)
    monkeypatch.delenv("MESLINT_CACHE_DIR", raising=False)
    yield
    cachefiles.configure(enabled=False)


def _copy(src: Path, dest: Path) -> Path:
    for path in src.rglob("*"):
        if CACHE_DIR_NAME in path.parts:
            continue
        target = dest / path.relative_to(src)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    return dest


def _small_tree(dest: Path) -> Path:
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import bench
    finally:
        sys.path.remove(str(REPO / "bench"))
    return bench.generate(dest, 1)


def _findings(capsys, root: Path, *extra: str) -> str:
    main(["check", str(root), "--output-format", "json", "--exit-zero", *extra])
    return capsys.readouterr().out


@pytest.fixture(params=["demo", "synthetic"])
def tree(request, tmp_path):
    if request.param == "demo":
        return _copy(DEMO, tmp_path / "demo")
    return _small_tree(tmp_path / "synthetic")


def test_findings_identical_with_and_without_cache_and_parallelism(tree, capsys, monkeypatch):
    baseline = _findings(capsys, tree, "--no-cache")
    assert not (tree / CACHE_DIR_NAME).exists()
    cold = _findings(capsys, tree)  # writes the cache
    assert (tree / CACHE_DIR_NAME / INDEX_NAME).is_file()
    assert (tree / CACHE_DIR_NAME / ".gitignore").read_text().strip().endswith("*")
    warm = _findings(capsys, tree)  # reads it
    monkeypatch.setattr(build, "PARALLEL_MIN_BYTES", 0)
    parallel = _findings(capsys, tree, "--no-cache")
    assert baseline == cold == warm == parallel
    assert json.loads(baseline) is not None


def test_parallel_parse_same_facts_same_order(tmp_path):
    from meslint.discovery import discover

    root = _small_tree(tmp_path / "t")
    items = list(discover(root).files)[:80]
    serial = build.parse_files(root, items, cache=False, parallel=False)
    parallel = build.parse_files(root, items, cache=False, parallel=True)
    assert serial == parallel


def test_warm_facts_equal_parsed_facts(tmp_path):
    from meslint.discovery import discover

    root = _copy(DEMO, tmp_path / "demo")
    items = list(discover(root).files)
    parsed = build.parse_files(root, items, cache=False, parallel=False)
    build.parse_files(root, items, cache=FactCache(root / CACHE_DIR_NAME), parallel=False)
    warm_cache = FactCache(root / CACHE_DIR_NAME)
    warm = build.parse_files(root, items, cache=warm_cache, parallel=False)
    assert warm == parsed
    assert warm_cache.misses == 0 and warm_cache.hits == len(items)


def test_pickled_facts_round_trip_and_nothing_else_loads():
    import datetime
    import pickle

    from meslint.facts import DataDoc, FileKind, Location, ParseProblem

    doc = DataDoc("p.toml", FileKind.TOML, {"a": [1, (2, 3)], 4: None, "b": {"c": 1.5, "d": frozenset({1})},
                                            "when": datetime.date(2026, 11, 30), "z": 1j},
                  (("a", 1),), (ParseProblem(Location("p.toml", 2, 3), "x"),))
    assert fact_pickle.loads(fact_pickle.dumps(doc)) == doc
    called: list[str] = []
    for foreign in (_Called(called), os.system, Path("x")):  # a call on load, a function, a non-fact class
        with pytest.raises(pickle.UnpicklingError):
            fact_pickle.loads(pickle.dumps(foreign))
    assert called == []
    with pytest.raises(TypeError):  # a fact's constructor with the wrong field count
        fact_pickle.loads(pickle.dumps(_Reduced(Location, ("a", 1, 2, 3, 4, 5, 6))))


class _Reduced:
    """Pickles as ``call(*args)``."""

    def __init__(self, call, args: tuple) -> None:
        self.call, self.args = call, args

    def __reduce__(self):
        return (self.call, self.args)


def _Called(log: list[str]) -> _Reduced:
    """Loading it would call a function outside the fact model (``list.append``, a bound method)."""
    return _Reduced(log.append, ("loaded",))


def _primed(tmp_path) -> Path:
    root = _copy(DEMO, tmp_path / "demo")
    assert main(["check", str(root)]) == 0
    return root


@pytest.mark.parametrize("damage", ["garbage", "truncated", "foreign-version", "forged-entry", "other-secret"])
def test_corrupt_or_foreign_cache_is_ignored(tmp_path, capsys, damage, monkeypatch):
    root = _primed(tmp_path)
    capsys.readouterr()
    index = root / CACHE_DIR_NAME / INDEX_NAME
    data = index.read_bytes()
    header, body = data.split(b"\n", 1)
    if damage == "garbage":
        index.write_bytes(b"\x80\x04not json at all")
    elif damage == "truncated":
        index.write_bytes(data[: len(data) // 2])
    elif damage == "foreign-version":
        head = json.loads(header)
        head["version"] = "0.0.0-other"
        index.write_bytes(json.dumps(head).encode() + b"\n" + body)
    elif damage == "forged-entry":
        entries = marshal.loads(body)
        path = next(p for p in entries if p.endswith(".service"))
        from meslint.facts import UnitFile

        entries[path][1] = fact_pickle.dumps(UnitFile(path, "x", (), (), (), (), ()))
        index.write_bytes(header + b"\n" + marshal.dumps(entries))
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "someone-else"))
    fact_cache = FactCache(root / CACHE_DIR_NAME)
    assert fact_cache._old == {}  # nothing trusted
    out = _findings(capsys, root)
    assert out == _findings(capsys, root, "--no-cache")


def test_symlinked_cache_dir_is_not_used(tmp_path, capsys):
    root = _copy(DEMO, tmp_path / "demo")
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / CACHE_DIR_NAME).symlink_to(outside, target_is_directory=True)
    assert main(["check", str(root)]) == 0
    assert list(outside.iterdir()) == []
    assert FactCache(root / CACHE_DIR_NAME)._usable is False


def test_world_writable_cache_dir_is_not_used(tmp_path):
    root = _primed(tmp_path)
    os.chmod(root / CACHE_DIR_NAME, 0o777)
    assert FactCache(root / CACHE_DIR_NAME)._usable is False


def test_cache_dir_option(tmp_path):
    root = _copy(DEMO, tmp_path / "demo")
    elsewhere = tmp_path / "c"
    assert main(["check", str(root), "--cache-dir", str(elsewhere)]) == 0
    assert (elsewhere / INDEX_NAME).is_file()
    assert not (root / CACHE_DIR_NAME).exists()


_DRIVER = """
import sys
from meslint.cli import main
code = main(sys.argv[1:])
heavy = sorted(m for m in ("tree_sitter", "tree_sitter_bash", "markdown_it", "libcst") if m in sys.modules)
print("HEAVY=" + ",".join(heavy))
"""


def test_warm_run_imports_no_heavy_parser(tmp_path):
    root = _copy(DEMO, tmp_path / "demo")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}

    def heavy(*extra: str) -> str:
        done = subprocess.run([sys.executable, "-c", _DRIVER, "check", str(root), *extra],
                              capture_output=True, text=True, env=env, cwd=REPO, check=True)
        return done.stdout.strip().rsplit("HEAVY=", 1)[1]

    assert "tree_sitter" in heavy("--no-cache")  # the demo has a start script: cold needs the parser
    heavy()  # primes the cache
    assert heavy() == ""


def test_dict_keys_kept_only_where_asked_and_cached_apart(tmp_path):
    from meslint.discovery import DiscoveredFile
    from meslint.facts import FileKind

    text = "import os\nPAYLOAD = {'degraded_reason': os.getenv('X')}\n"
    item = DiscoveredFile("src/app/health.py", FileKind.PYTHON, text, len(text))
    fact_cache = FactCache(tmp_path / CACHE_DIR_NAME)
    without = build.parse_files(tmp_path, [item], cache=fact_cache, parallel=False, dict_keys_of=frozenset())
    assert without[0].dict_keys == () and without[0].env_reads
    fact_cache.save()
    warm = FactCache(tmp_path / CACHE_DIR_NAME)
    kept = build.parse_files(tmp_path, [item], cache=warm, parallel=False, dict_keys_of=frozenset({item.path}))
    assert [k.key for k in kept[0].dict_keys] == ["degraded_reason"]
    assert warm.misses == 1, "facts parsed without dict keys must not answer a request for them"


def test_facts_that_would_not_load_back_are_not_stored(tmp_path):
    import decimal

    from meslint.facts import DataDoc, FileKind

    directory = tmp_path / CACHE_DIR_NAME
    fact_cache = FactCache(directory)
    plain = DataDoc("a.toml", FileKind.TOML, {"a": 1}, (), ())
    odd = DataDoc("b.toml", FileKind.TOML, {"b": decimal.Decimal("1.5")}, (), ())  # no fact type builds it
    fact_cache.put(FileKind.TOML, "a.toml", "a = 1", plain)
    fact_cache.put(FileKind.TOML, "b.toml", "b = 1.5", odd)
    fact_cache.save()
    again = FactCache(directory)
    assert again.get(FileKind.TOML, "a.toml", "a = 1") == plain
    assert again.get(FileKind.TOML, "b.toml", "b = 1.5") is None
    assert set(again._old) == {"a.toml"}
    written = (directory / INDEX_NAME).stat().st_mtime_ns
    again.put(FileKind.TOML, "b.toml", "b = 1.5", odd)  # missed again, put again: nothing new to write
    again.save()
    assert (directory / INDEX_NAME).stat().st_mtime_ns == written
