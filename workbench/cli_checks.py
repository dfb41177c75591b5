"""`workbench reports`, `unassigned`, `audit` and `verify`: checks on what the workspace holds (the
vendor reports that price each month, usage that belongs to no customer, the audit trail, and
every issued invoice re-derived and held against its seals and month-end files).

Registered on the `workbench` group by `workbench.cli._register_extensions`.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import click

from workbench.billing.core.lifecycle import Status
from workbench.billing.core.money import money_text
from workbench.billing.core.usage import unassigned_fix
from workbench.cli_common import (
    NOT_ALLOWED,
    OK,
    PARTIAL,
    VENDORS,
    _open,
    _print_json,
    _table,
    json_option,
)
from workbench.cli_params import DATE, MONTH

__all__ = ["audit", "reports", "unassigned", "verify"]


@click.command(short_help="Which vendor file prices each month.")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--vendor", type=VENDORS, help="Only this vendor's reports.")
@click.option("--all", "show_all", is_flag=True, help="Also the reports a later import replaced.")
@json_option
def reports(directory: str, vendor: str | None, show_all: bool, as_json: bool) -> None:
    """The imported vendor reports: which file prices each vendor's month, its rows and cost, and
    whether the vendor has finalised it. `--all` adds the files a later import replaced (import
    one again to make it current again). Costs are rounded to the currency's minor unit; `--json`
    gives them exact, to compare with the vendor's file to the last digit."""
    from sqlalchemy import select

    from workbench.billing.store import models as m

    with _open(directory).session() as session:
        query = select(m.VendorReport).order_by(m.VendorReport.vendor, m.VendorReport.billing_period, m.VendorReport.id)
        if vendor:
            query = query.where(m.VendorReport.vendor == vendor)
        if not show_all:
            query = query.where(m.VendorReport.superseded_by.is_(None))
        found = list(session.scalars(query))
        names = {r.id: r.file_name for r in found}
        replaced_by = {r.id: names.get(r.superseded_by) or session.get(m.VendorReport, r.superseded_by).file_name
                       for r in found if r.superseded_by is not None}
    rows = [{"vendor": r.vendor, "period": r.billing_period, "file": r.file_name, "format": r.format,
             "billing_account_id": r.billing_account_id, "rows": r.row_count, "cost": r.cost_total, "currency": r.currency,
             "final": r.is_final, "imported_at": r.imported_at, "sha256": r.sha256,
             "replaced_by": replaced_by.get(r.id)} for r in found]
    if as_json:
        _print_json(rows)
        return
    _table([(r["vendor"], r["period"], r["file"], f"{r['rows']:,}", money_text(r["cost"], r["currency"]), r["currency"],
             "final" if r["final"] else "preliminary", f"replaced by {r['replaced_by']}" if r["replaced_by"] else "current")
            for r in rows], ["vendor", "period", "file", "rows", "cost", "cur", "vendor data", "status"])


@click.command(short_help="Usage of accounts that belong to no customer.")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--vendor", type=VENDORS, help="Only this vendor's usage.")
@click.option("--period", type=MONTH, help="Only this billing month (default: every month).")
@json_option
def unassigned(directory: str, vendor: str | None, period: str | None, as_json: bool) -> None:
    """Usage in vendor reports whose account belongs to no customer (never dropped silently).

    Costs are rounded to the currency's minor unit, as the generation warning says them; `--json`
    gives them exact. A --period with no report (of --vendor) imported is exit 4: there is nothing
    to look at, which is not the same as nothing unassigned."""
    from workbench.billing.store.usage_queries import report_periods, unassigned_usage

    ws = _open(directory)
    imported = sorted({r.period for r in report_periods(ws) if vendor is None or r.vendor == vendor})
    reports = f"{vendor} report" if vendor else "vendor report"
    if period is not None and period not in imported:
        click.echo(f"no {reports} for {period}; imported periods: {', '.join(imported)}" if imported
                   else f"no {reports} for {period}: none imported yet (`workbench import`)", err=True)
        if as_json:
            _print_json([])  # a script reads an answer on stdout, whatever the exit code
        sys.exit(NOT_ALLOWED)
    found = unassigned_usage(ws, vendor=vendor, periods=[period] if period else None)
    if as_json:
        _print_json(found)
        return
    if not imported:
        click.echo(f"no {reports} imported yet: nothing to look at (`workbench import`)", err=True)
        return
    if not found:
        click.echo(f"every account in the imported {reports}s{f' for {period}' if period else ''} belongs to a customer")
        return
    _table([(u.vendor, u.account_id, f"{u.rows:,}", money_text(u.cost, u.currency), u.currency) for u in found],
           ["vendor", "account", "rows", "cost", "cur"])
    for u in found:
        if u.similar:
            click.echo(f"{u.vendor} account {u.account_id}: {unassigned_fix(u.account_id, u.similar, u.vendor)}", err=True)
    click.echo("assign these accounts in accounts.csv (`workbench customers import`), then generate", err=True)


