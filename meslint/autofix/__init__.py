"""Fix builders: pure functions from facts to :class:`meslint.edits.Fix`, one module per kind of edit.

A check calls them to attach a fix to its finding; they never open a file.  Each proves what it
can before offering a fix (an env line is re-read by the three env readers, a Python default is
re-parsed), and offers none when it cannot.
"""
