"""Issue 17 (2): ``check --staged`` judges a commit by the findings it adds, with real git."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from meslint.cli import main
from tests.demo_tree import copy_demo, link_docs

UNIT = "deploy/mes-dashboard.service"
PID_LINE = "WATCHDOG_PID_FILE=/run/mes-dashboard/gunicorn.pid"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "commit.gpgsign=false",
                           *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=60)
    return done.stdout


@pytest.fixture
def repo(tmp_path) -> Path:
    """The demo repository plus a guide the README links to, committed: no findings."""
    root = link_docs(copy_demo(tmp_path / "repo"), {"guide.md": "# Guide\n\nRestart with the start script.\n"})
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    return root


def staged(capsys, root: Path, *extra: str) -> tuple[int, list[str]]:
    code = main(["check", str(root), "--staged", "--no-cache", "--output-format", "concise", *extra])
    return code, [line for line in capsys.readouterr().out.splitlines() if line.strip()]


def cached_staged(capsys, root: Path) -> tuple[int, list[str]]:
    code = main(["check", str(root), "--staged", "--output-format", "concise"])
    return code, [line for line in capsys.readouterr().out.splitlines() if line.strip()]


@pytest.fixture
def engine_runs(monkeypatch) -> list[int]:
    """One item per engine run (a tree evaluated) from then on."""
    from meslint import engine

    calls: list[int] = []
    real_run = engine.run

    def counted(*args, **kwargs):
        calls.append(1)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(engine, "run", counted)
    return calls


def break_pid_file(root: Path) -> None:
    env = root / ".env.example"
    env.write_text(env.read_text().replace(PID_LINE, "WATCHDOG_PID_FILE=/run/other/gunicorn.pid"))


def test_clean_commit_passes(capsys, repo) -> None:
    (repo / "README.md").write_text((repo / "README.md").read_text() + "\nMore words.\n")
    git(repo, "add", "README.md")
    assert staged(capsys, repo) == (0, [])


def test_a_staged_edit_that_breaks_another_file_fails(capsys, repo) -> None:
    break_pid_file(repo)
    git(repo, "add", ".env.example")
    code, lines = staged(capsys, repo)
    assert code == 1
    # The unit is not part of the commit; its PIDFile= no longer matches what the env file sets.
    assert any(line.startswith(f"{UNIT}:19:1: MES603 ") for line in lines)
    # The files mode misses it: no site of the MES603 is in the changed file.
    code = main(["check", str(repo), "--only-changed", "--no-cache", "--output-format", "concise"])
    assert not [line for line in capsys.readouterr().out.splitlines() if "MES603" in line]


def test_the_index_is_judged_not_the_working_tree(capsys, repo) -> None:
    env = repo / ".env.example"
    original = env.read_text()
    break_pid_file(repo)
    git(repo, "add", ".env.example")
    env.write_text(original)  # the fix is not staged: the commit still breaks the unit
    assert staged(capsys, repo)[0] == 1
    git(repo, "add", ".env.example")
    break_pid_file(repo)  # an unstaged breakage is not part of the commit
    assert staged(capsys, repo) == (0, [])


def test_a_deletion_that_breaks_a_doc_link_fails(capsys, repo) -> None:
    git(repo, "rm", "-q", "docs/guide.md")
    code, lines = staged(capsys, repo)
    assert code == 1 and len(lines) == 1
    assert lines[0].startswith("README.md:") and " MES805 " in lines[0] and "docs/guide.md" in lines[0]


def test_a_pre_existing_finding_does_not_fail(capsys, repo, tmp_path) -> None:
    break_pid_file(repo)
    git(repo, "commit", "-qam", "breach")
    (repo / "README.md").write_text((repo / "README.md").read_text() + "\nMore words.\n")
    git(repo, "add", "README.md")
    assert staged(capsys, repo) == (0, [])
    assert main(["check", str(repo), "--no-cache"]) == 1
    capsys.readouterr()
    # A new breach in the same file is new.
    env = repo / ".env.example"
    env.write_text(env.read_text() + "GUNICORN_GRACEFUL_TIMEOUT=90  # x\n")
    git(repo, "add", ".env.example")
    code, lines = staged(capsys, repo)
    assert code == 1 and lines


def test_a_baseline_adds_to_what_head_already_has(capsys, repo, tmp_path) -> None:
    break_pid_file(repo)
    baseline = tmp_path / "baseline.json"
    assert main(["check", str(repo), "--no-cache", "--write-baseline", str(baseline)]) == 0
    git(repo, "add", ".env.example")
    assert staged(capsys, repo, "--baseline", str(baseline)) == (0, [])


def test_first_commit_reports_everything(capsys, tmp_path) -> None:
    root = copy_demo(tmp_path / "fresh")
    break_pid_file(root)
    git(root, "init", "-q")
    git(root, "add", "-A")
    code, lines = staged(capsys, root)
    full = main(["check", str(root), "--no-cache", "--output-format", "concise"])
    assert code == full == 1 and lines == [line for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_two_runs_are_byte_identical(capsys, repo) -> None:
    break_pid_file(repo)
    git(repo, "add", ".env.example")
    outputs = []
    for _ in range(2):
        for fmt in ("concise", "json", "sarif"):
            main(["check", str(repo), "--staged", "--no-cache", "--output-format", fmt])
            outputs.append(capsys.readouterr().out)
    assert outputs[:3] == outputs[3:] and "meslint-staged-" not in "".join(outputs)


def test_no_program_of_the_repository_runs(capsys, repo, tmp_path) -> None:
    """Filters, textconv and fsmonitor configured by the checked repository never run."""
    marker = tmp_path / "ran"
    program = f"sh -c 'touch {marker}; cat'"
    (repo / ".gitattributes").write_text("* filter=evil diff=evil\n")
    git(repo, "add", ".gitattributes")
    for key, value in (("filter.evil.smudge", program), ("filter.evil.clean", "cat"),
                       ("diff.evil.textconv", program), ("core.fsmonitor", program)):
        git(repo, "config", key, value)
    break_pid_file(repo)
    subprocess.run(["git", "add", ".env.example"], cwd=repo, check=True, capture_output=True,
                   env={**os.environ, "GIT_CONFIG_PARAMETERS": "'core.fsmonitor'=''"})
    marker.unlink(missing_ok=True)
    assert staged(capsys, repo)[0] == 1
    assert not marker.exists()


def test_staged_refuses_stdin_and_needs_a_git_repository(capsys, repo, tmp_path) -> None:
    code = main(["check", "--staged", "--stdin-filename", str(repo / UNIT), "-"])
    assert code == 2 and "--staged" in capsys.readouterr().err
    code = main(["check", str(repo), "--staged", "--write-baseline", str(tmp_path / "b.json")])
    assert code == 2 and "--write-baseline" in capsys.readouterr().err
    plain = copy_demo(tmp_path / "plain")
    code = main(["check", str(plain), "--staged", "--no-cache"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("meslint: error: --staged") and len(err.splitlines()) == 1


def test_the_index_is_discovered_as_the_checkout_would_be(repo) -> None:
    """Links (inside, outside, dangling, to a directory), binary, oversized and extension-less files:
    the in-memory discovery of the index equals discovering the checked-out tree."""
    from meslint.discovery import discover
    from meslint.staged import discovery_of, index_entries, read_blobs

    docs = repo / "docs"
    (docs / "inside.md").symlink_to("guide.md")
    (docs / "outside.md").symlink_to("/etc/hostname")
    (docs / "dangling.md").symlink_to("missing.md")
    (docs / "folder.md").symlink_to("../deploy")
    (docs / "null.md").symlink_to("/dev/null")  # outside: skipped
    (repo / "deploy" / "service.d").mkdir(parents=True)
    (repo / "deploy" / "service.d" / "10-off.conf").symlink_to("/dev/null")  # a masked drop-in: read as empty
    (docs / "binary.md").write_bytes(b"# x\0y\n")
    (docs / "latin1.md").write_bytes("caf\xe9\n".encode("latin-1"))
    (docs / "big.md").write_text("x" * 5000)
    (repo / "scripts" / "runme").write_text("#!/bin/bash\necho hi\n")
    (repo / "notes.txt").write_text("not read\n")
    git(repo, "add", "-A")
    entries = index_entries(repo)
    blobs = read_blobs(repo, {e.oid for e in entries})
    for exclude in ((), ("deploy/",)):
        expected = discover(repo, max_file_size=4096, exclude=exclude, extra_markdown=())
        got = discovery_of(entries, blobs, max_file_size=4096, exclude=exclude, mirrors=())
        assert got.all_paths == expected.all_paths
        assert [(f.path, f.kind, f.text) for f in got.files] == [(f.path, f.kind, f.text) for f in expected.files]
        assert sorted(got.skipped, key=lambda s: s.location) == sorted(expected.skipped, key=lambda s: s.location)
        assert len(got.skipped) == 7 and any(f.path == "docs/inside.md" for f in got.files)
        assert ("deploy/service.d/10-off.conf", "") in [(f.path, f.text) for f in got.files] or exclude


def test_with_the_run_cache_staged_runs_replay_and_say_what_uncached_runs_say(capsys, repo, caching_on,
                                                                              engine_runs) -> None:
    calls = engine_runs

    def cached() -> tuple[int, list[str]]:
        return cached_staged(capsys, repo)

    main(["check", str(repo), "-q", "--exit-zero"])  # a working-tree run recorded what each check read
    capsys.readouterr()
    break_pid_file(repo)
    git(repo, "add", ".env.example")
    calls.clear()
    first = cached()
    assert calls == [1, 1]  # the index, then HEAD (first seen)
    assert first == staged(capsys, repo) and first[0] == 1
    calls.clear()
    assert cached() == first and calls == [1]  # HEAD's counts come from the record
    git(repo, "commit", "-qm", "break it")  # the new HEAD is the index judged before: its counts are known
    calls.clear()
    assert cached() == (0, []) and calls == [1]
    assert staged(capsys, repo) == (0, [])


def test_the_blobs_the_last_run_read_are_not_read_again(capsys, repo, caching_on, monkeypatch) -> None:
    """The second ``--staged`` run reads (in one batch) only the blob the commit changed; the others
    come from the blob record, their text read one by one only when asked (a finding's line), and
    the output is the uncached run's."""
    from meslint import blob_reuse
    from meslint import staged as staged_module

    batches: list[set[str]] = []
    asked: list[str] = []
    real_batch, real_one = staged_module.read_blobs, blob_reuse.BlobReader.read

    def batch(root, oids):
        batches.append(set(oids))
        return real_batch(root, oids)

    def one(self, oid):
        asked.append(oid)
        return real_one(self, oid)

    monkeypatch.setattr(staged_module, "read_blobs", batch)
    monkeypatch.setattr(blob_reuse.BlobReader, "read", one)

    def cached() -> tuple[int, list[str]]:
        return cached_staged(capsys, repo)

    first = cached()  # reads every blob of the index and HEAD
    assert len(batches[0]) > 5 and first == (0, [])
    break_pid_file(repo)
    git(repo, "add", ".env.example")
    changed = git(repo, "rev-parse", ":.env.example").strip()
    batches.clear()
    asked.clear()
    second = cached()
    assert batches[0] == {changed}  # HEAD's counts are recorded; the index differs by one blob
    assert second == staged(capsys, repo) and second[0] == 1
    assert 0 < len(asked) < 10 and changed not in asked  # the texts of the lines findings cite


def test_a_blob_reader_that_gets_no_answer_falls_back(tmp_path) -> None:
    from meslint.blob_reuse import BlobReader

    fallback: list[str] = []

    def one_shot(oid: str) -> bytes:
        fallback.append(oid)
        return b"text"

    silent = BlobReader(["sh", "-c", "sleep 30"], tmp_path, dict(os.environ), one_shot, timeout=0.2)
    assert silent.read("a" * 40) == b"text" and fallback == ["a" * 40]
    gone = BlobReader(["sh", "-c", "exit 0"], tmp_path, dict(os.environ), one_shot)
    assert gone.read("b" * 40) == b"text" and fallback[-1] == "b" * 40
    fake = BlobReader(["sh", "-c", "read oid; printf '%s blob 5\\nhello\\n' \"$oid\"; read oid; echo \"$oid missing\""],
                      tmp_path, dict(os.environ), one_shot)
    assert fake.read("c" * 40) == b"hello" and fake.read("d" * 40) is None
    fake.close()


def test_the_index_tree_id_is_the_one_git_writes(repo) -> None:
    """``tree_id`` is git's own id of the index's tree (what the commit's ``HEAD:./`` will name), for
    the root and for a subdirectory, with links and executables, without writing an object."""
    from meslint.staged import index_entries, tree_id

    (repo / "deploy" / "run.sh").write_text("#!/bin/sh\necho\n")
    (repo / "deploy" / "run.sh").chmod(0o755)
    os.symlink("run.sh", repo / "deploy" / "run-link")
    (repo / "a-b").write_text("x\n")  # sorts between a file "a" and a directory "a/" as git sorts them
    (repo / "a.txt").write_text("y\n")
    git(repo, "add", "-A")
    assert tree_id(index_entries(repo)) == git(repo, "write-tree").strip()
    assert tree_id(index_entries(repo / "deploy")) == git(repo, "write-tree", "--prefix=deploy/").strip()
    assert tree_id([]) is None


def test_a_commit_made_from_the_judged_index_needs_no_head_run(capsys, repo, caching_on, engine_runs) -> None:
    """The index's finding counts are recorded under the tree id the commit will have: the hook of
    the next commit finds HEAD's counts and evaluates the index alone."""
    calls = engine_runs

    def cached() -> tuple[int, list[str]]:
        return cached_staged(capsys, repo)

    break_pid_file(repo)
    git(repo, "add", ".env.example")
    assert cached()[0] == 1 and calls == [1, 1]  # the index, then HEAD
    git(repo, "commit", "-qm", "break it")
    (repo / "README.md").write_text((repo / "README.md").read_text() + "\nMore words.\n")
    git(repo, "add", "README.md")
    calls.clear()
    assert cached() == (0, [])
    assert calls == [1]  # HEAD is the index judged before
    assert staged(capsys, repo) == (0, [])
    (repo / "README.md").write_text((repo / "README.md").read_text() + "\nStaged after the hook ran.\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-qm", "not the judged index")  # HEAD is a tree no run has seen
    (repo / "guide.md").write_text("# Guide\n\nRestart it.\n")
    git(repo, "add", "guide.md")
    calls.clear()
    assert cached() == (0, []) and calls == [1, 1]


def test_files_the_blob_record_does_not_answer_are_still_read(repo, caching_on, capsys) -> None:
    """A link to a recorded file, and a recorded file now over the size limit, need their blobs: with
    the record, the index is discovered exactly as without it (nothing silently left out)."""
    from meslint import blob_reuse
    from meslint.facts import FileKind
    from meslint.staged import blobs_to_read, discovery_of, index_entries, read_blobs

    os.symlink("mes-dashboard.service", repo / "deploy" / "alias.service")
    git(repo, "add", "-A")
    cached_staged(capsys, repo)  # records every blob the index has
    records = blob_reuse.open_store(repo)
    index = index_entries(repo)
    assert records is not None and records.holds(next(e.oid for e in index if e.path == UNIT), FileKind.UNIT)
    reader = blob_reuse.BlobReader(["git", "cat-file", "--batch"], repo, dict(os.environ), lambda oid: None)
    oids = {e.path: e.oid for e in index}

    def text_of(path: str) -> str:
        return reader.read(oids[path]).decode()  # type: ignore[union-attr]

    for limit in (1 << 20, 200):  # 200 bytes: recorded files over the limit must become skipped files
        plain = discovery_of(index, read_blobs(repo, {e.oid for e in index}), max_file_size=limit, exclude=(),
                             mirrors=())
        with_record = discovery_of(index, read_blobs(repo, blobs_to_read(index, records, ())),
                                   max_file_size=limit, exclude=(), mirrors=(), records=records,
                                   reader=text_of, fetch=reader.read)
        seen = [(f.path, f.kind, f.text) for f in with_record.files]
        assert seen == [(f.path, f.kind, f.text) for f in plain.files]
        assert with_record.skipped == plain.skipped and with_record.all_paths == plain.all_paths
        assert "deploy/alias.service" in {f.path for f in plain.files} | {s.location.path for s in plain.skipped}
    reader.close()
