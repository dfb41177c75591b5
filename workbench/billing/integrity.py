"""Issued invoices never change, and we can prove it.

- `seal` runs in the transaction that issues an invoice (Draft -> Open): it hashes the stored
  figures (a canonical JSON of totals and lines) and the customer-facing CSV rendered from them,
  into `InvoiceSeal` rows.
- `verify` re-derives every issued invoice from the stored usage, the pricebook version, FX
  rate, tax table and credits it recorded, with the same engine, and compares it to the stored
  figures to the cent; it also checks the seals (stored figures edited behind our back) and the
  month-end files' manifests when present, and that each month-end folder agrees with the stored
  status (a void invoice's folder under void/, marked void; a manifest saying the invoice's
  status): a folder that does not is reported, on a void or deleted invoice's result of its own,
  with what to do. The month-end folders are the workspace's output/<YYYY-MM>/, and those a month
  end wrote elsewhere (`run_month_end(out_dir=...)`) when they are named (`out`, CLI `--out`):
  nothing records where such a run wrote (`month_folders` says which were checked). The taxes
  are those the invoice recorded at generation (`Invoice.tax_rates`), whatever the customer's
  jurisdiction or the tax table say now; an invoice from before they were recorded is re-derived
  with today's, and says so (a note).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.billing.core.credits import CreditBalance, ForeignCredit
from workbench.billing.core.invoice import InvoiceOptions, Tax, compute_invoice
from workbench.billing.core.lifecycle import Status
from workbench.billing.core.money import EXACT, ZERO, D, Money, money_text, plain, round_minor
from workbench.billing.core.periods import DateRange, month_key, parse_month
from workbench.billing.core.pricebook import PricebookVersion
from workbench.billing.core.rating import rate
from workbench.billing.file_hash import file_sha256
from workbench.billing.reference import load_pricebook, tax_rates
from workbench.billing.store import models as m
from workbench.billing.store.usage_queries import current_reports
from workbench.billing.store.workspace import Workspace
from workbench.billing.usage_groups import open_usage

ISSUED = (Status.OPEN.value, Status.PAST_DUE.value, Status.CLOSED.value)


def figures_document(inv: m.Invoice) -> dict[str, object]:
    """The invoice's figures as canonical JSON-able data (exact decimals as plain strings)."""
    money = ("vendor_cost", "usage_price", "support_fee", "marketplace", "credits", "subtotal", "tax_total", "total", "margin")
    return {
        "number": inv.number, "customer_id": inv.customer_id, "vendor": inv.vendor,
        "period": [inv.period_start.isoformat(), inv.period_end.isoformat()], "currency": inv.currency,
        "usage_currency": inv.usage_currency, "fx_rate": plain(inv.fx_rate), "pricebook": inv.pricebook,
        "pricebook_version": inv.pricebook_version, "options": dict(sorted((inv.options or {}).items())),
        **{name: plain(getattr(inv, name)) for name in money},
        "lines": [
            [l.position, l.kind, l.charge_category, l.section, l.service, l.sku, l.unit, plain(l.quantity),
             plain(l.vendor_cost), plain(l.markup_percent), plain(l.amount), plain(l.amount_rounded), plain(l.margin)]
            for l in sorted(inv.lines, key=lambda l: l.position)
        ],
    }


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def figures_hash(inv: m.Invoice) -> str:
    return _sha256(json.dumps(figures_document(inv), sort_keys=True, separators=(",", ":")).encode())


def customer_csv_hash(session: Session, inv: m.Invoice) -> str:
    from workbench.billing.exports import export_invoice
    from workbench.billing.exports.view import InvoiceView

    view = InvoiceView.from_orm(session, inv)
    with tempfile.TemporaryDirectory() as tmp:
        return _sha256(export_invoice(view, "csv", Path(tmp)).read_bytes())


# The customer CSV's earlier layouts (`exports.customer_csv`), as verify notes a seal taken with one.
EARLIER_LAYOUTS: dict[int, str] = {
    1: "first layout (before the Currency and Invoice Number columns and the No charge row)",
    2: ("second layout (every line shown as 0.00 under No charge, before the Small items row; look-alike "
        "lines told apart by line number)"),
}


def _earlier_layout(session: Session, inv: m.Invoice, sealed: str) -> int | None:
    """The earlier layout of the customer CSV whose hash is `sealed`, if one is: the file an
    invoice issued before the current layout was sealed with."""
    from workbench.billing.exports.customer_csv import customer_csv_bytes
    from workbench.billing.exports.view import InvoiceView

    view = InvoiceView.from_orm(session, inv)
    return next((layout for layout in EARLIER_LAYOUTS if _sha256(customer_csv_bytes(view, layout=layout)) == sealed),
                None)


