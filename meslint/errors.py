"""Errors the command line reports on one line, exiting 2."""

from __future__ import annotations


class ConfigError(Exception):
    """Bad configuration or usage; the CLI prints it on one line and exits 2."""


class PackError(Exception):
    """A contract pack that cannot be used; the message names file and line."""
