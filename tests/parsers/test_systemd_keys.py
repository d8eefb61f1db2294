"""Differential: the unit keys meslint interprets vs ``systemd-analyze verify``.

tests/parsers/test_systemd.py compares syntax-level problems; this file covers
key names.  Every key a meslint parser or check reads must be one systemd
knows (a typo in meslint's own key tables would make a rule read nothing), and
a unit with misspelt keys is reported unknown by systemd while meslint keeps
the setting as written and does not flag it (known limit, see README
"Guarantees": run ``systemd-analyze verify`` for unknown keys).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from meslint.parsers.systemd import parse

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")

KEYS = {
    "Unit": ["Description=x", "BindsTo=a.service", "PartOf=a.service", "JoinsNamespaceOf=a.service"],
    "Service": [
        "ExecCondition=/bin/true", "ExecStartPre=/bin/true", "ExecStart=/bin/true", "ExecStartPost=/bin/true",
        "ExecReload=/bin/true", "ExecStop=/bin/true", "ExecStopPost=/bin/true",
        "Environment=A=1", "EnvironmentFile=-/etc/x.env", "WorkingDirectory=/opt/app", "PIDFile=/run/app.pid",
        "TimeoutSec=30", "TimeoutStopSec=30", "SyslogIdentifier=app", "DynamicUser=no", "PrivateTmp=yes",
        "ProtectSystem=strict", "ProtectHome=read-only", "ReadWritePaths=/opt/app/tmp",
        "ReadOnlyPaths=/opt/app/ro", "InaccessiblePaths=/opt/app/secret", "BindPaths=/opt/a:/opt/b",
        "BindReadOnlyPaths=/opt/c:/opt/d", "TemporaryFileSystem=/var/x", "RuntimeDirectory=app",
        "StateDirectory=app", "CacheDirectory=app", "LogsDirectory=app",
    ],
    "Install": ["WantedBy=multi-user.target", "RequiredBy=a.target"],
}
MISSPELT = ["EnviromentFile=/etc/x.env", "Enviroment=A=1", "WorkingDirectroy=/opt/app", "PidFile=/run/app.pid"]


def _verify(path: Path) -> str:
    done = subprocess.run([SYSTEMD_ANALYZE, "verify", "--man=no", "--generators=no", "--recursive-errors=no",
                           str(path)], capture_output=True, text=True, timeout=60, check=False)
    return done.stdout + done.stderr


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
def test_keys_meslint_reads_are_keys_systemd_knows(tmp_path: Path) -> None:
    text = "".join(f"[{section}]\n" + "".join(f"{line}\n" for line in lines) for section, lines in KEYS.items())
    unit = tmp_path / "app.service"
    unit.write_text(text, encoding="utf-8")
    unknown = re.findall(r"Unknown key '([^']+)'", _verify(unit))
    assert unknown == []
    assert parse("app.service", text).problems == ()


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
def test_misspelt_keys_systemd_reports_meslint_keeps(tmp_path: Path) -> None:
    text = "[Service]\nExecStart=/bin/true\n" + "".join(f"{line}\n" for line in MISSPELT)
    unit = tmp_path / "app.service"
    unit.write_text(text, encoding="utf-8")
    theirs = sorted(re.findall(r":(\d+): Unknown key '([^']+)'", _verify(unit)))
    assert theirs == sorted((str(i + 3), line.split("=", 1)[0]) for i, line in enumerate(MISSPELT))
    parsed = parse("app.service", text)
    assert parsed.problems == ()  # the known limit: no finding for an unknown key
    assert parsed.environment == () and parsed.environment_files == ()  # systemd ignores them too
    assert parsed.get("Service", "EnviromentFile") is not None
