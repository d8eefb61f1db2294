from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meslint.discovery import classify, discover
from meslint.facts import FileKind


def test_classify_by_name_and_shebang() -> None:
    assert classify("deploy/a.service") is FileKind.UNIT
    assert classify(".env.example") is FileKind.ENV
    assert classify("config/prod.env") is FileKind.ENV
    assert classify("scripts/x.sh") is FileKind.SHELL
    assert classify("bin/run", b"#!/usr/bin/env bash\n") is FileKind.SHELL
    assert classify("bin/run", b"#!/usr/bin/env python3\n") is None
    assert classify("README.mdj") is FileKind.MARKDOWN
    assert classify("environment.yml") is FileKind.YAML
    assert classify("pyproject.toml") is FileKind.TOML
    assert classify("image.png") is None


def test_bom_and_crlf_are_normal_input(write_tree) -> None:
    root = write_tree({})
    (root / ".env").write_bytes(b"\xef\xbb\xbfA=1\r\nB=2\r\n")
    found = discover(root)
    assert [f.text for f in found.files] == ["A=1\nB=2\n"]


def test_skips_binary_undecodable_and_oversized(write_tree) -> None:
    root = write_tree({"ok.sh": "echo ok\n"})
    (root / "bin.service").write_bytes(b"\x00\x01[Service]")
    (root / "latin.env").write_bytes(b"A=1\nB=caf\xe9\n")
    (root / "big.py").write_bytes(b"#" * 2048)
    found = discover(root, max_file_size=1024)
    reasons = {s.location.path: (s.location.line, s.reason) for s in found.skipped}
    assert "binary" in reasons["bin.service"][1]
    assert reasons["latin.env"][0] == 2 and "UTF-8" in reasons["latin.env"][1]
    assert "limit" in reasons["big.py"][1]
    assert [f.path for f in found.files] == ["ok.sh"]


def test_never_follows_links_out_of_the_root(tmp_path, write_tree) -> None:
    secret = tmp_path / "secret.env"
    secret.write_text("PASSWORD=hunter2\n")
    root = write_tree({"a.env": "A=1\n"})
    os.symlink(secret, root / ".env")
    os.symlink(root / "a.env", root / "inside.env")
    os.symlink(root / "loop.env", root / "loop.env")
    found = discover(root)
    texts = [f.text for f in found.files]
    assert all("hunter2" not in t for t in texts)
    reasons = {s.location.path: s.reason for s in found.skipped}
    assert "outside the repository" in reasons[".env"]
    assert "loop" in reasons["loop.env"]
    assert "inside.env" in {f.path for f in found.files}


def test_fifo_is_never_opened(write_tree) -> None:
    root = write_tree({})
    os.mkfifo(root / "pipe.env")
    found = discover(root)
    assert "never opened" in found.skipped[0].reason


def test_git_work_tree_respects_gitignore(write_tree) -> None:
    import subprocess

    root = write_tree({"a.sh": "echo\n", "ignored/b.sh": "echo\n", ".gitignore": "ignored/\n"})
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    found = discover(root)
    assert [f.path for f in found.files] == ["a.sh"]


_NAME_PARTS = st.sampled_from(["", ".", "env", ".env", "ENV", "example", "template", "sample", "md", "MD",
                               "service", "timer", "py", "sh", "bash", "toml", "yml", "yaml", "environment",
                               "markdown", "mdj", "rc", "x", "target", "mount", "path", "socket", "README", "conf",
                               "Dockerfile", "containerfile", "docker-compose", "compose", "supervisord", "ini",
                               "uwsgi", "nginx", "vhost", "apache", "json", "txt", "js", "ts", "vue", "mjs"])


