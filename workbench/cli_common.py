"""What every `workbench` command module shares: exit codes, the `--json` option and its
printing, problems on stderr, the analyst's tables, opening the workspace, the progress bar, and
what a command stopped midway says it kept.

The command modules (`cli`, `cli_tables`, `cli_invoices`, `cli_checks`) import from here; this
module imports none of them. The exit codes and the way amounts are shown are in `cli`'s docstring.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import click

from workbench.billing.core.money import plain
from workbench.billing.core.problems import Problem, Severity
from workbench.cli_params import VENDOR

__all__ = ["INTERRUPTED", "NOT_ALLOWED", "OK", "PARTIAL", "REFUSED", "USAGE", "VENDORS", "WHEN_STOPPED",
           "_has_errors", "_open", "_print_json", "_progress", "_report", "_table", "_today", "_when_stopped",
           "json_option"]

OK, PARTIAL, USAGE, REFUSED, NOT_ALLOWED = 0, 1, 2, 3, 4
INTERRUPTED = 130  # Ctrl-C, as shells report a process SIGINT ended
VENDORS = VENDOR  # every --vendor reads a vendor as the table files do: aws, AWS, Amazon, ...


def _today(value: dt.date | None) -> dt.date:
    return value or dt.date.today()


def _json_default(value: object) -> object:
    """Money as exact strings, dates ISO, paths as text, dataclasses as objects."""
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value) if not f.name.startswith("_")}
    raise TypeError(type(value).__name__)


def _print_json(doc: object) -> None:
    click.echo(json.dumps(doc, indent=2, default=_json_default))


def _report(problems: Iterable[Problem]) -> None:
    for p in problems:
        click.echo(str(p), err=True)


def _has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity is Severity.ERROR for p in problems)


def _open(directory: str) -> Any:
    from workbench.cli_workspace import open_directory

    return open_directory(directory)


def _table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> None:
    cells = [[str(c) for c in header]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for n, row in enumerate(cells):
        click.echo("  ".join(c.rjust(w) if _numeric(c) and n else c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if n == 0:
            click.echo("  ".join("-" * w for w in widths))


def _numeric(text: str) -> bool:
    return text.replace(",", "").replace(".", "").replace("-", "").isdigit()


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON (see the README for its shape).")


# ctx.meta key (one meta for every context of a run): what a command stopped midway (Ctrl-C, a
# full disk) has kept, and what to do then; for the message
WHEN_STOPPED = "workbench.when_stopped"


def _when_stopped(kept: str, then: str) -> None:
    click.get_current_context().meta[WHEN_STOPPED] = (kept, then)


class _progress:
    """A tqdm bar on stderr for long runs; silent for --json and when stderr is no terminal."""

    def __init__(self, quiet: bool, label: str, unit: str = "customer") -> None:
        self.quiet, self.label, self.unit, self.bar = quiet, label, unit, None

    def __enter__(self) -> Callable[[int, int, str], None]:
        def tick(done: int, total: int, item: str) -> None:
            if self.quiet:
                return
            if self.bar is None:
                from tqdm import tqdm

                self.bar = tqdm(total=total, desc=self.label, unit=self.unit, file=sys.stderr, leave=False,
                                disable=None)
            self.bar.set_postfix_str(item)
            self.bar.update(done - self.bar.n)

        return tick

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