@click.command(short_help="Who changed what, when and why.")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--invoice", help="Only events of this invoice number.")
@click.option("--action", help="Only actions starting with this, e.g. invoice.status, credit, pricebook.")
@click.option("--since", type=DATE, metavar="YYYY-MM-DD", help="Only events from this day on.")
@json_option
def audit(directory: str, invoice: str | None, action: str | None, since: dt.date | None, as_json: bool) -> None:
    """The audit trail: who generated, approved, deleted, voided or changed what, when and why."""
    from workbench.billing.store.audit import events

    found = events(_open(directory), entity="invoice" if invoice else None, entity_id=invoice, action=action,
                   since=dt.datetime.combine(since, dt.time()) if since else None)
    if as_json:
        _print_json(found)
        return
    def change(e: Any) -> str:  # a status change says from what to what
        moved = e.details or {}
        if "from" not in moved or "to" not in moved:
            return str(e.action)
        return f"{e.action} {moved['from']} -> {moved['to']}" + (" (preliminary usage)" if moved.get("preliminary") else "")

    _table([(e.at.isoformat(timespec="seconds"), e.actor, change(e), e.entity_id, e.reason) for e in found],
           ["when (UTC)", "who", "action", "what", "why"])


@click.command(short_help="Re-derive issued invoices and check their seals.")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.argument("numbers", nargs=-1)
@click.option("--out", "out", multiple=True, type=click.Path(exists=True, file_okay=False), metavar="DIR",
              help="Also check the month-end folders in DIR, of a month end told to write there (from Python: "
                   "run_month_end(..., out_dir=DIR); `workbench month-end` writes only to output/). DIR is that "
                   "month's folder, or holds YYYY-MM folders. Repeatable.")
@json_option
def verify(directory: str, numbers: tuple[str, ...], out: tuple[str, ...], as_json: bool) -> None:
    """Re-derive every issued invoice from stored usage and pricebook and report differences.

    Also checks the seals taken at issue (figures and customer CSV), the month-end files against
    their manifests, and that each month-end folder agrees with the invoice's stored status (a
    void or deleted invoice's folder is listed apart, with what to do). The folders checked are
    the workspace's output/<YYYY-MM>/ and those named with --out (nothing records where else a
    month end wrote); the last lines say how many issued invoices match and which folders were
    checked. Exit 0 when everything matches to the cent, 1 otherwise, 4 when a number named is
    unknown, a draft or void.

    NUMBERS: only these invoices (numbers such as AWS-202510-00001, or ids); default: every issued one.
    """
    from workbench.billing.integrity import month_folders, summary
    from workbench.billing.integrity import verify as run
    from workbench.billing.invoices import InvoiceNotFound, find_all

    ws = _open(directory)
    if numbers:  # every number named must be an issued invoice: say so of each that is not, before any work
        try:
            with ws.session() as session:
                named = [(i.number, Status(i.status)) for i in find_all(session, list(numbers))]
        except InvoiceNotFound as exc:
            click.echo(f"nothing verified: {exc}", err=True)
            sys.exit(NOT_ALLOWED)
        numbers = tuple(number for number, _ in named)  # an id names its invoice too
        unissued = [f"{number} is {status.label}" for number, status in named if status in (Status.DRAFT, Status.VOID)]
        if unissued:
            click.echo(f"nothing verified: {'; '.join(unissued)}: only issued invoices (Open, Past Due, Closed) are "
                       "sealed and verified", err=True)
            sys.exit(NOT_ALLOWED)
    results = run(ws, numbers=numbers or None, out=out)
    if as_json:
        _print_json([{"number": r.number, "customer_id": r.customer_id, "status": r.status, "ok": r.ok,
                      "differences": [{"what": d.what, "stored": d.stored, "derived": d.derived} for d in r.differences],
                      "notes": r.notes}
                     for r in results])
    else:
        for r in results:
            click.echo(f"{r.number}: {'ok' if r.ok else 'DIFFERS'}")
            for d in r.differences:
                click.echo(f"  {d}")
            for note in r.notes:
                click.echo(f"  note: {note}")
        for line in summary(ws, results, month_folders(ws, out)):
            click.echo(line, err=True)
    sys.exit(OK if all(r.ok for r in results) else PARTIAL)