def seal(session: Session, inv: m.Invoice) -> None:
    """Issue hook: hash the figures and the customer CSV, in the issuing transaction."""
    session.flush()
    for name, digest in (("figures", figures_hash(inv)), ("customer.csv", customer_csv_hash(session, inv))):
        existing = session.get(m.InvoiceSeal, (inv.id, name))
        if existing is None:
            session.add(m.InvoiceSeal(invoice_id=inv.id, name=name, sha256=digest))


@dataclass(frozen=True, slots=True)
class Difference:
    what: str
    stored: str
    derived: str
    currency: str = ""  # set when `stored` and `derived` are amounts in it (plain text, as JSON carries them)

    def __str__(self) -> str:
        """As `workbench verify` prints it: an amount as every reader sees it, `total: stored 1,041.26 USD,
        derived 41.26 USD` (`Money`, through `money_text`)."""
        stored, derived = ((Money(D(t), self.currency) for t in (self.stored, self.derived)) if self.currency
                           else (self.stored, self.derived))
        return f"{self.what}: stored {stored}, derived {derived}"


@dataclass
class Verification:
    number: str
    customer_id: str
    status: str
    differences: list[Difference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how it was checked, when not from its own record alone

    @property
    def ok(self) -> bool:
        return not self.differences

    @property
    def issued(self) -> bool:
        """An issued invoice, verified in full; otherwise a void or deleted invoice's result, there
        only because a month-end folder of it disagrees with the database."""
        return self.status in ISSUED


def _is_month(name: str) -> bool:
    """A folder name that is a billing month as the month end names its folder: `YYYY-MM`, read by
    the one rule for months (`core.periods.parse_month`), written as `month_key` writes it."""
    try:
        return month_key(parse_month(name)) == name
    except ValueError:
        return False


def month_folders(ws: Workspace, out: Iterable[str | Path] = ()) -> list[Path]:
    """The month-end folders `verify` checks: each `output/<YYYY-MM>/` of the workspace, then each
    folder of `out` (where a month end was told to write, `run_month_end(out_dir=...)`): the
    folder itself, or, when it holds `YYYY-MM` folders (laid out like output/), each of those."""
    def months(parent: Path) -> list[Path]:
        return sorted(d for d in parent.iterdir() if d.is_dir() and _is_month(d.name)) if parent.is_dir() else []

    found = months(ws.output_dir)
    seen = {d.resolve() for d in found}
    for folder in map(Path, out):
        for month in months(folder) or [folder]:
            if month.resolve() not in seen:
                seen.add(month.resolve())
                found.append(month)
    return found


def verify(ws: Workspace, *, numbers: Iterable[str] | None = None, out: Iterable[str | Path] = ()) -> list[Verification]:
    """Re-derive every issued invoice (or the ones named) and report each difference. The month-end
    folders checked are `month_folders(ws, out)`."""
    wanted = set(numbers) if numbers is not None else None
    out = [Path(folder) for folder in out]
    folders = month_folders(ws, out)
    results = []
    with ws.session() as session:
        invoices = [i for i in session.scalars(select(m.Invoice).where(m.Invoice.status.in_(ISSUED)).order_by(m.Invoice.id))
                    if wanted is None or i.number in wanted]
        for inv in invoices:
            result = Verification(inv.number, inv.customer_id, inv.status)
            _check_seals(session, inv, result)
            _rederive(ws, session, inv, result)
            _check_files(ws, inv, result, out)
            results.append(result)
        _check_folders(ws, session, results, wanted, folders)
    return results


def summary(ws: Workspace, results: list[Verification], folders: list[Path]) -> list[str]:
    """What `workbench verify` says after the results: how many issued invoices match (a void or
    deleted invoice's result, there for its folder alone, is counted apart) and which month-end
    folders were checked (one holding no invoice folder says so: a wrong --out, say)."""
    from workbench.billing.store.output_folders import month_end_folders, void_folders

    issued = [r for r in results if r.issued]
    lines = [f"{sum(r.ok for r in issued)} of {len(issued)} issued invoice(s) match"]
    others = [r for r in results if not r.issued]
    if others:
        lines.append(f"{len(others)} void or deleted invoice(s) with a month-end folder that disagrees with the "
                     f"database (listed above, not counted among the issued)")
    shown = [(str(f.relative_to(ws.root)) if f.is_relative_to(ws.root) else str(f))
             + ("" if month_end_folders(f) or void_folders(f) else " (no invoice folder in it)") for f in folders]
    lines.append(f"month-end folders checked: {', '.join(shown)}" if shown else
                 "month-end folders checked: none (no output/<YYYY-MM>/ in the workspace; "
                 "a month end written elsewhere is checked with --out DIR)")
    return lines


def _check_seals(session: Session, inv: m.Invoice, result: Verification) -> None:
    seals = {s.name: s.sha256 for s in session.scalars(select(m.InvoiceSeal).where(m.InvoiceSeal.invoice_id == inv.id))}
    if not seals:
        result.differences.append(Difference("seal", "missing", "the invoice was issued without a seal"))
        return
    from workbench.billing.exports.statement import StatementMismatch

    current = {"figures": figures_hash(inv)}
    try:
        current["customer.csv"] = customer_csv_hash(session, inv)
        sealed = seals.get("customer.csv")
        if sealed not in (None, current["customer.csv"]) \
                and (layout := _earlier_layout(session, inv, sealed)) is not None:
            current["customer.csv"] = sealed
            result.notes.append(f"customer.csv: sealed in the file's {EARLIER_LAYOUTS[layout]}; that file matches its seal")
    except StatementMismatch as exc:  # the stored figures no longer add up at all
        result.differences.append(Difference("seal customer.csv", "renders", str(exc)))
    for name, digest in current.items():
        if name in seals and seals[name] != digest:
            result.differences.append(Difference(f"seal {name}", seals[name][:16], digest[:16]))


def _rederive(ws: Workspace, session: Session, inv: m.Invoice, result: Verification) -> None:
    date_range = DateRange(inv.period_start, inv.period_end, inv.period_label)
    versions = [v for v in load_pricebook(session, inv.pricebook, inv.vendor) if v.effective_from == inv.pricebook_version]
    if not versions:
        result.differences.append(Difference("pricebook", f"{inv.pricebook} {inv.pricebook_version}", "no longer stored"))
        return
    version: PricebookVersion = versions[0]
    reports = current_reports(session, inv.vendor, date_range.months)
    accounts = {a.account_id: a.customer_id for a in session.scalars(
        select(m.Account).where(m.Account.vendor == inv.vendor, m.Account.customer_id == inv.customer_id))}
    if not reports or not accounts:
        result.differences.append(Difference("usage", "stored with the invoice", "no usage found to re-derive from"))
        return
    with open_usage(ws, reports, accounts, date_range) as usage:
        groups, currencies = usage.groups([inv.customer_id])
    found = currencies.get(inv.customer_id, [])
    if found and found != [inv.usage_currency]:
        # priced at the invoice's rate, EUR usage would pass for USD: no derived total mixes them
        why = (f"the invoice's usage is now in {len(found)} currencies, not added up" if len(found) > 1
               else f"the invoice's usage is now in another currency, not priced at its {inv.usage_currency} rate")
        result.differences.append(Difference("usage currency", inv.usage_currency, f"{', '.join(found)}: {why}"))
        return
    options = InvoiceOptions(**(inv.options or {}))
    figures = compute_invoice(
        [rate(grp, version, inv.fx_rate) for grp in groups.get(inv.customer_id, [])],
        currency=inv.currency, fx_rate=inv.fx_rate, options=options, support=version.support,
        balance=_applied_credits(session, inv),
        taxes=_taxes(session, inv, date_range, result) if options.include_tax else [],
    )
    cents = lambda d: round_minor(d, inv.currency)  # noqa: E731
    for name, derived in (("subtotal", figures.subtotal), ("tax_total", figures.tax_total), ("total", figures.total),
                          ("credits", figures.credits.total)):
        stored = getattr(inv, name)
        if cents(stored) != cents(derived):
            result.differences.append(Difference(name, money_text(stored, inv.currency, grouped=False), money_text(derived, inv.currency, grouped=False), inv.currency))
    stored_lines = sorted((l.kind, l.section, l.sku, l.amount_rounded) for l in inv.lines)
    derived_lines = sorted((l.kind, l.section, l.sku, l.amount_rounded) for l in figures.lines)
    if stored_lines != derived_lines:
        only_stored = [x for x in stored_lines if x not in derived_lines]
        only_derived = [x for x in derived_lines if x not in stored_lines]
        result.differences.append(Difference(
            "lines", "; ".join(f"{k} {s} {sku} {money_text(a, inv.currency)}" for k, s, sku, a in only_stored),
            "; ".join(f"{k} {s} {sku} {money_text(a, inv.currency)}" for k, s, sku, a in only_derived)))


def _applied_credits(session: Session, inv: m.Invoice) -> CreditBalance:
    """What the invoice took from the credit ledger, as the balance it re-derives from: credits in
    its own currency, and those in others with the rate each was converted at (recorded on the
    entry). The engine takes all of it again, at the same rates, by the same rule."""
    applied: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)  # (currency, kind)
    rates: dict[str, Decimal] = {}
    for e in session.scalars(select(m.CreditEntry).where(m.CreditEntry.invoice_id == inv.id)):
        if e.amount < 0:
            applied[(e.currency, e.kind)] = EXACT.subtract(applied[(e.currency, e.kind)], e.amount)
            if e.currency != inv.currency and e.fx_rate is not None:
                rates[e.currency] = e.fx_rate
    foreign = tuple(ForeignCredit(c, rates[c], applied[(c, "general")], applied[(c, "marketplace")])
                    for c in sorted(rates))
    return CreditBalance(applied[(inv.currency, "general")], applied[(inv.currency, "marketplace")], foreign)


