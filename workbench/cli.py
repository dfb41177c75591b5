"""`workbench`: the command line over the billing package.

Exit codes (scripts may rely on them):
  0  everything asked for was done
  1  done in part: some customers or files failed (see the problems printed), or the disk filled up
  2  usage error: bad option or argument
  3  nothing done: the input was refused (bad file, unknown customer, ...)
  4  not found or not allowed in the invoice's state (unknown invoice, locked period, ...)
130  interrupted (Ctrl-C); the message says what was kept
`--json` prints one JSON document on stdout (shapes in the README); messages go to stderr.

Amounts a person reads are shown one way: `core.money.money_text` (rounded once, half-up, to the
currency's minor unit, thousands grouped) and the currency code: `1,262.78 USD` in a sentence
(`str(Money(...))`), or `1,262.78` in a table's amount column with the code in the `cur` column
beside it. That holds for unrounded figures too (a vendor report's cost, usage nobody owns):
`--json` keeps every amount exact (`"cost": "1234.5678"`), for a script or a check against the
vendor's file to the last digit.

This module holds the `workbench` group (with what Ctrl-C and a full disk say), `init`, `import`
and `demo`; the other commands are in modules named for what they do, registered here by
`_register_extensions`: `cli_tables` (customers, pricebooks), `cli_invoices` (generate,
invoices), `cli_checks` (reports, unassigned, audit, verify), `cli_notify`, and the commands of
the batch, API and serve packages. What they share is in `cli_common`, which imports none of them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import errno
import json
import os
import signal
import sqlite3
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import click

from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.money import Money
from workbench.billing.core.periods import parse_range
from workbench.billing.core.problems import Severity
from workbench.billing.core.usage import unassigned_fix
from workbench.cli_common import (
    INTERRUPTED,
    OK,
    PARTIAL,
    REFUSED,
    VENDORS,
    WHEN_STOPPED,
    _open,
    _print_json,
    _progress,
    _report,
    _today,
    _when_stopped,
    json_option,
)
from workbench.cli_params import today_option


class _Workbench(click.Group):
    """The `workbench` group: stored usage that cannot be read is a message with its fix (exit 3),
    not a traceback; so are Ctrl-C (exit 130) and a full disk (exit 1)."""

    def invoke(self, ctx: click.Context) -> Any:
        from workbench.billing.store.usage_files import UsageUnavailable

        with _noting_ctrl_c() as ctrl_c:
            try:
                return super().invoke(ctx)
            except UsageUnavailable as exc:
                click.echo(f"Error: {exc}", err=True)
                ctx.exit(REFUSED)
            except (SystemExit, click.exceptions.Exit, click.ClickException, click.Abort):
                raise
            except BaseException as exc:
                kept, then = ctx.meta.get(WHEN_STOPPED, ("it stopped before it finished",
                                                         "check what it stored before running it again"))
                # DuckDB turns Ctrl-C into RuntimeError("Query interrupted"): the signal says what it was
                if isinstance(exc, KeyboardInterrupt) or ctrl_c:
                    click.echo(f"interrupted: {kept}; {then}", err=True)
                    ctx.exit(INTERRUPTED)
                full, by_database = _disk_full(exc)
                if not full:
                    raise
                refused = "the database refused the write and rolled back the transaction under way; " if by_database else ""
                click.echo(f"Error: the disk is full ({full}): {refused}{kept}; free some space on the workspace's "
                           f"disk (and the temp folder's), then {then}", err=True)
                ctx.exit(PARTIAL)


@contextlib.contextmanager
def _noting_ctrl_c() -> Iterator[list[int]]:
    """Remember a Ctrl-C (SIGINT) while the block runs; it still raises KeyboardInterrupt, or
    whatever a library makes of it. Only the main thread with Python's own handler in place."""
    noted: list[int] = []
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield noted
        return

    def note(signum: int, frame: FrameType | None) -> None:
        noted.append(signum)
        signal.default_int_handler(signum, frame)

    signal.signal(signal.SIGINT, note)
    try:
        yield noted
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _disk_full(exc: BaseException | None) -> tuple[str, bool]:
    """What the error says when it (or one it was raised from) is a full disk, and whether the
    database said it: OSError ENOSPC or EDQUOT, DuckDB's I/O error on ENOSPC, SQLite's
    SQLITE_FULL, PostgreSQL's disk_full (53100). ("", False) otherwise."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return (f"{exc.strerror}: {exc.filename}" if exc.filename else str(exc.strerror)), False
        duckdb = sys.modules.get("duckdb")
        if duckdb is not None and isinstance(exc, duckdb.IOException) and "No space left on device" in str(exc):
            return _duckdb_message(str(exc)), False
        driver = getattr(exc, "orig", None)  # SQLAlchemy's DBAPIError wraps the driver's error
        if isinstance(driver, sqlite3.Error) and getattr(driver, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            return str(driver), True
        if getattr(driver, "sqlstate", None) == "53100":
            return str(driver).splitlines()[0], True
        exc = exc.__cause__ or exc.__context__
    return "", False


def _duckdb_message(text: str) -> str:
    """The OS's words in a DuckDB I/O error, which may carry them as JSON after its own."""
    _, brace, rest = text.partition("{")
    try:
        said = json.loads(brace + rest)["exception_message"] if brace else ""
    except (ValueError, KeyError, TypeError):
        said = ""
    return str(said) or text.splitlines()[0]


