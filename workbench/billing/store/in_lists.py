"""IN lists of bounded length: SQLite caps the parameters of one statement (32,766 since 3.32,
999 before), so a query over thousands of ids runs once per chunk."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

__all__ = ["CHUNK", "chunks"]

CHUNK = 500


def chunks(items: Iterable[str], size: int = CHUNK) -> Iterator[Sequence[str]]:
    """The distinct `items`, sorted (so that locks are always taken in one order), `size` at a time."""
    ordered = sorted(set(items))
    for start in range(0, len(ordered), size):
        yield ordered[start:start + size]
