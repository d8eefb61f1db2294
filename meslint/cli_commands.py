"""The subcommands other than ``check`` and ``gates`` (a part of :mod:`meslint.cli`): ``show-contract``,
and those that read no repository: ``pack-schema``, ``init``, ``rules`` and ``rule``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from meslint.cli_parser import EXIT_CLEAN
from meslint.config import Settings
from meslint.errors import ConfigError
from meslint.reporters.escape import json_text, visible

# The subcommands that check no repository: no root, no settings, no cache.
STANDALONE = ("pack-schema", "init", "rules", "rule", "server")


def standalone(args: argparse.Namespace) -> int:
    """Run one of the :data:`STANDALONE` subcommands."""
    if args.command == "pack-schema":
        from meslint.pack_schema import pack_schema

        print(json.dumps(pack_schema(), indent=2, ensure_ascii=False))
        return EXIT_CLEAN
    if args.command == "init":
        from meslint.pack_init import init_pack

        target, _ = init_pack(Path(args.path), args.output, args.name)
        print(f"wrote {visible(str(target))}: check every guess in it, then run "
              f"meslint check --contract {visible(args.output)}")
        return EXIT_CLEAN
    if args.command == "server":
        from meslint.server import command

        if args.timeout is not None and not (args.timeout > 0 and args.timeout < float("inf")):
            raise ConfigError(f"--timeout {args.timeout}: give a number of seconds greater than 0")
        if args.timeout is not None and args.action not in ("start", "run"):
            raise ConfigError(f"--timeout applies to server start and server run, not {args.action}")
        return command(args.action, args.timeout)
    if args.command == "rules":
        from meslint.rule_docs import rules_table

        print(rules_table(output_format=args.output_format))
        return EXIT_CLEAN
    from meslint.rule_docs import rule_doc  # the one left: rule

    text = rule_doc(args.code, args.output_format)
    if text is None:
        raise ConfigError(f"unknown rule {args.code!r} (see 'meslint rules')")
    print(text)
    return EXIT_CLEAN


def show_contract(args: argparse.Namespace, root: Path, settings: Settings) -> int:
    from meslint.build import build_repository
    from meslint.engine import load_contract
    from meslint.reporters.contract import render_contract
    from meslint.resolve import resolve

    overrides = [_override(text) for text in args.override]
    pack = load_contract(settings, root, args.contract)
    repo = build_repository(root, pack, max_file_size=settings.max_file_size, exclude=settings.exclude)
    if args.runtime == "configured" and not overrides:
        resolution = resolve(repo, pack)
    else:
        from meslint import counterfactual

        what_if = (counterfactual.code_defaults(repo, pack, resolve(repo, pack), overrides)
                   if args.runtime == "defaults"
                   else counterfactual.no_env_file(overrides))
        resolution = counterfactual.resolve_what_if(repo, pack, what_if)
    from meslint.reporters.write_sets import write_sets

    sys.stdout.write(render_contract(resolution, args.output_format, write_sets(repo, pack, resolution)))
    return EXIT_CLEAN


def _override(text: str) -> tuple[str, str]:
    """``NAME=VALUE`` of ``show-contract --override``."""
    name, sep, value = text.partition("=")
    if not sep or not (name.isascii() and name.isidentifier()):
        raise ConfigError(f"--override {json_text(text)}: give NAME=VALUE with NAME a variable name")
    return name, value
