"""meslint: a static contract linter for conda + systemd + gunicorn deployment repositories."""

__version__ = "0.1.0"
