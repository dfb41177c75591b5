"""`workbench month-end`: the click command over `run_month_end`.

Registered by the main CLI with `from workbench.batch.cli import month_end`.
"""

from __future__ import annotations

import datetime as dt
import signal
import sys
import threading
from typing import TYPE_CHECKING

import click

from workbench.billing.core.invoice import InvoiceOptions
from workbench.cli_params import CUSTOMER_IDS, DATE, MONTH, VENDOR

from .paths import DEFAULT_NOTEBOOK

if TYPE_CHECKING:  # the command imports the month end when it runs: `workbench --help` does not
    from .summary import InvoiceOutcome

__all__ = ["month_end"]

HELP = """Generate a month's draft invoices and write every invoice's files (DIRECTORY: the workspace).

\b
1. Drafts are generated for each vendor with usage imported for --period (or the --vendor
   given), for all customers or --customers. A customer already invoiced for that month keeps
   its invoice: it is reused, not generated again. A missing draft (a new customer, or the
   one replacing a voided invoice) is generated with the options on THIS command line
   (--apply-credits, --include-marketplace, --credits-for-marketplace, --no-tax; by default
   no credits and no marketplace fees), whatever options the voided invoice had: the summary
   names each draft generated (number, customer, total) and the options used.
2. For each invoice of the month (void ones excepted), in DIRECTORY/output/<period>/<number>/:
     <number>.ipynb            notebooks/invoice.ipynb executed with papermill
     <number>.pdf              the A4 statement (statement-pdf)
     <number>-statement.csv    the statement's lines (statement-csv)
     <number>.csv              customer CSV
     <number>-detailed.csv     detailed CSV, down to the vendor rows
     <number>.xlsx             Excel workbook
     <number>.done.json        manifest with the sha256 of each file and the invoice's
                               status, written last

\b
Resume: run the same command again after a crash or a failure. An invoice whose manifest is
there and whose files all match it is skipped; any other invoice is redone from the start
(delete a file, or the manifest, to force one). Files are written under a temporary name and
renamed, so no half-written file ever carries a final name. One invoice failing does not stop
the others; a failed notebook is kept as <number>.failed.ipynb. The folder of an invoice deleted
since its files were written (a draft deleted and generated again) is removed.

\b
Status: every status change rewrites the manifest's "status" at once; the files of an invoice
paid, past due or approved since they were made are made again by the next run. Voiding moves
the folder to DIRECTORY/output/<period>/void/<number>/ (kept for the record, marked void, never
printed again), so the month's folder holds only statements that stand. An invoice voided while
this command prints it ends under void/ too, as its void statement (VOID, manifest status void).
Each run first puts right what a crash left behind; after the invoices, it makes again any
void record under void/ left unfinished or holding a Draft's files (printed before the invoice
was issued, never sent), then lists under OUT OF STEP the folders that still do not show their
invoice as it is now (e.g. of customers this run did not select).

Ctrl-C (or SIGTERM) stops it within seconds, workers included: it prints what was finished,
and running the same command again resumes; exit code 130 (143 on SIGTERM).

Exit code 0 when every invoice has its files and every selected customer was invoiced; 1 when
done in part (the failures are listed with invoice number and customer); 2 on a usage error; 3
when nothing was done (no usage imported for the period, or no invoice could be made or written).
"""


@click.command("month-end", help=HELP, short_help="Drafts and every statement's files for a month.")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--period", type=MONTH, required=True, metavar="YYYY-MM", help="The billing month, e.g. 2025-10.")
@click.option("--vendor", "vendors", multiple=True, type=VENDOR,
              help="Only this vendor (repeatable). Default: every vendor with usage for the period.")
@click.option("--customers", type=CUSTOMER_IDS, help="Only these customer ids, comma separated.")
@click.option("--jobs", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Invoices rendered in parallel (processes, each with its own Chromium).")
@click.option("--scheduler", metavar="ADDRESS",
              help="Render on a Dask cluster (tcp://host:8786) instead of local processes; its workers must "
                   "see DIRECTORY at the same path (shared storage) and, for a database workspace, WORKBENCH_DB_URL.")
@click.option("--engine", type=click.Choice(["warm", "cold"]), default="warm", show_default=True,
              help="warm: each worker keeps one kernel, cleaned between invoices (restarted after a failure); "
                   "cold: a new kernel per invoice.")
@click.option("--apply-credits", is_flag=True, help="Apply the customers' credits to the drafts this run generates.")
@click.option("--include-marketplace", is_flag=True, help="Include marketplace fees (at cost) in the drafts this run generates.")
@click.option("--credits-for-marketplace", is_flag=True, help="Let credits pay marketplace fees.")
@click.option("--no-tax", is_flag=True, help="Leave tax off the drafts this run generates.")
@click.option("--today", type=DATE, metavar="YYYY-MM-DD", help="Pretend today is this day (issue and due dates of new drafts).")
@click.option("--notebook", type=click.Path(exists=True, dir_okay=False), default=str(DEFAULT_NOTEBOOK),
              show_default=True, help="The invoice notebook template.")
def month_end(directory: str, period: str, vendors: tuple[str, ...], customers: list[str] | None, jobs: int,
              scheduler: str | None, engine: str, apply_credits: bool, include_marketplace: bool, credits_for_marketplace: bool, no_tax: bool,
              today: dt.date | None, notebook: str) -> None:
    from tqdm import tqdm

    from workbench.cli_workspace import open_directory

    from .month_end import MonthEndInterrupted, run_month_end

    ws = open_directory(directory, "DIRECTORY")
    options = InvoiceOptions(apply_credits=apply_credits, include_tax=not no_tax,
                             include_marketplace=include_marketplace,
                             credits_for_marketplace=credits_for_marketplace)
    bar: tqdm[None] | None = None

    def start(total: int) -> None:
        nonlocal bar
        bar = tqdm(total=total, unit="invoice", desc=f"month end {period}", file=sys.stderr)

    def tick(done: int, total: int, outcome: InvoiceOutcome) -> None:
        if bar is not None:
            bar.set_postfix_str(f"{outcome.number} {outcome.state}")
            bar.update(1)

    stopped_by: list[int] = []

    def stop(signum: int, frame: object) -> None:  # SIGTERM (`kill`, a service manager) stops it as Ctrl-C does
        stopped_by.append(signum)
        raise KeyboardInterrupt

    in_main = threading.current_thread() is threading.main_thread()  # (signal handlers are the main thread's)
    previous = signal.signal(signal.SIGTERM, stop) if in_main else None
    try:
        summary = run_month_end(ws, period, vendors=list(vendors) or None, customers=customers, jobs=jobs,
                                options=options, today=today, progress=tick, notebook=notebook, on_invoices=start,
                                engine=engine, scheduler=scheduler, on_step=lambda text: click.echo(f"{text} ...", err=True))
    except MonthEndInterrupted as exc:
        if in_main:  # stopped (its workers are gone): a second Ctrl-C or SIGTERM would only cut the summary short
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            previous = signal.SIG_IGN
        summary = exc.summary
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if bar is not None:
            bar.close()
        ws.close()
    click.echo(summary.text())
    if summary.interrupted:  # as a shell reports a command stopped by the signal: 130 Ctrl-C, 143 SIGTERM
        sys.exit(128 + (stopped_by[0] if stopped_by else signal.SIGINT))
    sys.exit(0 if summary.ok else 1 if summary.done or summary.skipped else 3)