@click.group(cls=_Workbench, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="workbench")
@click.option("--db", metavar="URL", envvar="WORKBENCH_DB_URL",
              help="Keep the workspace's data in this database (e.g. postgresql://user:pass@host/db) "
                   "so a team shares one store; the URL is never written to the workspace. "
                   "Default: the workspace's own SQLite file. Env: WORKBENCH_DB_URL.")
def main(db: str | None) -> None:
    """Turn vendor billing exports into exact, re-priced customer invoices.

    \b
    Bill a month in four commands:
      workbench init ws
      workbench customers import ws customers.csv accounts.csv customer_vendors.csv pricebooks.csv ...
      workbench import ws cur-2025-10.csv.gz
      workbench generate ws --vendor aws --range last-month
    Then `workbench invoices list ws`, `approve`, `export`; `workbench month-end ws --period YYYY-MM`
    writes every statement's files, `workbench serve ws` serves the dashboards. Try `workbench demo ws`
    for a full example.
    """
    if db:
        # every command, and the kernels and servers they start, open the workspace through it
        os.environ["WORKBENCH_DB_URL"] = db


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--name", default="", help="Workspace name shown on dashboards.")
def init(directory: str, name: str) -> None:
    """Create a workspace in DIRECTORY (new or empty)."""
    from workbench.billing.store.workspace import MARKER, init_workspace
    from workbench.cli_workspace import workspace_argument

    existed = (Path(directory).expanduser() / MARKER).is_file()
    with workspace_argument():
        ws = init_workspace(Path(directory), name=name)
    if existed:  # opened, as it was: say so rather than "ready" (and a --name that was not applied)
        click.echo(f"workspace exists already: {ws.root} (nothing changed)")
        if name and name != ws.name:
            click.echo(f"warning: --name is not applied to an existing workspace: its name stays {ws.name!r} "
                       f"(it is kept in {MARKER})", err=True)
        return
    click.echo(f"workspace ready: {ws.root}")
    click.echo("next: import customers, accounts and pricebooks (`workbench customers import`), then vendor reports (`workbench import`)")


@main.command("import", short_help="Import vendor billing reports (CUR, Azure, GCP, FOCUS).")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--vendor", type=VENDORS, help="Only needed when a file's header does not tell.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Read the files on a Dask cluster (e.g. tcp://scheduler:8786), all at once; they are stored "
                   "here in the order given. The workers must reach the files and the workspace at the same paths.")
@click.option("--accept-smaller", is_flag=True,
              help="Let a file replace a month's report even with fewer than half its rows (refused otherwise: "
                   "most often a partial export).")