def _taxes(session: Session, inv: m.Invoice, date_range: DateRange, result: Verification) -> list[Tax]:
    """The taxes the invoice was computed with, as it recorded them at generation. An invoice
    from before they were recorded has its customer's jurisdiction and tax table as they are now,
    and a note says so (a changed jurisdiction or rate shows as a tax difference then)."""
    if inv.tax_rates is not None:
        return [Tax(name, D(rate)) for name, rate in inv.tax_rates]
    customer = session.get(m.Customer, inv.customer_id)
    jurisdiction = customer.tax_jurisdiction if customer else ""
    result.notes.append(f"taxes: the invoice was generated before invoices recorded their tax rates; re-derived with "
                        f"today's tax table of jurisdiction {jurisdiction or '(none)'} for {date_range.first_month}")
    return tax_rates(session, jurisdiction, date_range.first_month)


def _manifests(ws: Workspace, number: str, out: list[Path]) -> Iterator[tuple[Path, bool]]:
    """The month-end manifests of invoice `number` under output/, then under each folder of `out`
    (each once), with whether it is outside output/."""
    seen = set()
    for root, elsewhere in ((ws.output_dir, False), *((folder, True) for folder in out)):
        for manifest in sorted(root.glob(f"**/{number}.done.json")):
            if manifest.resolve() not in seen:
                seen.add(manifest.resolve())
                yield manifest, elsewhere


