"""Where a fact or finding sits in the checked repository."""

from __future__ import annotations

from meslint.records import record


@record(slots=True, order=True)
class Location:
    path: str
    line: int = 1
    column: int = 1
    end_line: int = 0
    end_column: int = 0

    def __post_init__(self) -> None:
        # A point location ends where it starts; keeps reporters simple.
        if self.end_line == 0:
            object.__setattr__(self, "end_line", self.line)
        if self.end_column == 0:
            object.__setattr__(self, "end_column", self.column)

    def short(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"
