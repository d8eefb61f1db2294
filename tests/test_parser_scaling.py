"""Every parser is linear in its input: twice the input costs at most 2.5 times the time.

A paragraph of N Markdown links once cost N^2 (a copy of the rest of the paragraph per
link: 100k links, 3 MB, took 240 s), and so did inline HTML hidden by block-quote
markers (each searched the rest of the block) and one long non-ASCII line in a shell
script or a Python file (each node's column decoded the line up to it).  Each case
below is an input shape that stresses one construct; the size is doubled from a small
start until one parse takes 0.1 s, then the best of three parses at that size and at
twice it are compared.

Time is this process's CPU time, not the wall clock: other processes on a shared
machine then barely move the figures.  The cyclic garbage collector runs with the
thresholds the CLI sets (its cost grows with the heap, not with the parser's work).

Opt-in (about two minutes): ``MESLINT_SCALING=1 pytest tests/test_parser_scaling.py``.
The env-file readers have their own scaling tests.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable

import pytest

from meslint.parsers import data, markdown, python_src, shell, systemd

pytestmark = [
    pytest.mark.scaling,
    pytest.mark.skipif(not os.environ.get("MESLINT_SCALING"), reason="slow: set MESLINT_SCALING=1 to run"),
]

MAX_RATIO = 2.5
START_SECONDS = 0.1  # a parse at the first size takes at least this long
LIMIT_SECONDS = 1.0  # ... and not much more: the next doubling would pass it

Shape = Callable[[int], str]


def _words(n: int, template: str, sep: str = " ") -> str:
    return sep.join(template.format(i=i) for i in range(n))


SHAPES: dict[str, tuple[Callable, str, dict[str, Shape]]] = {
    "markdown": (markdown.parse, "README.md", {
        "links on one line": lambda n: "x " + "[a](b.md) " * n + "\n",
        "links, one per line of a paragraph": lambda n: "x\n" + "[a](b.md)\n" * n,
        "links and code after non-ASCII text": lambda n: "中 " + "[中](b.md) `中` " * n + "\n",
        "code spans on one line": lambda n: "`x` y " * n + "\n",
        "unmatched backticks": lambda n: "`` a ` b " * n + "\n",
        "paragraphs": lambda n: "text `c` [l](u) *e*\n\n" * n,
        "table rows": lambda n: "| a | b |\n|---|---|\n" + "| `x` | [l](u) |\n" * n,
        "headings": lambda n: "# h `c`\ntext\n\n## s\n\n" * n,
        "list items": lambda n: "- item `c` [l](u)\n" * n,
        "quoted list items": lambda n: "> - item `c`\n>   more [l](u)\n" * n,
        "inline HTML": lambda n: "<b>x</b> <!-- c --> " * n + "\n",
        "inline HTML across quoted lines": lambda n: "> x " + "<a\n> href=x> t " * n + "\n",
        "code spans across quoted lines": lambda n: "> x " + "`a\n> b` t " * n + "\n",
        "emphasis": lambda n: "*a* _b_ **c** " * n + "\n",
        "escapes and entities": lambda n: "\\* &amp; &#35; \\[ " * n + "\n",
        "fenced blocks": lambda n: "```sh\nexport A=1\n```\n" * n,
        "nested brackets": lambda n: "[" * n + "x" + "]" * n + "\n",
        "images": lambda n: "![a](b.png) " * n + "\n",
        "reference links": lambda n: "".join(f"[l{i}]: u{i}\n" for i in range(n)) + "\n"
                                     + _words(n, "[x][l{i}]") + "\n",
    }),
    "systemd": (systemd.parse, "deploy/app.service", {
        "Environment lines": lambda n: "[Service]\n" + "".join(f"Environment=K{i}=v{i}\n" for i in range(n)),
        "one long ExecStart": lambda n: "[Service]\nExecStart=/bin/x " + _words(n, "a{i}") + "\n",
        "one long non-ASCII ExecStart": lambda n: "[Service]\nExecStart=/bin/x 中 " + _words(n, "a{i}") + "\n",
        "continuation lines": lambda n: "[Service]\nExecStart=/bin/x \\\n" + "".join(f"  a{i} \\\n" for i in range(n))
                                        + "  end\n",
        "sections": lambda n: "".join(f"[S{i}]\nKey=v\n" for i in range(n)),
        "quoted assignments": lambda n: "[Service]\nEnvironment=" + _words(n, '"K{i}=a b \\x41"') + "\n",
        "specifiers": lambda n: "[Service]\nExecStart=/bin/x " + "%n%i%% " * n + "\n",
        "bash -c script": lambda n: "[Service]\nExecStart=/usr/bin/env bash -lc 'exec "
                                    + _words(n, '"${{V{i}:-d}}"') + "'\n",
    }),
    "shell": (shell.parse, "scripts/start.sh", {
        "exports": lambda n: "#!/bin/bash\n" + "".join(f'export K{i}="${{K{i}:-v{i}}}"\n' for i in range(n)),
        "one long command": lambda n: "#!/bin/bash\necho " + _words(n, "a{i}") + "\n",
        "assignments on one non-ASCII line": lambda n: "#!/bin/bash\n" + _words(n, "A{i}=中{i}", "; ") + "\n",
        "functions": lambda n: "#!/bin/bash\n" + "".join(f'f{i}() {{\n  local x=${{1:-a}}\n  echo "$x"\n}}\n'
                                                           for i in range(n)),
        "case arms": lambda n: '#!/bin/bash\ncase "$1" in\n' + "".join(f"  c{i}) f{i} ;;\n" for i in range(n))
                               + "esac\n",
        "calls of one function": lambda n: "#!/bin/bash\nf() { echo; }\n" + "f\n" * n,
        "if blocks": lambda n: "#!/bin/bash\n" + "".join(f'if [ -n "$A{i}" ]; then\n  B=$A{i}\nfi\n'
                                                         for i in range(n)),
        "heredoc": lambda n: "#!/bin/bash\ncat <<EOF\n" + "line $X\n" * n + "EOF\n",
        "conda activations": lambda n: "#!/bin/bash\n" + "".join(
            f"source /opt/conda/etc/profile.d/conda.sh\nconda activate e{i}\npython run{i}.py --port ${{PORT:-80}}\n"
            for i in range(n)),
        "nested command substitutions": lambda n: "#!/bin/bash\nX=" + "$(echo " * n + "a" + ")" * n + "\n",
        "one long string": lambda n: '#!/bin/bash\nX="' + "a$b" * n + '"\n',
    }),
    "python": (python_src.parse, "src/app/config.py", {
        "environ.get calls": lambda n: "import os\n" + "".join(f"K{i} = os.environ.get('K{i}', 'd{i}')\n"
                                                               for i in range(n)),
        "int(getenv) calls": lambda n: "import os\n" + "".join(f"K{i} = int(os.getenv('K{i}', '{i}'))\n"
                                                               for i in range(n)),
        "dict literal": lambda n: "D = {" + _words(n, "'k{i}': {i}", ", ") + "}\n",
        "dict literal on a non-ASCII line": lambda n: "D = {'中': 0, " + _words(n, "'k{i}': {i}", ", ") + "}\n",
        "functions": lambda n: "import os\n" + "".join(f"def f{i}():\n    return os.environ['K{i}']\n"
                                                       for i in range(n)),
        "one long expression": lambda n: "import os\nX = " + _words(n, "os.environ.get('K{i}', '')", " + ") + "\n",
        "one long non-ASCII expression": lambda n: "import os\nX = '中' + "
                                                   + _words(n, "os.environ.get('K{i}', '')", " + ") + "\n",
        "sys.path inserts": lambda n: "import sys, os\n" + "".join(
            f"sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'p{i}'))\n" for i in range(n)),
    }),
    "toml": (data.parse_toml, "pyproject.toml", {
        "keys": lambda n: "[tool.x]\n" + "".join(f'k{i} = "v{i}"\n' for i in range(n)),
        "tables": lambda n: "".join(f"[t{i}]\nk = 1\n" for i in range(n)),
        "one long array": lambda n: "a = [" + _words(n, '"v{i}"', ", ") + "]\n",
        "inline table on a non-ASCII line": lambda n: "a = {" + _words(n, 'k{i} = "中"', ", ") + "}\n",
    }),
    "yaml": (data.parse_yaml, "environment.yml", {
        "keys": lambda n: "".join(f"k{i}: v{i}\n" for i in range(n)),
        "conda dependencies": lambda n: "name: e\ndependencies:\n" + "".join(f"  - pkg{i}=1.0\n" for i in range(n))
                                        + "  - pip:\n" + "".join(f"    - p{i}==1\n" for i in range(n)),
        "nested mappings": lambda n: "".join(f"a{i}:\n  b:\n    c: [1, 2]\n" for i in range(n)),
        "flow mapping on a non-ASCII line": lambda n: "a: {" + _words(n, "k{i}: 中", ", ") + "}\n",
    }),
}

CASES = [pytest.param(parser, path, shape, id=f"{kind}: {name}")
         for kind, (parser, path, shapes) in SHAPES.items() for name, shape in shapes.items()]


def _cpu_seconds(parse: Callable, path: str, text: str, runs: int = 1) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.process_time()
        parse(path, text)
        best = min(best, time.process_time() - started)
    return best


@pytest.fixture(autouse=True)
def _cli_gc_thresholds():
    previous = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)  # as meslint.cli sets it for a run
    yield
    gc.set_threshold(*previous)


@pytest.mark.parametrize(("parse", "path", "shape"), CASES)
def test_twice_the_input_costs_at_most_two_and_a_half_times(parse: Callable, path: str, shape: Shape) -> None:
    n = 16
    while _cpu_seconds(parse, path, shape(n)) < START_SECONDS:
        n *= 2
        assert n < 1 << 24, "never reached the measurable range"
    small = _cpu_seconds(parse, path, shape(n), runs=3)
    large = _cpu_seconds(parse, path, shape(2 * n), runs=3)
    assert small < LIMIT_SECONDS, f"n={n}: the first size already takes {small:.2f} s"
    assert large <= MAX_RATIO * small, (f"n={n} ({len(shape(n))} chars): {small:.3f} s, "
                                        f"twice that: {large:.3f} s ({large / small:.2f}x)")
