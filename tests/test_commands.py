from __future__ import annotations

from meslint.argv import analyze


def test_conda_run_gunicorn_options() -> None:
    info = analyze(("exec", "/opt/conda/bin/conda", "run", "--no-capture-output", "-n", "env1", "gunicorn",
                    "--config", "gunicorn.conf.py", "--pid=/run/x/g.pid", "-b", "0.0.0.0:9", "app:app"))
    assert info.conda_bin == "/opt/conda/bin/conda" and info.conda_env == "env1"
    assert info.program == "gunicorn"
    assert info.options == {"config": "gunicorn.conf.py", "pid": "/run/x/g.pid", "bind": "0.0.0.0:9"}


def test_shell_wrapper_keeps_script() -> None:
    info = analyze(("/usr/bin/env", "bash", "-lc", "exec gunicorn app:app"))
    assert info.program == "bash" and info.shell_script == "exec gunicorn app:app"


def test_python_script_after_interpreter_flags() -> None:
    info = analyze(("nohup", "python", "-u", "scripts/w.py", "--verbose"))
    assert info.program == "python" and info.script == "scripts/w.py"
    assert analyze(("python", "-", "arg")).script is None
    assert analyze(("python", "-m", "pkg")).script is None


def test_env_prefix_and_rq_queue() -> None:
    info = analyze(("setsid", "env", "DB_POOL_SIZE=2", "rq", "worker", "reports", "--url", "redis://x"))
    assert info.program == "rq" and info.options["queues"] == "reports" and info.options["url"] == "redis://x"


def test_conda_activate() -> None:
    info = analyze(("conda", "activate", "mes"))
    assert info.conda_env == "mes" and info.program == ""
