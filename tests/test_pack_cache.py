"""The pack a run parsed is kept for the next run (meslint.pack_cache): the same records, without PyYAML."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from meslint import cachefiles, pack_cache, pack_files
from meslint.errors import PackError
from meslint.pack import load_pack, load_pack_text
from tests.conftest import FIXTURES, REPO


@pytest.fixture
def cached(tmp_path, caching_on, monkeypatch):
    monkeypatch.setitem(cachefiles._CONFIG, "enabled", True)
    root = tmp_path / "repo"
    root.mkdir()
    return root


@pytest.mark.parametrize("name", pack_files.builtin_pack_names())
def test_every_built_in_pack_comes_back_from_the_cache_as_it_was_parsed(cached, name) -> None:
    path = pack_files.builtin_dir() / f"{name}.yaml"
    text, source = path.read_text(encoding="utf-8"), f"rules/{name}.yaml"
    assert pack_cache.load(cached, source, text) is None
    parsed = load_pack_text(text, source, shipped=True)
    pack_cache.save_later(cached, source, text, parsed)  # at once: nothing deferred here
    kept = pack_cache.load(cached, source, text)
    assert kept == parsed and repr(kept) == repr(parsed)
    assert pack_cache.load(cached, source, text + "\n# another text\n") is None
    assert pack_cache.load(cached, "rules/other.yaml", text) is None


def test_a_damaged_or_foreign_pack_cache_is_a_miss(cached) -> None:
    path = pack_files.builtin_dir() / "mes-dashboard.yaml"
    text = path.read_text(encoding="utf-8")
    pack_cache.save_later(cached, "rules/mes-dashboard.yaml", text, load_pack_text(text, "rules/mes-dashboard.yaml"))
    kept = cached / cachefiles.CACHE_DIR_NAME / pack_cache.NAME
    data = kept.read_bytes()
    kept.write_bytes(data[:-5] + b"xxxxx")
    assert pack_cache.load(cached, "rules/mes-dashboard.yaml", text) is None


def test_a_pack_that_fails_to_load_is_never_kept(cached) -> None:
    (cached / "pack.yaml").write_text("name: broken\ndeploy_root: relative/path\n", encoding="utf-8")
    for _ in range(2):  # and the second run reports the same error
        with pytest.raises(PackError, match="missing required key"):
            load_pack("pack.yaml", base_dir=cached, confined=True)
    assert not (cached / cachefiles.CACHE_DIR_NAME / pack_cache.NAME).exists()


_DRIVER = """
import sys
from meslint.cli import main
code = main(sys.argv[1:])
print("YAML=" + str("yaml" in sys.modules) + " CODE=" + str(code))
"""


def test_a_run_after_an_edit_takes_its_pack_from_the_cache_and_answers_the_same(tmp_path, caching_on) -> None:
    root = tmp_path / "demo"
    shutil.copytree(FIXTURES / "demo", root)
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def run(*extra: str) -> tuple[str, str]:
        done = subprocess.run([sys.executable, "-c", _DRIVER, "check", str(root), "--output-format", "json", *extra],
                              capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
        output, _, state = done.stdout.rpartition("YAML=")
        return output, state.strip()

    assert run()[1].startswith("True")  # the first run parses the pack
    readme = root / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    after_edit, state = run()
    assert state.startswith("False")  # the pack came from the cache: PyYAML was never imported
    cold, cold_state = run("--no-cache")
    assert cold_state.startswith("True") and after_edit == cold