def _check_files(ws: Workspace, inv: m.Invoice, result: Verification, out: list[Path]) -> None:
    """Month-end manifests (`<number>.done.json`: {"files": {name: sha256}}) still match their files.
    A file outside output/ is named by its path (the same invoice may have folders in several places)."""
    for manifest, elsewhere in _manifests(ws, inv.number, out):
        try:
            files = json.loads(manifest.read_text()).get("files", {})
        except (OSError, ValueError):
            result.differences.append(Difference(f"file {manifest if elsewhere else manifest.name}", "manifest", "unreadable"))
            continue
        for name, digest in files.items():
            path = manifest.parent / name
            actual = file_sha256(path) if path.is_file() else "missing"  # read in blocks: a detailed CSV may be large
            if actual != digest:
                result.differences.append(Difference(f"file {path if elsewhere else name}", digest[:16], actual[:16]))


def _check_folders(ws: Workspace, session: Session, results: list[Verification], wanted: set[str] | None,
                   folders: list[Path]) -> None:
    """Month-end folders (`month_folders`) whose manifest disagrees with the stored status
    (`output_folders.status_disagreements`): on the invoice's result, or on a result of its own for
    a void or deleted invoice (which are not verified otherwise), with what to do."""
    from workbench.billing.store.output_folders import status_disagreements

    by_number = {r.number: r for r in results}
    for period_dir in folders:
        for found in status_disagreements(ws, period_dir):
            if wanted is not None and found.number not in wanted:
                continue
            result = by_number.get(found.number)
            if result is None:
                customer = session.scalar(select(m.Invoice.customer_id).where(m.Invoice.number == found.number))
                result = by_number[found.number] = Verification(found.number, customer or "", found.status)
                results.append(result)
            where = found.folder.relative_to(ws.root) if found.folder.is_relative_to(ws.root) else found.folder
            result.differences.append(Difference(
                f"month-end folder {where}", f"{found.manifest_status or 'no manifest'} (manifest)",
                f"{found.status} (database)"))
            result.notes.append(f"{found.text()}; to fix: {found.fix(ws)}")


__all__ = ["Difference", "Verification", "figures_hash", "month_folders", "seal", "summary", "verify"]
