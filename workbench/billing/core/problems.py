"""Bad input as data: every stage returns its result plus a tuple of `Problem` values.

A `Problem` says what is wrong (`code`, `message`), where (`file`, `row`, `customer_id`) and
what to do about it (`fix`). Stages collect every problem they can find before giving up, so
the user sees them all at once. Exceptions are kept for programmer errors, and for the one
case where a caller asked for a result that cannot exist (`ProblemsError` carries the list).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"  # the thing asked for was not done (for that file / customer)
    WARNING = "warning"  # done, but the user should know (preliminary data, unassigned usage)


@dataclass(frozen=True, slots=True)
class Problem:
    code: str  # stable, machine-readable: "missing-columns", "no-pricebook", ...
    message: str  # one sentence for a person
    file: str | None = None
    row: int | None = None  # 1-based data row (the header is row 0)
    customer_id: str | None = None
    fix: str | None = None  # what the user should do
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.customer_id:
            where.append(f"customer {self.customer_id}")
        text = (": ".join([", ".join(where), self.message]) if where else self.message)
        if self.severity is Severity.WARNING:
            text = "warning: " + text
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "row": self.row,
            "customer_id": self.customer_id,
            "fix": self.fix,
            "severity": self.severity.value,
        }


def errors(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    return tuple(p for p in problems if p.severity is Severity.ERROR)


@dataclass
class ProblemsError(Exception):
    """Raised at an edge (store, CLI) when a stage's problems forbid going on."""

    problems: tuple[Problem, ...] = field(default_factory=tuple)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)
