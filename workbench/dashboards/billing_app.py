"""Billing reports: the seed's "Generate Customer Billing Statements" screen as a widget app.

    app = build_billing_app(ws, read_only=False, today=dt.date(2025, 11, 25))
    display(app.widget)

Report page: vendor (only vendors with data) -> date range -> the customer list for that range
(checkbox, name, ID, vendor cost, price, margin, margin %, and the customer's problem with its
fix; a negative margin in red) -> the totals line (per currency: `billing.report_totals`) ->
Select all / Select none -> the four invoice options -> Generate invoices (progress bar).
Read-only (a manager's view): the report alone, without checkboxes, Select all / none, options
or Generate, priced with the default options (a grey line says so), problems without their fix.
Preview page ("Preview Generated Billing Statements"): one row per draft with a checkbox,
Approve all, Approve, View, Delete, Finish (back to the report); customers that were not
generated are listed with their error.

Everything a test needs is plain Python state on the app (`rows`, `previews`, `drafts`,
`messages`, `statement_html`, ...). Every writing callback checks `read_only` itself, because a
Voila viewer can click any button model or set any widget value, hidden or not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import ipywidgets as w
from sqlalchemy import select

from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.lifecycle import NOTHING_DUE_LABEL, Status
from workbench.billing.core.periods import DateRange, last_month, month_key
from workbench.billing.core.problems import Problem, Severity
from workbench.billing.core.usage import Vendor
from workbench.billing.generate import CustomerPreview, GeneratedInvoice, GenerationResult, generate_invoices, preview_customers
from workbench.billing.invoices import (PRELIMINARY_FIX, InvoiceNotFound, InvoiceStateError, approve, delete_drafts,
                                       issued_from_preliminary)
from workbench.billing.report_totals import ReportTotals, report_totals
from workbench.billing.store import models as m
from workbench.billing.store.periods import few
from workbench.billing.store.usage_queries import ReportPeriod, report_periods
from workbench.billing.store.workspace import Workspace

from .documents import statement_document
from .notebook import stamp
from .ranges import LAST, MONTH, MTD, RangeChooser
from .readonly import read_only_view
from .table import CheckTable
from .text import banner_html, count, esc, money, percent, problems_html, warning_html

__all__ = ["BillingApp", "DraftRow", "build_billing_app"]

HIDDEN, SHOWN = "none", ""
CUSTOMER_COLUMNS = ("Customer", "ID", "Vendor cost", "Price", "Margin", "Margin %", "Problem")
CUSTOMER_WIDTHS = (200, 80, 120, 120, 110, 70, 200)  # px; the last column takes the space left


def _vendor_choices(vendors: Iterable[str]) -> list[tuple[str, str]]:
    """The vendor dropdown's options: each vendor by its display name ("Google Cloud"), its value
    the stored code ("gcp") that the billing functions take."""
    return [(Vendor.display_name_of(v), v) for v in vendors]


DRAFT_COLUMNS = ("Invoice", "Customer", "Period", "Status", "Total", "Note")
DRAFT_WIDTHS = (170, 220, 150, 80, 130, 150)


@dataclass
class DraftRow:
    invoice: GeneratedInvoice
    status: Status = Status.DRAFT


class BillingApp:
    def __init__(self, ws: Workspace, *, read_only: bool = False, today: dt.date | None = None) -> None:
        self.ws = read_only_view(ws) if read_only else ws  # a second wall: its sessions never commit
        self.read_only = read_only
        self._given_today = today
        self.today = today or dt.date.today()
        self._quiet = False  # while catch_up() sets several controls: one refresh, at the end
        self.messages: list[str] = []
        self.previews: dict[str, CustomerPreview] = {}
        self.general_problems: tuple[Problem, ...] = ()
        self.generation_problems: dict[str, list[Problem]] = {}
        self.result: GenerationResult | None = None
        self.drafts: dict[str, DraftRow] = {}
        self.not_generated: dict[str, list[Problem]] = {}
        self.skipped: list[str] = []  # ticked but already billed: Generate left them out
        # what the unticked options leave off the ticked customers' invoices (`left_out`), one
        # sentence each, below the options; and on the preview, the generated drafts' and the
        # options they were generated with
        self.options_notes: list[str] = []
        self.generated_with: InvoiceOptions | None = None
        self.preview_notes: list[str] = []
        self.statement_html = ""
        self.viewed: str | None = None
        self.page = "report"
        self.periods: list[ReportPeriod] = report_periods(ws)

        vendors = sorted({p.vendor for p in self.periods})
        self.vendor = w.Dropdown(options=_vendor_choices(vendors), value=vendors[0] if vendors else None, description="Vendor",
                                 layout=w.Layout(width="220px"))
        self.range = RangeChooser(self.today, self.months(self.vendor.value))
        # one checkbox per invoice option, named as OPTION_LABELS says, ticked as InvoiceOptions' defaults
        defaults = InvoiceOptions()
        self.option_boxes = {name: w.Checkbox(description=label, value=getattr(defaults, name), indent=False)
                             for name, label in OPTION_LABELS}
        self.apply_credits, self.include_tax, self.include_marketplace, self.credits_for_marketplace = (
            self.option_boxes[name] for name, _label in OPTION_LABELS)
        self.title = w.HTML()
        self.banner = w.HTML()
        # read-only: a table to read, without checkboxes (a manager generates nothing)
        self.table = CheckTable(CUSTOMER_COLUMNS, CUSTOMER_WIDTHS, numeric=(2, 3, 4, 5), boxes=not read_only)
        self.totals: ReportTotals | None = None  # the rows added up per currency (`report_totals`)
        self.totals_html = w.HTML()  # below the table
        # read-only: which options the figures assume (the defaults), said once, in grey
        self.assumed_options = w.HTML(
            f'<div class="wb-assumed-options" style="color:#5f6368;font-size:12px;margin:2px 0 4px 0">Figures as '
            f"invoices would be generated with the default options: {esc(_options_text(InvoiceOptions()))}</div>"
            if read_only else "")
        self.select_all_button = w.Button(description="Select all", layout=w.Layout(width="110px"))
        self.select_none_button = w.Button(description="Select none", layout=w.Layout(width="110px"))
        self.selection = w.HTML()  # "N of M selected", counted in Python from what the browser checked
        self.generate_button = w.Button(description="Generate invoices", button_style="primary",
                                        layout=w.Layout(width="180px"))
        self.progress = w.IntProgress(value=0, min=0, max=1, description="", layout=w.Layout(width="300px", display=HIDDEN))
        self.progress_label = w.HTML()
        self.options_note = w.HTML()  # below the options: credits not applied, marketplace fees not included
        self.generated_options = w.HTML()  # on the preview: the options, and what they left out
        # A message shows where its cause is: the range's (a custom range that makes no sense, the
        # month opened instead of an empty one) on the top line, below the controls; a button's
        # beside that button's row (Generate sits below a list that may be long: a click must
        # answer where the analyst looks). One message at a time, `.wb-message` in the page; a
        # change of vendor, range, options or selection clears it (`_clear`).
        self.message = w.HTML()
        self.report_message = w.HTML()  # beside Generate invoices
        self.preview_message = w.HTML()  # below Approve all ... Finish

        self.draft_table = CheckTable(DRAFT_COLUMNS, DRAFT_WIDTHS, numeric=(4,))
        self.approve_all_button = w.Button(description="Approve all", button_style="success")
        self.approve_button = w.Button(description="Approve")
        self.view_button = w.Button(description="View")
        self.delete_button = w.Button(description="Delete", button_style="danger")
        self.finish_button = w.Button(description="Finish")
        self.not_generated_html = w.HTML()
        self.statement = w.HTML()

        self._writers = (self.generate_button, self.approve_all_button, self.approve_button, self.delete_button)
        if read_only:
            for button in self._writers:
                button.disabled = True
                button.layout.display = HIDDEN

        self.options_box = options = w.VBox([
            w.HTML("<b>Invoice options</b>"), w.HBox([self.apply_credits, self.include_tax]),
            w.HBox([self.include_marketplace, self.credits_for_marketplace]), self.options_note])
        self.selection_bar = selection = w.HBox([self.select_all_button, self.select_none_button, self.selection])
        if read_only:  # nothing to select, no options to choose: the report as the defaults price it
            for box in (selection, options):
                box.layout.display = HIDDEN
        self.report_page = w.VBox([
            w.HBox([self.vendor, self.range.widget]),
            self.title, self.banner, self.assumed_options,
            selection,
            self.table.widget,
            self.totals_html,
            options,
            w.HBox([self.generate_button, self.progress, self.progress_label, self.report_message]),
        ])
        self.preview_page = w.VBox([
            w.HTML("<h3>Preview Generated Billing Statements</h3>"),
            self.generated_options,
            w.HBox([self.approve_all_button, self.approve_button, self.view_button, self.delete_button, self.finish_button]),
            self.preview_message,
            self.draft_table.widget, self.not_generated_html, self.statement,
        ], layout=w.Layout(display=HIDDEN))
        mode = '<span style="color:#8a5a00">read-only view</span>' if read_only else ""
        self.widget = w.VBox([w.HTML(f"<h2>Billing reports {mode}</h2>"), self.message, self.report_page, self.preview_page])

        self.vendor.observe(self._vendor_changed, "value")
        self.range.observe(self.refresh)
        if not read_only:  # a viewer can set a hidden box's value: the read-only report ignores it
            for box in self.option_boxes.values():
                box.observe(lambda _change: self.refresh(), "value")
        self.select_all_button.on_click(lambda _b: self.table.check(None, True))
        self.select_none_button.on_click(lambda _b: self.table.check(None, False))
        self.table.on_check(self._show_selection)
        self.table.on_check(self._show_options_note)
        # the analyst ticking customers or drafts starts a new action: the last one's message goes
        self.table.widget.observe(lambda _change: self._clear(), names="checked")
        self.draft_table.widget.observe(lambda _change: self._clear(), names="checked")
        self.generate_button.on_click(self.generate)
        self.approve_all_button.on_click(self.approve_all)
        self.approve_button.on_click(self.approve_selected)
        self.view_button.on_click(self.view_selected)
        self.delete_button.on_click(self.delete_selected)
        self.finish_button.on_click(self.finish)
        self._open_on_a_month_with_data()
        self.refresh()
        self._say_why_another_month()
        self.stamp = stamp(self.ws, self.today)

    # --- state a test (or a notebook) reads ----------------------------------------------------

    def months(self, vendor: str | None) -> list[str]:
        """Months with data for the vendor, newest first."""
        return sorted({p.period for p in self.periods if p.vendor == vendor}, reverse=True)

    @property
    def options(self) -> InvoiceOptions:
        """The ticked options; on a read-only page always the defaults (its boxes are hidden)."""
        if self.read_only:
            return InvoiceOptions()
        return InvoiceOptions(**{name: bool(box.value) for name, box in self.option_boxes.items()})

    @property
    def selected(self) -> list[str]:
        return self.table.checked()

    @property
    def selected_drafts(self) -> list[str]:
        return self.draft_table.checked()

    def customer_problems(self, customer_id: str) -> list[Problem]:
        preview = self.previews.get(customer_id)
        found = list(preview.problems) if preview else []
        return found + [p for p in self.generation_problems.get(customer_id, []) if p not in found]

    def select(self, customer_ids: Sequence[str]) -> None:
        self.table.check(list(customer_ids), True)

    def already_billed(self, customer_ids: Sequence[str]) -> list[str]:
        """Those whose row says the range is already billed for them (a draft or an issued invoice)."""
        return [cid for cid in customer_ids if any(p.code == "period-locked" for p in self.customer_problems(cid))]

    def _show_selection(self) -> None:
        self.selection.value = (f'<span class="wb-selection" style="line-height:28px;margin-left:8px">'
                                f"{len(self.selected)} of {len(self.table.rows)} selected</span>")

    def left_out(self, customer_ids: Sequence[str], *, generated: bool = False) -> list[str]:
        """What the unticked options leave off the invoices of `customer_ids`, one sentence per
        option, naming each customer and the amount (`CustomerPreview.credits_not_applied`,
        `.marketplace_not_included`, `.credits_not_on_marketplace`, as the engine computed them
        for the options shown):
        "2 selected customers have credits that will not be applied: Quarry Media 250.00 CAD,
        ...; tick Apply credits to use them". `generated`: the same said of drafts just made."""
        rows = [self.previews[cid] for cid in customer_ids if cid in self.previews]
        credits = [(p.customer_name, " + ".join(f"{money(a, c)} {c}" for a, c in p.credits_not_applied))
                   for p in rows if p.credits_not_applied]
        market = [(p.customer_name, f"{money(p.marketplace_not_included, p.usage_currency)} {p.usage_currency}")
                  for p in rows if p.marketplace_not_included is not None]
        unused = [(p.customer_name, f"{money(p.credits_not_on_marketplace, p.currency)} {p.currency}")
                  for p in rows if p.credits_not_on_marketplace is not None and p.currency]
        said = []
        whose = lambda n: "customer's" if n == 1 else "customers'"  # noqa: E731
        if credits:
            n = len(credits)
            if generated:
                said.append(f"{count(n, 'draft')} {'was' if n == 1 else 'were'} generated without the {whose(n)} credits "
                            f"(Apply credits was off): {_named(credits)}; to apply them, delete "
                            f"{'that draft' if n == 1 else 'those drafts'}, tick Apply credits and generate again")
            else:
                said.append(f"{count(n, 'selected customer')} {'has' if n == 1 else 'have'} credits that will not be applied: "
                            f"{_named(credits)}; tick Apply credits to use them")
        if market:
            n = len(market)
            if generated:
                said.append(f"{count(n, 'draft')} {'was' if n == 1 else 'were'} generated without the {whose(n)} marketplace "
                            f"charges (Include marketplace fees was off): {_named(market)}; to bill them, delete "
                            f"{'that draft' if n == 1 else 'those drafts'}, tick Include marketplace fees and generate again")
            else:
                said.append(f"{count(n, 'selected customer')} {'has' if n == 1 else 'have'} marketplace charges not "
                            f"included: {_named(market)}; tick Include marketplace fees to bill them")
        if unused:
            n = len(unused)
            if generated:
                said.append(f"{count(n, 'draft')} {'bills' if n == 1 else 'bill'} marketplace fees that the {whose(n)} "
                            f"credit left over could have paid (Use credits for marketplace fees was off): "
                            f"{_named(unused)}; to use it, delete {'that draft' if n == 1 else 'those drafts'}, tick "
                            f"Use credits for marketplace fees and generate again")
            else:
                said.append(f"{count(n, 'selected customer')} {'has' if n == 1 else 'have'} credit left that will not "
                            f"pay marketplace fees: {_named(unused)}; tick Use credits for marketplace fees to use it")
        return said

    def _show_options_note(self) -> None:
        selected = self.selected
        billed = set(self.already_billed(selected))  # Generate skips those
        ticked = [cid for cid in selected if cid not in billed]
        self.options_notes = self.left_out(ticked)
        self.options_note.value = warning_html(self.options_notes) if self.options_notes else ""

    # --- report page ---------------------------------------------------------------------------

    def _say(self, text: str, *, error: bool = False, note: bool = False, action: bool = True,
             warning: Sequence[Problem] = ()) -> None:
        """Show `text` (an error in red, a note in grey, else green) beside the buttons of the page
        shown (`action`), else on the top line; it replaces any other. `warning`: problems of the
        same kind and fix (the invoices an approval issued from preliminary usage), shown below it
        in amber, one line each and the fix once. `messages` keeps every one, as plain text."""
        fix = warning[0].fix if len(warning) == 1 else PRELIMINARY_FIX if warning else ""
        lines = [p.message for p in warning]
        self.messages.append("\n".join([text, *lines, *([f"fix: {fix}"] if fix else [])]))
        colour = "#a61b1b" if error else "#555" if note else "#1b5e20"
        self._clear()
        if not action:
            self.message.value = f'<div class="wb-message" style="color:{colour}">{esc(text)}</div>'
            return
        beside = self.preview_message if self.page == "preview" else self.report_message
        beside.value = (f'<div class="wb-message wb-action-message" style="color:{colour};line-height:28px;'
                        f'margin-left:8px">{esc(text)}</div>' + (warning_html(lines, fix) if warning else ""))

    def _clear(self) -> None:
        """Forget the shown message: what it answered (an action, a range) has changed since."""
        self.message.value = self.report_message.value = self.preview_message.value = ""

    def _open_on_a_month_with_data(self) -> None:
        """On the default Month to date, open on Last month when the vendor has no report for the
        current month yet (the 1st of a month, or before the vendor's file arrives): billing is
        typically for the prior month, and an empty month would open on an error banner. Without
        a report for last month either, open on the vendor's newest month."""
        self._mtd_empty: tuple[str, str] | None = None  # (the empty month, what is shown instead)
        vendor = self.vendor.value
        if not vendor or self.range.kind.value != MTD:
            return
        months, month = self.months(vendor), month_key(self.today)
        if month in months or not months:
            return
        previous = month_key(last_month(self.today).start)
        was, self._quiet = self._quiet, True
        try:
            if previous in months:
                self.range.kind.value = LAST
                self._mtd_empty = (month, f"last month ({previous})")
            else:
                self.range.month.value = months[0]
                self.range.kind.value = MONTH
                self._mtd_empty = (month, f"{months[0]}, the newest month with a report")
        finally:
            self._quiet = was

    def _say_why_another_month(self) -> None:
        if self._mtd_empty and self.range.kind.value in (LAST, MONTH):
            month, shown = self._mtd_empty
            self._say(f"Month to date ({month}) has no {self.vendor.label} report yet: showing {shown}.", note=True, action=False)

    def _refuse(self, action: str) -> None:
        self._say(f"read-only view: {action} is not allowed here; nothing was changed", error=True)

    def _vendor_changed(self, _change: object) -> None:
        if self._quiet:
            return
        self.range.set_months(self.months(self.vendor.value))
        self.refresh()

    def catch_up(self) -> bool:
        """Recompute the report if the day turned or the workspace changed (an audit event) since
        the app was built: a preheated page may have been computed hours before its visit. The
        vendor, range, options and ticked customers stay as they were where they still exist."""
        now = stamp(self.ws, self._given_today or dt.date.today())
        if now == self.stamp:
            return False
        self.today = now.today
        self.periods = report_periods(self.ws)
        vendors = sorted({p.vendor for p in self.periods})
        self._quiet = True
        try:
            self.range.set_today(now.today)
            if list(self.vendor.options) != _vendor_choices(vendors):
                keep = self.vendor.value if self.vendor.value in vendors else None
                self.vendor.options = _vendor_choices(vendors)  # (ipywidgets then picks the first option)
                if keep is not None:
                    self.vendor.value = keep
            self.range.set_months(self.months(self.vendor.value))
        finally:
            self._quiet = False
        self._open_on_a_month_with_data()  # still on Month to date when the visitor arrives
        self.refresh()
        self._say_why_another_month()
        self.stamp = now
        return True

    def date_range(self, *, action: bool = False) -> DateRange | None:
        try:
            return self.range.date_range()
        except ValueError as exc:
            self._say(str(exc), error=True, action=action)
            return None

    def refresh(self) -> None:
        """Recompute the customer list for the vendor, range and options (nothing is stored)."""
        if self._quiet:
            return
        self._clear()  # the vendor, range or options changed: the last action's message is stale
        vendor, date_range = self.vendor.value, self.date_range()
        keep = set(self.table.checked())
        self.generation_problems = {}
        if not vendor or date_range is None:
            self.previews, self.general_problems = {}, ()
            self.title.value = "<i>No vendor report has been imported into this workspace yet.</i>" if not vendor else ""
            self.banner.value = ""
            self.table.set_rows([], empty_text="nothing to show")
            self._show_totals()
            self._show_options_note()
            return
        previews, general = preview_customers(self.ws, vendor, date_range, self.options)
        self.previews = {p.customer_id: p for p in previews}
        self.general_problems = general
        shown = Vendor.display_name_of(vendor)
        self.title.value = f"<h3>{esc(shown)} Billing Customers Report &middot; {esc(date_range.label)}</h3>"
        self.banner.value = banner_html(general)
        self.table.set_rows([(p.customer_id, self._customer_cells(p)) for p in previews], checked=keep,
                            empty_text=f"no {shown} usage in {date_range.label}")
        self._show_totals()
        self._show_options_note()  # the options may have changed and the rows not (credits change no price)

    def _customer_cells(self, p: CustomerPreview) -> list[str]:
        return [
            esc(p.customer_name), esc(p.customer_id),
            f"{money(p.vendor_cost, p.usage_currency)} {esc(p.usage_currency)}",
            f"{money(p.price, p.currency)} {esc(p.currency or '')}",
            _signed(p.margin, f"{money(p.margin, p.currency)} {esc(p.currency or '')}"),
            _signed(p.margin, percent(p.margin, p.price)),
            self._status_cell(p),
        ]

    def _show_totals(self) -> None:
        """The totals line below the table: vendor cost per usage currency, price and margin per
        invoice currency (`report_totals`: exact sums, rounded once here by `money`), and how
        many rows without a price it leaves out."""
        self.totals = report_totals(self.previews.values()) if self.previews else None
        self.totals_html.value = _totals_html(self.totals) if self.totals else ""

    def _status_cell(self, p: CustomerPreview) -> str:
        """Why a row cannot be invoiced; a billed range is no problem to a reader: its invoice's
        number, in grey (the figures are the invoice's), and only the other problems in red."""
        problems = self.customer_problems(p.customer_id)
        fix = not self.read_only  # the fixes tell the analyst which CSV to edit
        if p.billed is None:
            return problems_html(problems, fix=fix)
        note = f'<div class="wb-billed" style="color:#5f6368">billed: {esc(p.billed)}</div>'
        return note + problems_html((q for q in problems if q.code != "period-locked"), fix=fix)

    def generate(self, _button: object = None) -> None:
        if self.read_only:
            return self._refuse("generating invoices")
        customers = self.selected
        if not customers:
            return self._say("select one or more customers first (checkboxes, or Select all)", error=True)
        vendor, date_range = self.vendor.value, self.date_range(action=True)
        if not vendor or date_range is None:
            return None
        # already billed (Select all ticks them too): skipped and counted, not a "not generated" block each
        self.skipped = self.already_billed(customers)
        skipped = f"{len(self.skipped)} customer(s) skipped: already billed" if self.skipped else ""
        customers = [cid for cid in customers if cid not in self.skipped]
        if not customers:
            return self._say(f"nothing generated: {skipped} for {Vendor.display_name_of(vendor)} {date_range.label}", error=True)
        self.progress.layout.display = SHOWN
        self.progress.max, self.progress.value = max(len(customers), 1), 0
        self.progress_label.value = "generating ..."
        result = generate_invoices(self.ws, vendor, date_range, customers, self.options, today=self.today,
                                   progress=self._tick)
        self.result = result
        self.generation_problems = {}
        for problem in result.problems:
            if problem.customer_id:
                self.generation_problems.setdefault(problem.customer_id, []).append(problem)
        self.table.set_many_cells({cid: self._customer_cells(self.previews[cid]) for cid in customers
                                   if cid in self.table.rows and cid in self.previews})
        self.progress_label.value = f"{len(result.invoices)} of {len(customers)} generated"
        self.drafts = {inv.number: DraftRow(inv) for inv in result.invoices}
        made = {inv.customer_id for inv in result.invoices}
        self.generated_with = self.options
        self.preview_notes = self.left_out([cid for cid in customers if cid in made], generated=True)
        self.generated_options.value = (
            f'<div class="wb-generated-with" style="color:#555;margin:4px 0">Generated with: '
            f"{esc(_options_text(self.generated_with))}</div>"
            + (warning_html(self.preview_notes) if self.preview_notes else ""))
        self.not_generated = {cid: [p for p in self.generation_problems.get(cid, []) if p.severity is Severity.ERROR]
                              for cid in customers if cid not in made}
        self._show_drafts()
        self.statement_html, self.viewed, self.statement.value = "", None, ""
        self.page = "preview"
        self.report_page.layout.display, self.preview_page.layout.display = HIDDEN, SHOWN
        general = [p for p in result.problems if not p.customer_id]
        self.banner.value = banner_html(general)
        self._say(f"{len(result.invoices)} draft invoice(s) generated for {Vendor.display_name_of(vendor)} {date_range.label}"
                  + (f"; {len(self.not_generated)} customer(s) not generated, see below" if self.not_generated else "")
                  + (f"; {skipped}" if skipped else ""),
                  error=bool(self.not_generated))

    def _tick(self, done: int, total: int, customer_id: str) -> None:
        self.progress.max = max(total, 1)
        self.progress.value = done
        self.progress_label.value = f"{done} / {total} &middot; #{esc(customer_id)}"

    # --- preview page --------------------------------------------------------------------------

    def _show_drafts(self, checked: set[str] | None = None) -> None:
        rows = []
        for number, row in self.drafts.items():
            inv = row.invoice
            rows.append((number, [
                esc(number), f"{esc(inv.customer_name)} (#{esc(inv.customer_id)})", esc(inv.period), esc(row.status.label),
                f"{money(inv.total, inv.currency)} {esc(inv.currency)}", "preliminary data" if inv.preliminary else "",
            ]))
        self.draft_table.set_rows(rows, checked=checked, empty_text="no draft invoices")
        names = {p.customer_id: p.customer_name for p in self.previews.values()}
        self.not_generated_html.value = "".join(
            f'<div class="wb-not-generated" data-customer="{esc(cid)}" style="margin:6px 0">'
            f"<b>{esc(names.get(cid, ''))} (#{esc(cid)})</b>: not generated{problems_html(problems)}</div>"
            for cid, problems in self.not_generated.items()
        )

    def approve_all(self, _button: object = None) -> None:
        """Every draft of the preview, less those priced from preliminary usage (as `invoices
        approve --all-drafts` does): issuing figures the vendor has not finalised is a choice made
        invoice by invoice (tick it, Approve)."""
        if self.read_only:
            return self._refuse("approving invoices")
        elsewhere = self._catch_up_drafts()  # the page may be older than the workspace: read it again first
        drafts = [n for n, row in self.drafts.items() if row.status is Status.DRAFT]
        if not drafts:
            return self._say(_joined("there are no drafts left to approve here", elsewhere.values()), error=True)
        held = [n for n in drafts if self.drafts[n].invoice.preliminary]
        if held and len(held) == len(drafts):
            them = f"{held[0]} is" if len(held) == 1 else f"{', '.join(held)} are"
            it = "it" if len(held) == 1 else "them"
            return self._say(_joined(f"nothing approved: {them} priced from preliminary usage; to issue {it} "
                                     f"anyway, tick {it} and click Approve", elsewhere.values()), error=True)
        self._approve([n for n in drafts if n not in held], held=held, elsewhere=elsewhere)

    def approve_selected(self, _button: object = None) -> None:
        if self.read_only:
            return self._refuse("approving invoices")
        numbers = [n for n in self.selected_drafts if n in self.drafts]
        if not numbers:
            return self._say("select one or more draft invoices first", error=True)
        elsewhere = self._catch_up_drafts(numbers)
        self._approve(numbers, elsewhere=elsewhere)

    def _approve(self, ticked: list[str], *, held: Sequence[str] = (), elsewhere: dict[str, str]) -> None:
        """Approve those of `ticked` that are still drafts (`_catch_up_drafts` has just read them
        again); the others are named, not approved, and do not hold the drafts back."""
        numbers = [n for n in ticked if n in self.drafts and self.drafts[n].status is Status.DRAFT]
        not_drafts = [n for n in ticked if n in self.drafts and n not in numbers and n not in elsewhere]
        besides = [*elsewhere.values(), *(f"{n} is already {self.drafts[n].status.label}" for n in not_drafts)]
        if not numbers:
            return self._say(_joined("nothing approved", besides, ": "), error=True)
        try:
            done = approve(self.ws, numbers, today=self.today)
        except (InvoiceStateError, InvoiceNotFound) as exc:
            # changed elsewhere between the reading above and the approval (approve is all or none)
            changed = self._catch_up_drafts(numbers)
            return self._say(f"nothing approved: {'; '.join(changed.values()) or exc}; the list shows the invoices "
                             "as they are now: tick the drafts again and click Approve", error=True)
        for summary in done:
            self.drafts[summary.number].status = Status(summary.status)
        self._show_drafts()
        if self.viewed in numbers:  # the statement shown is no longer a draft: show it as it is now
            self._show_statement(self.viewed)
        opened = [s.number for s in done if s.status == Status.OPEN.value]
        closed = [s.number for s in done if s.status == Status.CLOSED.value]  # nothing due: closed at issue
        said = _joined("; ".join([*([f"approved (now Open): {', '.join(opened)}"] if opened else []),
                                  *([f"approved, {NOTHING_DUE_LABEL} (now Closed): {', '.join(closed)}"] if closed else [])]),
                       besides)
        if held:
            said += (f"; left as drafts, priced from preliminary usage: {', '.join(held)} (tick them and click "
                     "Approve to issue them anyway)")
        self._say(said, warning=issued_from_preliminary(done))

    def _catch_up_drafts(self, numbers: Sequence[str] | None = None) -> dict[str, str]:
        """Read the listed drafts' statuses again: the CLI, the API or another analyst may have
        approved, voided or deleted some since this page listed them, and `approve` and
        `delete_drafts` are all or none (one invoice that is no draft any more refuses them all).
        The rows follow (a deleted one goes); returns, for those of `numbers` (None: every row)
        that changed, what the message says: {X: "X was approved elsewhere (now Open)", Y: "Y was
        deleted elsewhere"}."""
        listed = list(self.drafts)
        with self.ws.session() as session:
            now = dict(session.execute(select(m.Invoice.number, m.Invoice.status).where(m.Invoice.number.in_(listed))).all())
        said: dict[str, str] = {}
        moved = False
        for number in listed:
            row = self.drafts[number]
            status = Status(now[number]) if number in now else None
            if status is row.status:
                continue
            moved = True
            if numbers is None or number in numbers:
                said[number] = (f"{number} was deleted elsewhere" if status is None
                                else f"{number} was approved elsewhere (now {status.label})" if status is Status.OPEN
                                else f"{number} changed elsewhere (now {status.label})")
            if status is None:
                del self.drafts[number]
            else:
                row.status = status
        if moved:
            self._show_drafts(checked=set(self.selected_drafts) - set(said))  # untick what changed: nothing to do
            if self.viewed is not None:
                if self.viewed in self.drafts:
                    self._show_statement(self.viewed)
                else:
                    self.statement_html, self.viewed, self.statement.value = "", None, ""
        return said

    def view_selected(self, _button: object = None) -> None:
        chosen = self.selected_drafts
        if not chosen:
            return self._say("select the invoice to view", error=True)
        number = chosen[0]
        try:
            self._show_statement(number)
        except InvoiceNotFound as exc:
            return self._say(str(exc), error=True)
        self._say(f"showing {number}" + (" (the first of the selected invoices)" if len(chosen) > 1 else ""))

    def _show_statement(self, number: str) -> None:
        self.statement_html = statement_document(self.ws, number)
        self.viewed = number
        self.statement.value = self.statement_html  # a fragment with its own scoped CSS

    def delete_selected(self, _button: object = None) -> None:
        if self.read_only:
            return self._refuse("deleting invoices")
        ticked = [n for n in self.selected_drafts if n in self.drafts]
        if not ticked:
            return self._say("select one or more draft invoices to delete", error=True)
        elsewhere = self._catch_up_drafts(ticked)  # approved or deleted meanwhile: not deleted, not in the way
        numbers = [n for n in ticked if n in self.drafts and self.drafts[n].status is Status.DRAFT]
        issued = [n for n in ticked if n in self.drafts and n not in numbers]
        besides = [*elsewhere.values(), *(f"{n} is {self.drafts[n].status.label}: only drafts can be deleted; void "
                                          "an issued invoice instead" for n in issued if n not in elsewhere)]
        if not numbers:
            return self._say(_joined("nothing deleted", besides, ": "), error=True)
        try:
            deleted = delete_drafts(self.ws, numbers)
        except (InvoiceStateError, InvoiceNotFound) as exc:
            changed = self._catch_up_drafts(numbers)  # changed between the reading above and the deletion
            return self._say(f"nothing deleted: {'; '.join(changed.values()) or exc}; the list shows the invoices "
                             "as they are now: tick the drafts again and click Delete", error=True)
        for number in deleted:
            del self.drafts[number]
        if self.viewed in deleted:
            self.statement_html, self.viewed, self.statement.value = "", None, ""
        self._show_drafts()
        self._say(_joined(f"deleted: {', '.join(deleted)} (their periods can be generated again)", besides))

    def finish(self, _button: object = None) -> None:
        """Back to the report, recomputed (generated customers now show their period as billed)."""
        self.page = "report"
        self.preview_page.layout.display, self.report_page.layout.display = HIDDEN, SHOWN
        self.statement_html, self.viewed, self.statement.value = "", None, ""
        # a new round: the customers just generated are billed now, and the bar told its story
        self.table.check(None, False)
        self.progress.layout.display, self.progress.value, self.progress_label.value = HIDDEN, 0, ""
        self.refresh()