@json_option
def import_(directory: str, files: tuple[str, ...], vendor: str | None, scheduler: str | None, accept_smaller: bool,
            as_json: bool) -> None:
    """Import vendor billing reports (AWS CUR, Azure cost details, GCP export, FOCUS).

    Re-importing a file already imported changes nothing; a newer report for the same
    vendor, billing account and period replaces the older one unless that period is locked
    (or has fewer than half its rows: see --accept-smaller).
    Of two such files in one import the later is refused: a report is one file, so the
    numbered parts of one large export must be joined into one file first.
    """
    from workbench.billing.store.report_import import import_reports
    from workbench.cli_tables import _table_hint

    # not "the file under way was not stored": a stop just after its commit leaves it stored
    _when_stopped("each vendor file is stored whole or not at all",
                  "run the same import again (the files already imported are skipped)")
    ws = _open(directory)
    with _progress(as_json, "importing", unit="file") as tick:
        outcome = import_reports(ws, [Path(f) for f in files], vendor=vendor, scheduler=scheduler, progress=tick,
                                 accept_smaller=accept_smaller)
    outcome = dataclasses.replace(outcome, files=tuple(_table_hint(directory, f) for f in outcome.files))
    if as_json:
        _print_json({"files": outcome.files, "unassigned": outcome.unassigned, "problems": outcome.plugin_problems})
    else:
        for f in outcome.files:
            detail = f"  {f.format}, {', '.join(f.periods)}, {f.row_count:,} rows" if f.row_count else ""
            click.echo(f"{f.status.value:>9}  {f.path.name}{detail}")
        _report(outcome.problems)
        for u in outcome.unassigned:
            name = f" ({u.account_name})" if u.account_name else ""
            click.echo(f"unassigned: {u.vendor} account {u.account_id or '(none)'}{name}: "
                       f"{u.rows:,} row(s), {Money(u.cost, u.currency)} belong to no customer", err=True)
            if u.similar:
                click.echo(f"  {unassigned_fix(u.account_id, u.similar, u.vendor)}", err=True)
    statuses = [f.status.value for f in outcome.files]
    sys.exit(OK if "refused" not in statuses else (REFUSED if set(statuses) == {"refused"} else PARTIAL))


@main.command(short_help="Build a demo workspace and bill last month.")
@click.argument("directory", type=click.Path(file_okay=False))
@today_option
def demo(directory: str, today: dt.date | None) -> None:
    """Build a demo workspace (three vendors, ~25 customers, two months) and bill last month.

    The vendor files are generated in their real formats into DIRECTORY/imports and imported
    as an analyst would; then draft invoices are generated for last month for every vendor.
    DIRECTORY must be new or empty: a workspace is never filled with demo data.
    """
    from workbench.billing.core.problems import ProblemsError
    from workbench.billing.demo.workspace import build_demo
    from workbench.billing.generate import generate_invoices
    from workbench.billing.store.usage_queries import report_periods

    from workbench.cli_workspace import workspace_argument

    day = _today(today)
    try:
        with workspace_argument():  # a directory that holds anything is refused: exit 2
            ws, _files = build_demo(Path(directory), today=day, echo=click.echo)
    except ProblemsError as exc:
        raise click.ClickException(f"the demo data did not import:\n{exc}") from None
    date_range = parse_range("last-month", day)
    options = InvoiceOptions(apply_credits=True, include_tax=True, include_marketplace=True)
    for vendor in sorted({r.vendor for r in report_periods(ws)}):
        with _progress(False, f"{vendor} drafts") as tick:
            result = generate_invoices(ws, vendor, date_range, options=options, today=day, progress=tick)
        failed = [p for p in result.problems if p.severity is Severity.ERROR]
        click.echo(f"{vendor}: {len(result.invoices)} draft invoices for {date_range}"
                   + (f"; {len(failed)} customer(s) need attention:" if failed else ""))
        _report(failed)
    click.echo(f"\ndemo workspace ready: {ws.root}")
    click.echo(f"  workbench invoices list {directory}")
    click.echo(f"  workbench unassigned {directory}")


def _register_extensions() -> None:
    """Commands kept in modules of their own: the reference tables (`cli_tables`), generation and
    the invoices (`cli_invoices`), the checks on what is stored (`cli_checks`); and those that
    live with their packages (month-end batch, dashboards, API, notifications).
    (Approving queues the customer email through the `workbench.issue_hooks` entry point.)"""
    from workbench.api.cli import register as register_api
    from workbench.batch.cli import month_end
    from workbench.cli_checks import audit, reports, unassigned, verify
    from workbench.cli_invoices import generate, invoices
    from workbench.cli_notify import notify
    from workbench.cli_tables import customers, pricebooks
    from workbench.serve import serve

    for command in (customers, pricebooks, generate, invoices, reports, unassigned, audit, verify, month_end, serve,
                    notify):
        main.add_command(command)
    register_api(main)  # workbench api, workbench api-key (FastAPI is imported only to serve)


_register_extensions()

if __name__ == "__main__":
    main()
