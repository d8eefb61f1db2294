"""Documented provisioning steps: where the env template reaches on the host (issue 13, part a)."""

from __future__ import annotations

from pathlib import Path

from meslint.build import build_repository
from meslint.pack import load_pack
from meslint.provisioning import template_fills
from meslint.resolve import unit_environment
from tests.conftest import FIXTURES

README = """# Service

## Deploy

```bash
cp .env.example .env
sudo install -m 640 -o root .env /etc/app/app.env
sudo cp .env.example /etc/app/second.env
install -d -m 750 /etc/app/dir.env
cp .env.example /etc/<name>/x.env
cp other.env /etc/app/unrelated.env
```

## 變更紀錄

```bash
sudo cp .env.example /etc/app/old.env
```
"""


def _fills(tmp_path: Path, readme: str) -> dict[str, int]:
    root = tmp_path / "repo"
    (root / "deploy").mkdir(parents=True)
    (root / "deploy" / "mes-dashboard.service").write_text("[Service]\nExecStart=/bin/true\n", encoding="utf-8")
    (root / ".env.example").write_text("A=1\n", encoding="utf-8")
    (root / "README.md").write_text(readme, encoding="utf-8")
    pack = load_pack("mes-dashboard")
    repo = build_repository(root, pack, max_file_size=1 << 20)
    return {fill.path: fill.step.line for fill in template_fills(repo, pack)}


def test_chains_of_copies_from_the_template_reach_the_host(tmp_path: Path) -> None:
    fills = _fills(tmp_path, README)
    # cp template -> .env, then .env installed; a direct copy; not a directory, a placeholder,
    # another file, or a step told as history.
    assert fills == {"/etc/app/app.env": 7, "/etc/app/second.env": 8}


def test_a_copy_of_something_else_fills_nothing(tmp_path: Path) -> None:
    assert _fills(tmp_path, "```bash\nsudo cp config.env /etc/app/app.env\n```\n") == {}


def test_the_unit_reads_the_template_there_with_the_step_as_provenance() -> None:
    root = FIXTURES / "MES607" / "bad_provisioned"
    pack = load_pack("mes-dashboard")
    repo = build_repository(root, pack, max_file_size=1 << 20)
    (unit,) = repo.units
    template = repo.env_file(pack.env_file.template)
    without = unit_environment(unit, pack, template)
    assert "GUNICORN_WORKERS" not in without  # /etc/mes-dashboard/app.env is not the pack's deployed file
    env = unit_environment(unit, pack, template, template_fills(repo, pack))
    assert env["GUNICORN_WORKERS"].value == "2   # 正式環境: 4"  # systemd keeps the inline comment
    assert env["GUNICORN_WORKERS"].origin.endswith(
        "filled by README.md:9 `sudo install -m 640 -o root -g mes .env /etc/mes-dashboard/app.env`")