def build_billing_app(ws: Workspace, *, read_only: bool = False, today: dt.date | None = None) -> BillingApp:
    return BillingApp(ws, read_only=read_only, today=today)


_NAMED = 10  # customers a note names; the rest are counted


def _signed(amount: Decimal | None, text: str) -> str:
    """`text` in red (`.wb-negative`, in the table's styles) when `amount` is below zero."""
    return f'<span class="wb-negative">{text}</span>' if amount is not None and amount < 0 else text


def _totals_html(totals: ReportTotals) -> str:
    """"Totals of 3 customers: vendor cost 170.50 USD; price 183.16 CAD, margin 17.93 CAD
    (9.79%); price ... USD, ...", and the rows left out; `.wb-total` elements carry their
    currency in `data-currency`."""
    costs = ", ".join(f'<span class="wb-total wb-total-cost" data-currency="{esc(t.currency)}">'
                      f"{money(t.vendor_cost, t.currency)} {esc(t.currency)}</span>" for t in totals.costs)
    prices = "; ".join(
        f'<span class="wb-total wb-total-price" data-currency="{esc(t.currency)}">price '
        f"{money(t.price, t.currency)} {esc(t.currency)}, margin "
        + _signed(t.margin, f"{money(t.margin, t.currency)} {esc(t.currency)}")
        + (f" ({_signed(t.margin, f'{t.margin_percent}%')})" if t.margin_percent is not None else "")
        + "</span>" for t in totals.prices)
    parts = [f"vendor cost {costs}"] if costs else []
    parts += [prices] if prices else []
    line = (f"<b>Totals of {count(totals.counted, 'customer')}</b>: " + "; ".join(parts)) if totals.counted \
        else "<b>Totals</b>: no customer has a price"
    notes = []
    if totals.left_out:
        n = len(totals.left_out)
        notes.append(f"{count(n, 'customer')} with a problem (no price) {'is' if n == 1 else 'are'} left out of the totals")
    if totals.cost_unknown:
        n = len(totals.cost_unknown)
        notes.append(f"the vendor cost of {count(n, 'customer')} with usage in several currencies is in no total")
    note = (f'<div class="wb-totals-left-out" style="color:#5f6368;font-size:12px">{esc("; ".join(notes))}</div>'
            if notes else "")
    return (f'<div class="wb-totals" style="border-top:2px solid #ccc;padding:4px 6px;margin-top:2px;font-size:13px">'
            f"{line}{note}</div>")


def _named(items: Sequence[tuple[str, str]]) -> str:
    """"Quarry Media 250.00 CAD, Acme Corp 10.00 USD" (the first ten; "and 3 more")."""
    return few([f"{name} {amount}" for name, amount in items], shown=_NAMED)


# the invoice options by InvoiceOptions' field names, as the page's checkboxes name them
OPTION_LABELS = (("apply_credits", "Apply credits"), ("include_tax", "Include tax"),
                 ("include_marketplace", "Include marketplace fees"), ("credits_for_marketplace", "Use credits for marketplace fees"))


def _options_text(options: InvoiceOptions) -> str:
    """"Apply credits: off, Include tax: on, ...", by the checkboxes' names."""
    return ", ".join(f"{label}: {'on' if getattr(options, name) else 'off'}" for name, label in OPTION_LABELS)


def _joined(message: str, besides: Iterable[str], separator: str = "; ") -> str:
    """`message`, then what else the analyst should know: "approved (now Open): A; B was approved elsewhere"."""
    besides = list(besides)
    return message + separator + "; ".join(besides) if besides else message
