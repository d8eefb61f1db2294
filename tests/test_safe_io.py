"""meslint.safe_io: the one reader of files the checked repository could plant, and the one writer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from meslint import safe_io


def test_read_capped_reads_only_regular_files_within_the_cap(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"abc")
    assert safe_io.read_capped(tmp_path / "f", 3) == b"abc"
    with pytest.raises(safe_io.UnsafeFile, match="over the 2-byte limit"):
        safe_io.read_capped(tmp_path / "f", 2)
    (tmp_path / "link").symlink_to(tmp_path / "f")
    with pytest.raises(safe_io.UnsafeFile, match="symbolic link"):
        safe_io.read_capped(tmp_path / "link", 10)
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(safe_io.UnsafeFile, match="not a regular file"):
        safe_io.read_capped(tmp_path / "fifo", 10)  # returns at once: O_NONBLOCK
    with pytest.raises(safe_io.UnsafeFile, match="not a regular file"):
        safe_io.read_capped(tmp_path, 10)
    with pytest.raises(FileNotFoundError):
        safe_io.read_capped(tmp_path / "missing", 10)


def test_write_atomic_replaces_never_writes_through(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    safe_io.write_atomic(target, b"one")
    target.chmod(0o640)
    safe_io.write_atomic(target, b"two")
    assert target.read_bytes() == b"two" and target.stat().st_mode & 0o777 == 0o640
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep")
    (tmp_path / "link").symlink_to(victim)
    with pytest.raises(safe_io.UnsafeFile, match="symbolic link"):
        safe_io.write_atomic(tmp_path / "link", b"evil")
    assert victim.read_bytes() == b"keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "out.json", "victim"]  # no temp file left


def test_confine_keeps_names_inside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "d").mkdir(parents=True)
    (root / "out").symlink_to(tmp_path, target_is_directory=True)
    assert safe_io.confine(root, "d/../p.yaml") == root / "d/../p.yaml"
    for name in ("/etc/passwd", "~/x", "../x", "d/../../x", "out/x", "out/../root/p.yaml"):
        with pytest.raises(safe_io.UnsafeFile):
            safe_io.confine(root, name)
    assert safe_io.names_inside(root, root / "out" / "x") and not safe_io.inside(root, root / "out" / "x")


def test_shown_quotes_only_short_plain_names() -> None:
    assert safe_io.shown("setings") == "'setings'"
    assert safe_io.shown("root:$6$abc:19000") == "<17 characters not shown>"
    assert safe_io.shown("\x1b]0;title\x07") == "<10 characters not shown>"
    assert safe_io.shown("x" * 65) == "<65 characters not shown>"


def test_create_exclusive_never_replaces_a_file_or_writes_through_a_link(tmp_path) -> None:
    import os

    import pytest

    from meslint.safe_io import create_exclusive

    create_exclusive(tmp_path / "new.yaml", b"a: 1\n", mode=0o640)
    assert (tmp_path / "new.yaml").read_bytes() == b"a: 1\n"
    assert os.stat(tmp_path / "new.yaml").st_mode & 0o777 == 0o640
    with pytest.raises(FileExistsError):
        create_exclusive(tmp_path / "new.yaml", b"b: 2\n")
    outside = tmp_path / "outside"
    (tmp_path / "link").symlink_to(outside)
    with pytest.raises(FileExistsError):
        create_exclusive(tmp_path / "link", b"c: 3\n")
    assert not outside.exists()
    assert (tmp_path / "new.yaml").read_bytes() == b"a: 1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "new.yaml"]  # no temporary left behind
