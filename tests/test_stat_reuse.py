"""Stat-driven discovery: a file is taken from the record only while its stat is the recorded one
and not racy; any change (content under the same size and mtime, inode, deletion, a link) reads it."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from meslint import cachefiles, stat_reuse
from meslint.cli import main
from meslint.discovery import DiscoveredFile, discover
from meslint.stat_reuse import NAME, KnownFile, open_store
from tests.conftest import FIXTURES
from tests.test_cache import _copy

SCRIPT = "#!/bin/bash\n# meslint: ignore[MES6]\nexport APP_PORT=8080\nsource ./env.sh\n"
MODULE = "import os\nPORT = os.environ.get('APP_PORT')\n"


@pytest.fixture(autouse=True)
def _caching_on(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("MESLINT_NO_CACHE", raising=False)
    monkeypatch.delenv("MESLINT_CACHE_DIR", raising=False)
    monkeypatch.setattr(stat_reuse, "RACY_NS", 0)  # the racy window has its own tests below
    cachefiles.configure(enabled=True)
    yield
    cachefiles.configure(enabled=False)


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "start.sh").write_text(SCRIPT)
    (root / "app" / "config.py").write_text(MODULE)
    return root


def _run(root: Path) -> dict:
    """One discovery with the store, recorded as the build records it: {path: file}."""
    store = open_store(root)
    assert store is not None
    found = discover(root, store=store)
    store.save(found.files)
    return {item.path: item for item in found.files}


def _same_stat_other_text(path: Path, text: str) -> None:
    """Rewrite ``path`` with ``text`` of the same size and keep its mtime (only ctime and content change)."""
    before = path.stat()
    assert len(text.encode()) == before.st_size
    path.write_text(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_an_unchanged_file_is_not_read_and_gives_what_its_text_gave(tmp_path, monkeypatch):
    root = _tree(tmp_path)
    cold = _run(root)
    assert all(isinstance(item, DiscoveredFile) for item in cold.values())
    reads: list[str] = []
    real = stat_reuse.KnownFile.text.fget

    def counting(self):
        reads.append(self.path)
        return real(self)

    monkeypatch.setattr(stat_reuse.KnownFile, "text", property(counting))
    warm = _run(root)
    assert all(isinstance(item, KnownFile) for item in warm.values())
    assert reads == []  # neither discovery nor recording read a text
    for path, item in warm.items():
        assert stat_reuse.suppressions_of(item) == stat_reuse.suppressions_of(cold[path])
        assert item.sha == stat_reuse.text_sha(cold[path].text)
        assert stat_reuse.mentions(item, "environ") == ("environ" in cold[path].text)
        assert (item.kind, item.size) == (cold[path].kind, cold[path].size)
    assert reads == []
    assert warm["start.sh"].text == SCRIPT  # read on demand, the same text


def _same_ctime(monkeypatch, name: str, before: os.stat_result) -> None:
    """Make ``lstat`` report ``before``'s ctime for ``name`` (a coarse file system, or a clock that stood still)."""
    real_lstat = os.lstat

    def lstat(full, *args, **kwargs):
        info = real_lstat(full, *args, **kwargs)
        if str(full).endswith(name):
            fields = list(info)
            fields[9] = before.st_ctime
            return os.stat_result(fields, {"st_ctime_ns": before.st_ctime_ns, "st_mtime_ns": info.st_mtime_ns,
                                           "st_atime_ns": info.st_atime_ns})
        return info

    monkeypatch.setattr(os, "lstat", lstat)  # listing.lstat, which the store asks, calls it


def test_content_changed_under_the_same_stat_inside_the_racy_window_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(stat_reuse, "RACY_NS", 2_000_000_000)
    root = _tree(tmp_path)
    before = (root / "start.sh").stat()
    first = _run(root)
    assert isinstance(first["start.sh"], DiscoveredFile)
    _same_stat_other_text(root / "start.sh", SCRIPT.replace("8080", "9090"))
    _same_ctime(monkeypatch, "start.sh", before)  # the whole stat is the recorded one: only the window tells
    assert stat_reuse.Store.stat_key(open_store(root), str(root / "start.sh")) is None
    second = _run(root)
    assert isinstance(second["start.sh"], DiscoveredFile)
    assert "9090" in second["start.sh"].text


def test_content_changed_under_the_same_size_and_mtime_is_read(tmp_path):
    root = _tree(tmp_path)
    _run(root)
    time.sleep(0.01)  # a later ctime
    _same_stat_other_text(root / "app" / "config.py", MODULE.replace("APP_PORT", "APP_HOST"))
    again = _run(root)
    assert isinstance(again["app/config.py"], DiscoveredFile)
    assert "APP_HOST" in again["app/config.py"].text
    assert isinstance(again["start.sh"], KnownFile)


def test_a_new_inode_is_read(tmp_path, monkeypatch):
    root = _tree(tmp_path)
    _run(root)
    path = root / "start.sh"
    before = path.stat()
    spare = root / "spare"
    spare.write_text(SCRIPT.replace("8080", "7070"))
    os.replace(spare, path)  # same size; mtime put back; only the inode (and ctime) tell
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    _same_ctime(monkeypatch, "start.sh", before)  # the inode alone must give the change away
    again = _run(root)
    assert isinstance(again["start.sh"], DiscoveredFile)
    assert "7070" in again["start.sh"].text


