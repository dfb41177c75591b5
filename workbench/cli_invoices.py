"""`workbench generate` (draft invoices for a vendor and a date range) and `workbench invoices`
(list, show, approve, delete, status, export): the invoice from draft to the customer's files.

Registered on the `workbench` group by `workbench.cli._register_extensions`.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.lifecycle import NOTHING_DUE_LABEL, Status, due_label
from workbench.billing.core.money import Money, money_text
from workbench.billing.core.periods import DateRange
from workbench.cli_common import (
    NOT_ALLOWED,
    OK,
    PARTIAL,
    REFUSED,
    VENDORS,
    _has_errors,
    _open,
    _print_json,
    _progress,
    _report,
    _table,
    _today,
    _when_stopped,
    json_option,
)
from workbench.cli_params import CUSTOMER_IDS, DATE_RANGE, today_option

if TYPE_CHECKING:
    from workbench.billing.generate import AlreadyBilled

__all__ = ["generate", "invoices"]


# --- generation ---------------------------------------------------------------------------------

@click.command(short_help="Generate draft invoices for a vendor and range.")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--vendor", type=VENDORS, required=True)
@click.option("--range", "date_range", type=DATE_RANGE, default="mtd", show_default=True,
              help="mtd (month to date), last-month, YYYY-MM, or YYYY-MM-DD..YYYY-MM-DD (both days included).")
@click.option("--customers", "customer_ids", type=CUSTOMER_IDS,
              help="Comma-separated customer IDs (default: every customer with usage).")
@click.option("--apply-credits", is_flag=True, help="Apply customers' credit balances (cross-cloud, never below zero).")
@click.option("--tax/--no-tax", default=True, show_default=True, help="Add taxes from the tax table.")
@click.option("--include-marketplace", is_flag=True, help="Include marketplace fees (pass-through at 0 margin).")
@click.option("--credits-for-marketplace", is_flag=True, help="Let credits pay marketplace fees.")
@today_option
@json_option
def generate(directory: str, vendor: str, date_range: DateRange, customer_ids: list[str] | None, apply_credits: bool, tax: bool,
             include_marketplace: bool, credits_for_marketplace: bool, today: dt.date | None, as_json: bool) -> None:
    """Generate draft invoices, one per customer, for a vendor and a date range.

    Generating locks the period for those customers. Run it again after fixing a customer that
    failed (no pricebook or currency, ...): the customers already billed for this range are
    left as they are and counted, the rest are generated. A range that overlaps only part of a
    billed one fails for that customer until its invoice is deleted (a draft) or voided.
    Exit 0 when every customer is billed, 1 when some failed, 3 when nothing could be.
    """
    from workbench.billing.generate import generate_invoices

    ws = _open(directory)
    options = InvoiceOptions(apply_credits=apply_credits, include_tax=tax, include_marketplace=include_marketplace,
                             credits_for_marketplace=credits_for_marketplace)
    with _progress(as_json, "pricing") as tick:
        result = generate_invoices(ws, vendor, date_range, customer_ids, options, today=_today(today), progress=tick)
    if as_json:
        _print_json({"range": {"start": date_range.start, "end": date_range.end, "label": date_range.label},
                     "invoices": [i.to_dict() for i in result.invoices],
                     "already_billed": [b.to_dict() for b in result.already_billed],
                     "problems": [p.to_dict() for p in result.problems]})
    else:
        if result.invoices:
            _table([(i.number, i.customer_id, i.customer_name, money_text(i.total, i.currency), i.currency, "preliminary" if i.preliminary else "")
                    for i in result.invoices], ["invoice", "customer", "name", "total", "cur", ""])
        _report(result.to_report)
        if result.already_billed:
            click.echo(_already_billed_text(directory, vendor, date_range, result.already_billed), err=True)
        click.echo(f"{len(result.invoices)} draft invoice(s) for {vendor} {date_range}; "
                   + (f"{len(result.already_billed)} already billed; " if result.already_billed else "")
                   + f"{len(result.customers_to_fix)} customer(s) failed", err=True)
    # A run again after a fix is done when what it adds is done: the customers billed before are too
    done = bool(result.invoices or result.already_billed)
    if done and not _has_errors(result.to_report):
        sys.exit(OK)
    sys.exit(PARTIAL if done else REFUSED)


def _already_billed_text(directory: str, vendor: str, date_range: DateRange, billed: Sequence[AlreadyBilled]) -> str:
    """One paragraph for the customers a run left as they were billed (a run again after a fix
    bills only the rest): how many, their invoices (the first few), and how to price one again."""
    from workbench.billing.store.periods import few

    return (f"{len(billed)} customer(s) already billed for {vendor} {date_range}, left as they are: "
            f"{few([b.number for b in billed])}\n"
            f"  see them with `workbench invoices list {directory} --vendor {vendor} --range {date_range.label}`; to price "
            f"one again, delete its draft (`workbench invoices delete {directory} NUMBER`) or void it if issued, "
            "then generate again")


# --- invoices -----------------------------------------------------------------------------------

@click.group(short_help="List, show, approve, export and void invoices.")
def invoices() -> None:
    """List, show, approve, delete, change status and export invoices."""


@invoices.command("list")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--customer")
@click.option("--vendor", type=VENDORS)
@click.option("--status", type=click.Choice([s.value for s in Status]))
@click.option("--range", "window", type=DATE_RANGE, help="Only invoices overlapping this range (same forms as generate).")
@today_option
@json_option
def invoices_list(directory: str, customer: str | None, vendor: str | None, status: str | None,
                  window: DateRange | None, today: dt.date | None, as_json: bool) -> None:
    """List invoices (Open invoices past their due date become Past Due first).

    A --customer that does not exist is not found (exit 4, with generate's message), never listed
    as a customer without invoices; --json still prints its answer, []."""
    from workbench.billing.invoices import list_invoices
    from workbench.billing.store import models as m

    ws = _open(directory)
    found = list_invoices(ws, customer=customer, vendor=vendor, status=Status(status) if status else None,
                          start=window.start if window else None, end=window.end if window else None,
                          today=_today(today))
    if customer and not found:
        with ws.session() as session:
            unknown = session.get(m.Customer, customer) is None
        if unknown:
            from workbench.billing.generate import unknown_customer

            _report([unknown_customer(customer)])
            if as_json:
                _print_json([])
            sys.exit(NOT_ALLOWED)
    if as_json:
        _print_json([i.to_dict() for i in found])
        return
    _table([(i.number, i.customer_id, i.customer_name, i.vendor, i.period, Status(i.status).label, money_text(i.total, i.currency), i.currency,
             due_label(i.total, i.due_date)) for i in found],
           ["invoice", "customer", "name", "vendor", "period", "status", "total", "cur", "due"])


def _view(ws: Any, ref: str) -> Any:
    from workbench.billing.exports.view import InvoiceView
    from workbench.billing.invoices import InvoiceNotFound, find

    with ws.session() as session:
        try:
            invoice = find(session, ref)
        except InvoiceNotFound as exc:
            click.echo(str(exc), err=True)
            sys.exit(NOT_ALLOWED)
        from workbench.billing.generate import source_row_reader

        return InvoiceView.from_orm(session, invoice, source_rows=source_row_reader(ws, invoice.id))


@invoices.command("show")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.argument("invoice")
@json_option
def invoices_show(directory: str, invoice: str, as_json: bool) -> None:
    """Show one invoice (by number or id) as the customer will see it."""
    from workbench.billing.exports.statement import amount_text, statement_rows

    view = _view(_open(directory), invoice)
    rows = statement_rows(view)
    if as_json:
        _print_json({
            "number": view.number, "status": view.status, "customer_id": view.customer.customer_id,
            "customer_name": view.customer.name, "vendor": view.vendor, "period": view.period_label,
            "currency": view.currency, "fx_rate": view.fx_rate, "issue_date": view.issue_date,
            "due_date": view.due_date, "pricebook": view.pricebook, "pricebook_version": view.pricebook_version,
            "preliminary": view.preliminary,
            "rows": [{"role": r.role, "product_type": r.product_type, "description": r.description,
                      "amount": amount_text(r.amount, view.currency)} for r in rows],
            **{key: amount_text(getattr(view, key), view.currency) for key in ("subtotal", "tax_total", "total")},
        })
        return
    click.echo(f"{view.number}  {Status(view.status).label}{'  (preliminary)' if view.preliminary else ''}")
    click.echo(f"{view.customer.name} (#{view.customer.customer_id})  {view.vendor}  {view.period_label}")
    # what the statement says in place of a due date (0.00, a refund), in the analyst's words
    due = (f"due {view.due_date}" if not view.nothing_due else NOTHING_DUE_LABEL if not view.owed_to_customer else
           f"{NOTHING_DUE_LABEL}, {Money(view.owed_to_customer, view.currency)} owed to the customer")
    click.echo(f"currency {view.currency}, FX {view.fx_rate}, issued {view.issue_date}, {due}, "
               f"pricebook {view.pricebook} {view.pricebook_version}")
    click.echo()
    _table([(r.product_type, r.description, amount_text(r.amount, view.currency, grouped=True)) for r in rows],
           ["product type", "description", f"amount {view.currency}"])


def _change(directory: str, refs: Sequence[str], action: Callable[..., Any], as_json: bool,
            today: dt.date | None | bool = False) -> list[Any]:
    """`action(ws, refs)`, with `today=` (the day given, or today) unless `today` is False."""
    from workbench.billing.invoices import InvoiceNotFound, InvoiceStateError

    ws = _open(directory)
    _when_stopped("the change is one transaction, stored whole or not at all",
                  "run it again (`workbench invoices list` shows what was stored)")
    try:
        changed = action(ws, list(refs), **({"today": _today(today)} if today is not False else {}))
    except (InvoiceNotFound, InvoiceStateError) as exc:
        click.echo(f"nothing changed: {exc}", err=True)
        sys.exit(NOT_ALLOWED)
    if as_json:
        _print_json([c.to_dict() if hasattr(c, "to_dict") else c for c in changed])
    else:
        for c in changed:
            click.echo(f"{c.number}: {Status(c.status).label}{f' ({c.note})' if getattr(c, 'note', '') else ''}"
                       if hasattr(c, "number") else f"{c}: deleted")
    return list(changed)


@invoices.command("approve")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.argument("refs", nargs=-1)
@click.option("--all-drafts", is_flag=True,
              help="Approve every draft (approve all), or those of --vendor / --range / --customer.")
@click.option("--vendor", type=VENDORS, help="With --all-drafts: this vendor's drafts only.")
@click.option("--range", "window", type=DATE_RANGE,
              help="With --all-drafts: drafts overlapping this range (e.g. last-month, 2025-10).")
@click.option("--customer", help="With --all-drafts: this customer's drafts only.")
@click.option("--include-preliminary", is_flag=True,
              help="With --all-drafts: approve drafts priced from preliminary usage too (left out by default).")
@today_option
@json_option
def invoices_approve(directory: str, refs: tuple[str, ...], all_drafts: bool, vendor: str | None,
                     window: DateRange | None, customer: str | None, include_preliminary: bool, today: dt.date | None,
                     as_json: bool) -> None:
    """Approve drafts: Draft -> Open (visible to the customer; due date set from the terms).

    `--all-drafts` approves every draft the filters select, except drafts priced from usage the
    vendor has not finalised yet (preliminary) unless --include-preliminary; it says how many.
    A preliminary draft approved (named, or included) is issued with a warning: while it stands,
    the vendor's final report for its month is refused as a whole (it would change a billed month)."""
    from workbench.billing.invoices import approve, issued_from_preliminary, list_invoices

    if (vendor or window or customer or include_preliminary) and not all_drafts:
        raise click.UsageError("--vendor, --range, --customer and --include-preliminary select drafts for --all-drafts")
    if all_drafts:
        if refs:
            raise click.UsageError("name invoices, or pass --all-drafts, not both")
        drafts = list_invoices(_open(directory), customer=customer, vendor=vendor, status=Status.DRAFT,
                               start=window.start if window else None, end=window.end if window else None)
        held = [i.number for i in drafts if i.preliminary and not include_preliminary]
        refs = tuple(i.number for i in drafts if i.number not in held)
        if held:
            click.echo(f"left as drafts, priced from preliminary usage: {', '.join(held)} "
                       "(--include-preliminary approves them too)", err=True)
        if not refs:
            click.echo(f"nothing approved: the {len(held)} draft(s) selected are priced from preliminary usage "
                       "(--include-preliminary approves them)" if held else "no drafts to approve", err=True)
            if as_json:
                _print_json([])  # a script reads an answer on stdout, whatever the exit code
            sys.exit(NOT_ALLOWED if held else OK)
        click.echo(f"approving {len(refs)} draft(s)", err=True)
    if not refs:
        raise click.UsageError("name invoices to approve, or pass --all-drafts")
    _report(issued_from_preliminary(_change(directory, refs, approve, as_json, today)))


@invoices.command("delete")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.argument("refs", nargs=-1, required=True)
@json_option
def invoices_delete(directory: str, refs: tuple[str, ...], as_json: bool) -> None:
    """Delete draft invoices (only drafts); their periods can then be generated again."""
    from workbench.billing.invoices import delete_drafts

    _change(directory, refs, delete_drafts, as_json)


@invoices.command("status")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.argument("refs", nargs=-1, required=True)
@click.option("--to", "target", required=True, type=click.Choice([s.value for s in Status if s is not Status.DRAFT]))
@click.option("--reason", default="", help="Why, for the audit trail (e.g. 'paid by wire 2025-12-04', 'billed twice').")
@today_option
@json_option
def invoices_status(directory: str, refs: tuple[str, ...], target: str, reason: str, today: dt.date | None,
                    as_json: bool) -> None:
    """Change status: open, closed (paid), past_due, void. Nothing returns to draft.

    A void cannot be undone: below each invoice voided it says what followed (its credits came
    back, its period is free to bill again, its month-end folder moved under void/)."""
    from workbench.billing.invoices import find, set_status, void_notice

    followed: dict[str, list[str]] = {}  # invoice number -> what its void does, read before it

    def action(ws: Any, refs: list[str], today: dt.date) -> Any:
        if target == Status.VOID.value and not as_json:
            for ref in refs:
                with ws.session() as session:
                    number = find(session, ref).number
                followed[number] = void_notice(ws, ref)[1:]  # the first line asks; it is done by then
        return set_status(ws, refs, Status(target), today=today, reason=reason)

    for changed in _change(directory, refs, action, as_json, today):
        for line in followed.get(changed.number, []):
            click.echo(f"  {line}")


@invoices.command("export")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.argument("refs", nargs=-1, required=True)
@click.option("--format", "formats", multiple=True, default=["csv", "detailed-csv", "xlsx"], show_default=True,
              help="csv (customer-facing), detailed-csv, xlsx, pdf (the statement, printed by chromium); "
                   "repeat for several.")
@click.option("--out", type=click.Path(file_okay=False), help="Folder (default: the workspace's output/).")
@json_option
def invoices_export(directory: str, refs: tuple[str, ...], formats: tuple[str, ...], out: str | None, as_json: bool) -> None:
    """Export invoices as customer CSV, detailed CSV, Excel and PDF."""
    from workbench.billing.exports import ExporterConflict, ExporterPluginError, export_invoice, exporter, exporters

    ws = _open(directory)
    known = sorted([*exporters(), "pdf"])  # warns of the plug-ins that cannot be used, with what to do
    unknown = [f for f in formats if f not in known]
    if unknown:
        unusable = []
        for name in unknown:
            try:
                exporter(name)
            except (ExporterPluginError, ExporterConflict):
                unusable.append(name)
            except LookupError:
                pass
        said = [f"the {name} plug-in cannot be used (the warning above says why and what to do)" for name in unusable]
        if len(unusable) < len(unknown):
            said.append(f"unknown format {', '.join(f for f in unknown if f not in unusable)}")
        raise click.BadParameter(f"{'; '.join(said)}; known: {', '.join(known)}", param_hint="--format")
    target = Path(out) if out else ws.output_dir
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file where a folder should be, no permission
        raise click.BadParameter(f"cannot make the folder {target}: {exc.strerror}", param_hint="--out") from None

    def export(ref: str, fmt: str) -> str:
        view = _view(ws, ref)
        if fmt == "pdf":  # the statement as the customer sees it, as it is now
            from workbench.render.pdf import invoice_pdf

            return str(invoice_pdf(ws, view.number, out_dir=target))
        return str(export_invoice(view, fmt, target))

    written = [export(ref, fmt) for ref in refs for fmt in formats]
    if as_json:
        _print_json({"files": written})
    else:
        click.echo("\n".join(written))
