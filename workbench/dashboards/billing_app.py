"""Billing reports: the seed's "Generate Customer Billing Statements" screen as a widget app.

    app = build_billing_app(ws, read_only=False, today=dt.date(2025, 11, 25))
    display(app.widget)

Report page: vendor (only vendors with data) -> date range -> the customer list for that range
(checkbox, name, ID, vendor cost, price, margin, margin %, and the customer's problem with its
fix) -> Select all / Select none -> the four invoice options -> Generate invoices (progress bar).
Preview page ("Preview Generated Billing Statements"): one row per draft with a checkbox,
Approve all, Approve, View, Delete, Finish (back to the report); customers that were not
generated are listed with their error.

Everything a test needs is plain Python state on the app (`rows`, `previews`, `drafts`,
`messages`, `statement_html`, ...). Every writing callback checks `read_only` itself, because a
Voila viewer can click any button model or set any widget value, hidden or not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets as w

from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.lifecycle import Status
from workbench.billing.core.periods import DateRange
from workbench.billing.core.problems import Problem, Severity
from workbench.billing.generate import CustomerPreview, GeneratedInvoice, GenerationResult, generate_invoices, preview_customers
from workbench.billing.invoices import InvoiceNotFound, InvoiceStateError, approve, delete_drafts
from workbench.billing.store.usage_queries import ReportPeriod, report_periods
from workbench.billing.store.workspace import Workspace

from .documents import statement_document
from .notebook import stamp
from .ranges import RangeChooser
from .readonly import read_only_view
from .table import CheckTable
from .text import banner_html, esc, money, percent, problems_html

__all__ = ["BillingApp", "DraftRow", "build_billing_app"]

HIDDEN, SHOWN = "none", ""
CUSTOMER_COLUMNS = ("Customer", "ID", "Vendor cost", "Price", "Margin", "Margin %", "Problem")
CUSTOMER_WIDTHS = (200, 80, 120, 120, 110, 70, 200)  # px; the last column takes the space left
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
        self.statement_html = ""
        self.viewed: str | None = None
        self.page = "report"
        self.periods: list[ReportPeriod] = report_periods(ws)

        vendors = sorted({p.vendor for p in self.periods})
        self.vendor = w.Dropdown(options=vendors, value=vendors[0] if vendors else None, description="Vendor",
                                 layout=w.Layout(width="220px"))
        self.range = RangeChooser(self.today, self.months(self.vendor.value))
        self.apply_credits = w.Checkbox(description="Apply credits", value=False, indent=False)
        self.include_tax = w.Checkbox(description="Include tax", value=True, indent=False)
        self.include_marketplace = w.Checkbox(description="Include marketplace fees", value=False, indent=False)
        self.credits_for_marketplace = w.Checkbox(description="Use credits for marketplace fees", value=False, indent=False)
        self.title = w.HTML()
        self.banner = w.HTML()
        self.table = CheckTable(CUSTOMER_COLUMNS, CUSTOMER_WIDTHS, numeric=(2, 3, 4, 5))
        self.select_all_button = w.Button(description="Select all", layout=w.Layout(width="110px"))
        self.select_none_button = w.Button(description="Select none", layout=w.Layout(width="110px"))
        self.selection = w.HTML()  # "N of M selected", counted in Python from what the browser checked
        self.generate_button = w.Button(description="Generate invoices", button_style="primary",
                                        layout=w.Layout(width="180px"))
        self.progress = w.IntProgress(value=0, min=0, max=1, description="", layout=w.Layout(width="300px", display=HIDDEN))
        self.progress_label = w.HTML()
        self.message = w.HTML()

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

        options = w.VBox([w.HTML("<b>Invoice options</b>"), w.HBox([self.apply_credits, self.include_tax]),
                          w.HBox([self.include_marketplace, self.credits_for_marketplace])])
        self.report_page = w.VBox([
            w.HBox([self.vendor, self.range.widget]),
            self.title, self.banner,
            w.HBox([self.select_all_button, self.select_none_button, self.selection]),
            self.table.widget,
            options,
            w.HBox([self.generate_button, self.progress, self.progress_label]),
        ])
        self.preview_page = w.VBox([
            w.HTML("<h3>Preview Generated Billing Statements</h3>"),
            w.HBox([self.approve_all_button, self.approve_button, self.view_button, self.delete_button, self.finish_button]),
            self.draft_table.widget, self.not_generated_html, self.statement,
        ], layout=w.Layout(display=HIDDEN))
        mode = '<span style="color:#8a5a00">read-only view</span>' if read_only else ""
        self.widget = w.VBox([w.HTML(f"<h2>Billing reports {mode}</h2>"), self.message, self.report_page, self.preview_page])

        self.vendor.observe(self._vendor_changed, "value")
        self.range.observe(self.refresh)
        for box in (self.apply_credits, self.include_tax, self.include_marketplace, self.credits_for_marketplace):
            box.observe(lambda _change: self.refresh(), "value")
        self.select_all_button.on_click(lambda _b: self.table.check(None, True))
        self.select_none_button.on_click(lambda _b: self.table.check(None, False))
        self.table.on_check(self._show_selection)
        self.generate_button.on_click(self.generate)
        self.approve_all_button.on_click(self.approve_all)
        self.approve_button.on_click(self.approve_selected)
        self.view_button.on_click(self.view_selected)
        self.delete_button.on_click(self.delete_selected)
        self.finish_button.on_click(self.finish)
        self.refresh()
        self.stamp = stamp(self.ws, self.today)

    # --- state a test (or a notebook) reads ----------------------------------------------------

    def months(self, vendor: str | None) -> list[str]:
        """Months with data for the vendor, newest first."""
        return sorted({p.period for p in self.periods if p.vendor == vendor}, reverse=True)

    @property
    def options(self) -> InvoiceOptions:
        return InvoiceOptions(apply_credits=bool(self.apply_credits.value), include_tax=bool(self.include_tax.value),
                              include_marketplace=bool(self.include_marketplace.value),
                              credits_for_marketplace=bool(self.credits_for_marketplace.value))

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

    def _show_selection(self) -> None:
        self.selection.value = (f'<span class="wb-selection" style="line-height:28px;margin-left:8px">'
                                f"{len(self.selected)} of {len(self.table.rows)} selected</span>")

    # --- report page ---------------------------------------------------------------------------

    def _say(self, text: str, *, error: bool = False) -> None:
        self.messages.append(text)
        colour = "#a61b1b" if error else "#1b5e20"
        self.message.value = f'<div class="wb-message" style="color:{colour}">{esc(text)}</div>'

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
        self.today = self.range.today = now.today
        self.periods = report_periods(self.ws)
        vendors = sorted({p.vendor for p in self.periods})
        self._quiet = True
        try:
            if list(self.vendor.options) != vendors:
                keep = self.vendor.value if self.vendor.value in vendors else None
                self.vendor.options = vendors  # (ipywidgets then picks the first option)
                if keep is not None:
                    self.vendor.value = keep
            self.range.set_months(self.months(self.vendor.value))
        finally:
            self._quiet = False
        self.refresh()
        self.stamp = now
        return True

    def date_range(self) -> DateRange | None:
        try:
            return self.range.date_range()
        except ValueError as exc:
            self._say(str(exc), error=True)
            return None

    def refresh(self) -> None:
        """Recompute the customer list for the vendor, range and options (nothing is stored)."""
        if self._quiet:
            return
        vendor, date_range = self.vendor.value, self.date_range()
        keep = set(self.table.checked())
        self.generation_problems = {}
        if not vendor or date_range is None:
            self.previews, self.general_problems = {}, ()
            self.title.value = "<i>No vendor report has been imported into this workspace yet.</i>" if not vendor else ""
            self.banner.value = ""
            self.table.set_rows([], empty_text="nothing to show")
            return
        previews, general = preview_customers(self.ws, vendor, date_range, self.options, today=self.today)
        self.previews = {p.customer_id: p for p in previews}
        self.general_problems = general
        self.title.value = f"<h3>{esc(vendor.upper())} Billing Customers Report &middot; {esc(date_range.label)}</h3>"
        self.banner.value = banner_html(general)
        self.table.set_rows([(p.customer_id, self._customer_cells(p)) for p in previews], checked=keep,
                            empty_text=f"no {vendor} usage in {date_range.label}")

    def _customer_cells(self, p: CustomerPreview) -> list[str]:
        return [
            esc(p.customer_name), esc(p.customer_id),
            f"{money(p.vendor_cost, p.usage_currency)} {esc(p.usage_currency)}",
            f"{money(p.price, p.currency)} {esc(p.currency or '')}",
            f"{money(p.margin, p.currency)} {esc(p.currency or '')}",
            percent(p.margin, p.price),
            problems_html(self.customer_problems(p.customer_id)),
        ]

    def generate(self, _button: object = None) -> None:
        if self.read_only:
            return self._refuse("generating invoices")
        customers = self.selected
        if not customers:
            return self._say("select one or more customers first (checkboxes, or Select all)", error=True)
        vendor, date_range = self.vendor.value, self.date_range()
        if not vendor or date_range is None:
            return None
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
        self.not_generated = {cid: [p for p in self.generation_problems.get(cid, []) if p.severity is Severity.ERROR]
                              for cid in customers if cid not in made}
        self._show_drafts()
        self.statement_html, self.viewed, self.statement.value = "", None, ""
        self.page = "preview"
        self.report_page.layout.display, self.preview_page.layout.display = HIDDEN, SHOWN
        general = [p for p in result.problems if not p.customer_id]
        self.banner.value = banner_html(general)
        self._say(f"{len(result.invoices)} draft invoice(s) generated for {vendor} {date_range.label}"
                  + (f"; {len(self.not_generated)} customer(s) not generated, see below" if self.not_generated else ""),
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
        self._approve([n for n, row in self.drafts.items() if row.status is Status.DRAFT])

    def approve_selected(self, _button: object = None) -> None:
        self._approve(self.selected_drafts)

    def _approve(self, numbers: list[str]) -> None:
        if self.read_only:
            return self._refuse("approving invoices")
        numbers = [n for n in numbers if n in self.drafts]
        if not numbers:
            return self._say("select one or more draft invoices first", error=True)
        try:
            done = approve(self.ws, numbers, today=self.today)
        except (InvoiceStateError, InvoiceNotFound) as exc:
            return self._say(f"nothing approved: {exc}", error=True)
        for summary in done:
            self.drafts[summary.number].status = Status(summary.status)
        self._show_drafts()
        self._say(f"approved (now Open): {', '.join(numbers)}")

    def view_selected(self, _button: object = None) -> None:
        chosen = self.selected_drafts
        if not chosen:
            return self._say("select the invoice to view", error=True)
        number = chosen[0]
        try:
            self.statement_html = statement_document(self.ws, number)
        except InvoiceNotFound as exc:
            return self._say(str(exc), error=True)
        self.viewed = number
        self.statement.value = self.statement_html  # a fragment with its own scoped CSS
        self._say(f"showing {number}" + (" (the first of the selected invoices)" if len(chosen) > 1 else ""))

    def delete_selected(self, _button: object = None) -> None:
        if self.read_only:
            return self._refuse("deleting invoices")
        numbers = [n for n in self.selected_drafts if n in self.drafts]
        if not numbers:
            return self._say("select one or more draft invoices to delete", error=True)
        try:
            deleted = delete_drafts(self.ws, numbers)
        except (InvoiceStateError, InvoiceNotFound) as exc:
            return self._say(f"nothing deleted: {exc}", error=True)
        for number in deleted:
            del self.drafts[number]
        if self.viewed in deleted:
            self.statement_html, self.viewed, self.statement.value = "", None, ""
        self._show_drafts()
        self._say(f"deleted: {', '.join(deleted)} (their periods can be generated again)")

    def finish(self, _button: object = None) -> None:
        """Back to the report, recomputed (generated customers now show their period as billed)."""
        self.page = "report"
        self.preview_page.layout.display, self.report_page.layout.display = HIDDEN, SHOWN
        self.statement_html, self.viewed, self.statement.value = "", None, ""
        self.refresh()


def build_billing_app(ws: Workspace, *, read_only: bool = False, today: dt.date | None = None) -> BillingApp:
    return BillingApp(ws, read_only=read_only, today=today)