def test_deleted_and_added_files(tmp_path):
    root = _tree(tmp_path)
    _run(root)
    (root / "app" / "config.py").unlink()
    (root / "app" / "settings.py").write_text(MODULE)
    again = _run(root)
    assert set(again) == {"start.sh", "app/settings.py"}
    assert isinstance(again["app/settings.py"], DiscoveredFile)
    third = _run(root)
    assert isinstance(third["app/settings.py"], KnownFile)


def test_a_file_turned_into_a_link_is_read(tmp_path):
    root = _tree(tmp_path)
    (root / "other.sh").write_text(SCRIPT.replace("8080", "6060"))
    _run(root)
    (root / "start.sh").unlink()
    (root / "start.sh").symlink_to("other.sh")
    again = _run(root)
    assert isinstance(again["start.sh"], DiscoveredFile)
    assert "6060" in again["start.sh"].text
    assert isinstance(_run(root)["start.sh"], DiscoveredFile)  # a link is never recorded
    (root / "other.sh").write_text(SCRIPT.replace("8080", "5050"))
    assert "5050" in _run(root)["start.sh"].text  # what the link points to now


def test_a_file_behind_a_linked_directory_is_read(tmp_path):
    root = _tree(tmp_path)
    (root / "real").mkdir()
    (root / "real" / "config.py").write_text(MODULE)
    _run(root)
    (root / "app" / "config.py").unlink()
    (root / "app").rmdir()
    (root / "app").symlink_to("real")
    for item in _run(root).values():
        if item.path.startswith("app/"):
            assert isinstance(item, DiscoveredFile)


@pytest.mark.parametrize("damage", ["flip", "unsigned", "shape"])
def test_a_damaged_or_malformed_record_reads_everything(tmp_path, damage):
    root = _tree(tmp_path)
    _run(root)
    record = open_store(root).directory / NAME
    data = record.read_bytes()
    if damage == "flip":
        record.write_bytes(data[:-3] + bytes([data[-3] ^ 1]) + data[-2:])
    elif damage == "unsigned":
        header, _, body = data.partition(b"\n")
        fields = json.loads(header)
        fields["mac"] = "0" * 64
        record.write_bytes(json.dumps(fields).encode() + b"\n" + body)
    else:  # signed with the user's key, but not the shape of a record
        store = open_store(root)
        header = {"magic": stat_reuse._MAGIC, "format": stat_reuse._FORMAT, "version": stat_reuse.__version__}
        entry = next(iter(store._old.values()))
        bad = {"start.sh": (entry[0], "x"), "app/config.py": (entry[0], entry[1], 5, (), {})}
        import marshal

        cachefiles.write_signed(record, store._secret, header, marshal.dumps(bad))
    again = _run(root)
    assert all(isinstance(item, DiscoveredFile) for item in again.values())


def test_a_text_changed_after_discovery_spoils_the_record(tmp_path):
    root = _tree(tmp_path)
    _run(root)
    store = open_store(root)
    found = discover(root, store=store)
    (root / "start.sh").write_text(SCRIPT + "echo changed\n")
    item = next(f for f in found.files if f.path == "start.sh")
    assert "echo changed" in item.text  # the run sees what is there now
    mtime = (root / ".meslint_cache" / NAME).stat().st_mtime_ns if (root / ".meslint_cache" / NAME).exists() else 0
    store.save(found.files)
    assert store.spoiled
    assert ((root / ".meslint_cache" / NAME).stat().st_mtime_ns if (root / ".meslint_cache" / NAME).exists()
            else 0) == mtime


def test_the_racy_window_is_the_run_caches(monkeypatch):
    from meslint import run_cache

    monkeypatch.undo()
    assert stat_reuse.RACY_NS == run_cache.RACY_NS


@pytest.mark.parametrize("name", ["MES100/bad", "demo"])
def test_a_run_from_the_record_reports_what_a_cold_run_reports(tmp_path, capsys, name):
    root = _copy(FIXTURES / name, tmp_path / "repo")
    assert main(["check", str(root), "--no-cache", "--output-format", "json"]) is not None
    cold = capsys.readouterr().out
    main(["check", str(root), "--output-format", "json"])
    capsys.readouterr()
    (root / ".meslint_cache" / "run-v1.json").unlink()  # no replay: the run evaluates from the record
    main(["check", str(root), "--output-format", "json"])
    assert capsys.readouterr().out == cold


def test_lazy_texts_is_a_whole_map_to_every_reader() -> None:
    # Its dict storage stays empty (texts are read when asked), so iteration, len and the views must go
    # through the files, or a caller looping over it would see no file at all.
    from types import SimpleNamespace

    from meslint.stat_reuse import LazyTexts

    texts = LazyTexts([SimpleNamespace(path="a.env", text="A=1\n"), SimpleNamespace(path="b.sh", text="x\n")])
    assert isinstance(texts, dict)
    assert sorted(texts) == ["a.env", "b.sh"] and len(texts) == 2
    assert dict(texts.items()) == {"a.env": "A=1\n", "b.sh": "x\n"}
    assert sorted(texts.keys()) == ["a.env", "b.sh"] and sorted(texts.values()) == ["A=1\n", "x\n"]
    assert texts.get("a.env") == "A=1\n" and texts.get("c") is None and "b.sh" in texts
