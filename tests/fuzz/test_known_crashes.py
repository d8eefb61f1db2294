"""Crashes fuzzing found in third-party parsers, and meslint's guard against them.

tree-sitter-bash 0.25.1 (with tree-sitter 0.26.1) segfaults, about every other
process, on this 88-byte input: a non-ASCII character, two unterminated
``${`` and a heredoc operator with a long quoted delimiter inside them.  It is
memory corruption in the grammar's C external scanner (the same input with the
non-ASCII characters replaced by ASCII does not crash), so no Python ``except``
can catch it: the whole run dies with SIGSEGV.  Found by
``MESLINT_FUZZ_EXAMPLES=1500 pytest tests/fuzz`` (shell, generated text),
minimised by line/byte deletion.  meslint therefore hands tree-sitter a same-length ASCII
shadow of the source (every byte >= 0x80 replaced by ``_``) and reads all text
back from the original bytes; this test runs meslint's parser in child
processes on the crasher and must see every child exit cleanly.
"""

from __future__ import annotations

import subprocess
import sys

CRASHER = ("\u00e9${\U0005df6d${'<<AAC\"J'F''B\"CIFD'F\"'F\"HDHFID\"DFGDDDHGAFGFDDBEIH'AC\"\"HDD'EF\"DE''"
           "JFCIIAJJEHFAF")

# The crash is not deterministic (heap state): parse many times, through meslint's
# parser object, in a few processes.
CHILD = (
    "import sys\n"
    "from meslint.parsers.shell import parse\n"
    "text = sys.stdin.read()\n"
    "for _ in range(300):\n"
    "    parse('scripts/start_server.sh', text)\n"
)


def test_tree_sitter_bash_heredoc_in_unterminated_expansion_does_not_crash() -> None:
    for _ in range(5):
        done = subprocess.run([sys.executable, "-c", CHILD], input=CRASHER, capture_output=True, text=True,
                              encoding="utf-8", timeout=60)
        assert done.returncode == 0, f"child died with {done.returncode}"