@settings(max_examples=600, deadline=None)
@given(st.lists(_NAME_PARTS, min_size=1, max_size=4),
       st.sampled_from(["", "deploy/", "a.b/", "deploy/x.service.d/", "x.timer.d/", ".service.d/", "service.d/",
                        "supervisor/", "sites-available/", "nginx/", "httpd/", "uwsgi/", "frontend/src/"]),
       st.sampled_from(["none", "itself", "glob"]))
def test_may_hold_facts_agrees_with_classify(parts, directory, mirrored):
    from meslint.listing import may_hold_facts

    rel = directory + ".".join(parts)
    if not rel or rel.endswith("/"):
        return
    mirrors = {"none": (), "itself": (rel,), "glob": ("frontend/src/**/*.ts", "README.md")}[mirrored]
    expected = classify(rel, None, mirrors) is not None or "." not in rel.rsplit("/", 1)[-1]
    assert may_hold_facts(rel, mirrors) == expected


def test_read_upto_reads_past_the_expected_size_up_to_the_limit(tmp_path):
    from meslint.safe_io import read_upto

    for data, limit, expected, want in ((b"x" * 100, 50, 10, 50), (b"x" * 100_000, 10**6, 10, 100_000),
                                        (b"", 10, 1, 0), (b"abc", 10, 4, 3)):
        path = tmp_path / "f"
        path.write_bytes(data)  # a file that "grew" since its size was taken: expected < len(data)
        fd = os.open(path, os.O_RDONLY)
        try:
            assert len(read_upto(fd, limit, expected)) == want
        finally:
            os.close(fd)


def test_one_run_lists_and_stats_the_tree_once(tmp_path, monkeypatch):
    """The run cache's inventory and discovery share one listing and one lstat per file inside
    ``one_listing``; outside it every call looks again."""
    from meslint import listing

    (tmp_path / "a.service").write_text("[Service]\nExecStart=/bin/true\n")
    walks: list[str] = []
    real_list = listing._list_paths

    def counted(root, unreadable):
        walks.append(str(root))
        return real_list(root, unreadable)

    monkeypatch.setattr(listing, "_list_paths", counted)
    with listing.one_listing():
        first = listing.list_paths(tmp_path)
        (tmp_path / "b.service").write_text("[Service]\nExecStart=/bin/true\n")
        assert listing.list_paths(tmp_path) == first == ["a.service"]  # the run's one listing
        stat_a = listing.lstat(str(tmp_path / "a.service"))
        (tmp_path / "a.service").write_text("[Service]\nExecStart=/bin/false\nUser=x\n")
        assert listing.lstat(str(tmp_path / "a.service")) is stat_a
        with pytest.raises(FileNotFoundError):
            listing.lstat(str(tmp_path / "missing"))
        with pytest.raises(FileNotFoundError):  # a failure is remembered and raised again
            listing.lstat(str(tmp_path / "missing"))
    assert len(walks) == 1
    assert listing.list_paths(tmp_path) == ["a.service", "b.service"]  # outside a run: looked at again
    assert listing.lstat(str(tmp_path / "a.service")).st_size != stat_a.st_size


def test_one_run_decides_once_which_listed_files_may_hold_facts(tmp_path, monkeypatch):
    from meslint import listing

    names = ["a.service", "b.txt", "README.md", "docs/x.md", "run", "web/app.js"]
    asked: list[str] = []
    real = listing.may_hold_facts

    def counted(rel, extra=()):
        asked.append(rel)
        return real(rel, extra)

    monkeypatch.setattr(listing, "may_hold_facts", counted)
    expected = frozenset(rel for rel in names if real(rel, {"web/app.js"}))
    with listing.one_listing():
        first = listing.fact_candidates(tmp_path, names, ("web/app.js",))
        assert listing.fact_candidates(tmp_path, names, frozenset({"web/app.js"})) is first
        assert listing.fact_candidates(tmp_path, names, ()) == expected - {"web/app.js"}  # other names: asked again
    assert first == expected and "web/app.js" in first and "b.txt" not in first
    assert len(asked) == 2 * len(names)
