"""Customer invoices: the seed's "Customer Invoices" list and billing statement as a widget app.

    app = build_invoices_app(ws, read_only=False, today=dt.date(2025, 11, 25))
    display(app.widget)

All customers or one customer, a date range (All dates by default), a status filter -> the list
of invoices, a table (number, customer, vendor, period, status, total, due date, or "nothing due"
for 0.00 or a refund as in `workbench invoices list`: `core.lifecycle.due_label`; newest period
first) -> click a row (or Enter on it) to see it as the customer sees it. A filter change keeps
the open invoice open when it still matches, and closes it otherwise.

The list is ONE widget model (`table.PickTable`, beside the billing page's `CheckTable`): its rows
live in Python, only the chosen key comes back from the browser and is honoured only if it is a
listed invoice. In the page each row is `tr.wb-row[data-key=NUMBER]` (`tabindex=0`; Enter or Space
opens it, Up/Down move between rows), the open one `.wb-selected`. From there: change its status to one
of the statuses the lifecycle allows from where it is, for its total (one button per allowed target:
`core.lifecycle.allowed_targets`, so a Closed invoice of 0.00 has Void, a paid one none), see it in
another currency (rates stored for its first month; informational), and download it as the
customer CSV, the detailed CSV, Excel or PDF.

Two status changes ask first (`request_status` -> `pending` -> `confirm` / `cancel`): Void, which
cannot be undone (the page shows `billing.invoices.void_notice`: the invoice, its total, that it
stays void, that its credits come back and its period can be billed again; a Reason field for the
audit trail, as `invoices status --reason`), and Approve on a draft priced from preliminary usage
(what issuing it binds: `preliminary_warning(issued=False)`, the words of `issued_from_preliminary`,
which the page shows again in amber once it is issued, as the billing page does). The question
has "Void <number>" / "Approve <number>" and "Cancel" buttons; opening another invoice, another
status button, or a change of the invoice shown clears it. `change_status` does a change at once
(what the confirm click calls).

Several drafts at once (the month-end batch): whenever the list holds drafts (the status filter
on Draft, or any filter that lists some), a second table below it lists them with a checkbox
each (`table.CheckTable`, as the billing page's preview), Select all / Select none, and "Approve
selected (N)" / "Delete selected (N)". Approve issues the ticked drafts in ONE `approve` call and
says what came of each (now Open; nothing due, now Closed; and those approved or deleted
elsewhere since the list was read, named and left out, since `approve` is all or none); when
some are priced from preliminary usage it asks first (`bulk_pending`: their
`preliminary_warning(issued=False)` lines, "Approve N drafts" / "Cancel"). Delete always asks
first ("Delete N drafts: their periods are freed; this cannot be undone", one line a draft),
then calls `delete_drafts` once. Another tick, a filter change or a refresh clears the question;
the list is read again after either. A read-only page has no such table at all.

Writing callbacks check `read_only` themselves (a Voila viewer can click any button model), and
a read-only app reads through a workspace view whose sessions never commit. In read-only mode
downloads are written to a private temporary folder, never into the workspace.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import shutil
import tempfile
import weakref
from collections.abc import Sequence
from pathlib import Path

import ipywidgets as w
from sqlalchemy import select

from workbench.billing.core.lifecycle import NOTHING_DUE_LABEL, Status, allowed_targets, due_label, is_past_due
from workbench.billing.core.money import money_text
from workbench.billing.core.problems import Problem
from workbench.billing.core.usage import Vendor
from workbench.billing.exports.registry import UnknownFormat
from workbench.billing.exports.statement import StatementMismatch
from workbench.billing.invoices import (
    PRELIMINARY_FIX,
    InvoiceNotFound,
    InvoiceStateError,
    InvoiceSummary,
    approve,
    delete_drafts,
    issued_from_preliminary,
    list_invoices,
    preliminary_warning,
    refresh_past_due,
    set_status,
    void_notice,
)
from workbench.billing.store import models as m
from workbench.billing.store.workspace import Workspace

from .documents import DownloadUnavailable, download_formats, fx_choices, media_type, produce_download, statement_document
from .download import FileSender
from .notebook import stamp
from .ranges import ALL, RangeChooser
from .readonly import effective_status, read_only_view
from .table import CheckTable, PickTable
from .text import count, esc, money, warning_html

__all__ = ["DRAFT_COLUMNS", "INVOICE_COLUMNS", "STATUS_ACTIONS", "BulkPending", "InvoicesApp", "Pending",
           "build_invoices_app"]

HIDDEN, SHOWN = "none", ""
# the button a reseller clicks to move an invoice to each status
STATUS_ACTIONS: dict[Status, str] = {
    Status.OPEN: "Approve (Open)",
    Status.CLOSED: "Mark Closed (paid)",
    Status.PAST_DUE: "Mark Past Due",
    Status.VOID: "Void",
}

INVOICE_COLUMNS = ["Number", "Customer", "Vendor", "Period", "Status", "Total", "Due date"]
# Vendor: "Google Cloud" on one line at the table's 13 px (about 80 px of text; 60 wrapped it)
INVOICE_WIDTHS = [150, 230, 100, 70, 150, 130, 90]
INVOICE_NUMERIC = (5,)  # Total: right-aligned
# the drafts listed, ticked to approve or delete several at once (analyst only)
DRAFT_COLUMNS = ["Number", "Customer", "Period", "Total", "Note"]
DRAFT_WIDTHS = [150, 230, 70, 130, 150]

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Pending:
    """A status change the page asks to confirm before doing it: a void (it cannot be undone),
    or the approval of an invoice priced from preliminary usage (what issuing it binds)."""

    target: Status
    number: str
    lines: tuple[str, ...]  # what the change will do, a sentence a line (shown in amber)
    fix: str = ""

    @property
    def text(self) -> str:
        return "\n".join([*self.lines, *([f"fix: {self.fix}"] if self.fix else [])])


@dataclasses.dataclass(frozen=True)
class BulkPending:
    """Approving or deleting the ticked drafts, asked first: a deletion (it cannot be undone), or
    an approval that would issue drafts priced from preliminary usage."""

    action: str  # "approve" or "delete"
    numbers: tuple[str, ...]  # the drafts ticked when it was asked, in the list's order
    lines: tuple[str, ...]  # what it will do, a sentence a line (shown in amber)
    fix: str = ""

    @property
    def text(self) -> str:
        return "\n".join([*self.lines, *([f"fix: {self.fix}"] if self.fix else [])])


def _drafts(n: int) -> str:
    return count(n, "draft")


def _put_away(box: w.Box) -> None:
    """A question's box emptied and hidden, its widgets closed (their models leave the page)."""
    for child in box.children:
        for widget in getattr(child, "children", ()):
            widget.close()
        child.close()
    box.children = ()
    box.layout.display = HIDDEN


class InvoicesApp:
    def __init__(self, ws: Workspace, *, read_only: bool = False, today: dt.date | None = None) -> None:
        self.ws = read_only_view(ws) if read_only else ws
        self.read_only = read_only
        self._given_today = today
        self.today = today or dt.date.today()
        self.messages: list[str] = []
        self.invoices: list[InvoiceSummary] = []
        self.current: InvoiceSummary | None = None
        self.statement_html = ""
        self.files: dict[str, Path] = {}
        self.sent: dict[str, str] = {}  # format -> name of the file sent to the page
        self.status_buttons: dict[Status, w.Button] = {}
        self.pending: Pending | None = None  # the change the confirm step asks about
        self.confirm_buttons: dict[str, w.Button] = {}  # "confirm", "cancel": only while one is pending
        self.reason: w.Text | None = None  # the void's reason, for the audit trail (`set_status(reason=)`)
        self.bulk_pending: BulkPending | None = None  # approving / deleting the ticked drafts, asked first
        self.bulk_confirm_buttons: dict[str, w.Button] = {}  # "confirm", "cancel": only while one is pending
        self._quiet = False
        self._quiet_ticks = False
        self._quiet_pick = False
        if read_only:
            scratch = Path(tempfile.mkdtemp(prefix="workbench-downloads-"))
            weakref.finalize(self, shutil.rmtree, scratch, True)
            self.download_root = scratch
        else:
            self.download_root = ws.output_dir / "downloads"

        customers, months = self._choices()
        self.customer = w.Dropdown(options=[("All customers", "")] + customers, value="", description="Customer",
                                   layout=w.Layout(width="340px"))
        self.range = RangeChooser(self.today, months, allow_all=True, default=ALL)
        self.status = w.Dropdown(options=[("All statuses", "")] + [(s.label, s.value) for s in Status], value="",
                                 description="Status", layout=w.Layout(width="220px"))
        self.count = w.HTML()
        self.table = PickTable(INVOICE_COLUMNS, INVOICE_WIDTHS, numeric=INVOICE_NUMERIC)
        self.list = self.table  # the former Select's name: `value` is the open invoice's number
        self.heading = w.HTML()
        self.status_box = w.HBox()
        self.confirm_box = w.VBox(layout=w.Layout(display=HIDDEN))
        self.currency = w.Dropdown(options=[], description="Currency", layout=w.Layout(width="300px", display=HIDDEN))
        self.download_buttons = {fmt: w.Button(description=label) for label, fmt in download_formats().items()}
        self.downloads = FileSender()
        self.statement = w.HTML()
        self.message = w.HTML()
        self.detail = w.VBox([
            self.heading, w.HBox([self.status_box, self.currency]), self.confirm_box,
            w.HBox(list(self.download_buttons.values())), self.downloads, self.statement,
        ], layout=w.Layout(display=HIDDEN))
        # the drafts listed, with a checkbox each: approve or delete several at once (analyst only)
        self.drafts_table = CheckTable(DRAFT_COLUMNS, DRAFT_WIDTHS, numeric=(3,))
        self.drafts_table.widget.layout = w.Layout(max_height="300px", overflow="auto")
        self.drafts_heading = w.HTML()
        self.select_all_button = w.Button(description="Select all", layout=w.Layout(width="110px"))
        self.select_none_button = w.Button(description="Select none", layout=w.Layout(width="110px"))
        self.approve_selected_button = w.Button(description="Approve selected (0)", button_style="success",
                                                disabled=True, layout=w.Layout(width="200px"))
        self.delete_selected_button = w.Button(description="Delete selected (0)", button_style="danger",
                                               disabled=True, layout=w.Layout(width="200px"))
        self.bulk_confirm_box = w.VBox(layout=w.Layout(display=HIDDEN))
        self.drafts_box = w.VBox([
            self.drafts_heading,
            w.HBox([self.select_all_button, self.select_none_button, self.approve_selected_button,
                    self.delete_selected_button]),
            self.bulk_confirm_box, self.drafts_table.widget,
        ], layout=w.Layout(display=HIDDEN))
        mode = '<span style="color:#8a5a00">read-only view</span>' if read_only else ""
        self.widget = w.VBox([
            w.HTML(f"<h2>Customer invoices {mode}</h2>"), self.message,
            w.HBox([self.customer, self.status]), self.range.widget, self.count, self.table.widget,
            *([] if read_only else [self.drafts_box]), self.detail,
        ])

        for control in (self.customer, self.status):
            control.observe(lambda _change: self._filtered(), "value")
        self.range.observe(self._filtered)
        self.table.observe(self._picked, "value")
        self.currency.observe(lambda _change: self._render_statement(), "value")
        for fmt, button in self.download_buttons.items():
            button.on_click(lambda _b, fmt=fmt: self._download_clicked(fmt))
        self.drafts_table.on_check(self._ticked)
        self.select_all_button.on_click(lambda _b: self.drafts_table.check(None, True))
        self.select_none_button.on_click(lambda _b: self.drafts_table.check(None, False))
        self.approve_selected_button.on_click(lambda _b: self.approve_selected())
        self.delete_selected_button.on_click(lambda _b: self.delete_selected())

        if not read_only:
            overdue = refresh_past_due(self.ws, today=self.today)
            if overdue:
                self._say(f"past their due date, now Past Due: {', '.join(overdue)}")
        self.refresh()
        self.stamp = stamp(self.ws, self.today)

    def catch_up(self) -> bool:
        """Re-read the list if the day turned or the workspace changed (an audit event) since the
        app was built: a preheated page may have been computed hours before its visit."""
        now = stamp(self.ws, self._given_today or dt.date.today())
        if now == self.stamp:
            return False
        self.today = now.today
        if not self.read_only:
            overdue = refresh_past_due(self.ws, today=self.today)
            if overdue:
                self._say(f"past their due date, now Past Due: {', '.join(overdue)}")
        customers, months = self._choices()
        keep = self.customer.value if self.customer.value in {c for _label, c in customers} else ""
        self._quiet = True
        try:
            self.range.set_today(now.today)
            self.customer.options = [("All customers", "")] + customers
            self.customer.value = keep
            self.range.set_months(months)
        finally:
            self._quiet = False
        self.refresh()
        self.stamp = stamp(self.ws, self.today)  # Past Due changes above are events too
        return True

    def _choices(self) -> tuple[list[tuple[str, str]], list[str]]:
        with self.ws.session() as session:
            customers = [(f"{c.name} (#{c.customer_id})", c.customer_id)
                         for c in session.scalars(select(m.Customer).order_by(m.Customer.name, m.Customer.customer_id))]
            months = sorted({f"{start:%Y-%m}" for start in session.scalars(select(m.Invoice.period_start))}, reverse=True)
        return customers, months

    # The viewer changed a filter or opened another invoice: the last message was about what was
    # shown before, so it goes ("AWS-... is now Open" beside another invoice misleads).

    def _filtered(self) -> None:
        self.message.value = ""
        self.refresh()

    def _picked(self, change: dict) -> None:
        if not self._quiet_pick:  # the viewer's click, not the list redrawn after a change
            self.message.value = ""
            self.show(change["new"])

    def _say(self, text: str, *, error: bool = False, note: bool = False, warning: Sequence[Problem] = ()) -> None:
        """`text` in red (an error), grey (a note) or green; `warning`: what the change binds (the
        invoice an approval issued from preliminary usage), below it in amber as the billing page
        shows it. `messages` keeps every one, as plain text."""
        fix = warning[0].fix if len(warning) == 1 else PRELIMINARY_FIX if warning else ""  # several: said once
        lines = [p.message for p in warning]
        self.messages.append("\n".join([text, *lines, *([f"fix: {fix}"] if fix else [])]))
        colour = "#a61b1b" if error else "#555" if note else "#1b5e20"
        self.message.value = (f'<div class="wb-message" style="color:{colour}">{esc(text)}</div>'
                              + (warning_html(lines, fix) if warning else ""))

    # --- the list ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the invoices for the filters; keep the one shown if it still matches."""
        if self._quiet:
            return
        try:
            date_range = self.range.date_range()
        except ValueError as exc:
            return self._say(str(exc), error=True)
        # the status filter applies to the status as of `today` (an overdue Open invoice is Past Due,
        # stored so by the engine, or only shown so in a read-only view)
        wanted = Status(self.status.value) if self.status.value else None
        listed = list_invoices(self.ws, customer=self.customer.value or None, today=self.today,
                               start=date_range.start if date_range else None, end=date_range.end if date_range else None)
        self.invoices = [dataclasses.replace(inv, status=effective_status(inv, self.today).value) for inv in listed]
        if wanted is not None:
            self.invoices = [inv for inv in self.invoices if inv.status == wanted.value]
        self._list_drafts()
        keep = self.current
        numbers = [inv.number for inv in self.invoices]
        self.count.value = f"{len(numbers)} invoice(s)"
        still = next((inv for inv in self.invoices if keep is not None and inv.number == keep.number), None)
        self._quiet_pick = True  # the table's own change of pick must not open or close anything
        try:
            self.table.set_rows([(inv.number, self._cells(inv)) for inv in self.invoices],
                                selected=still.number if still else None, empty_text="no invoices match")
        finally:
            self._quiet_pick = False
        if still is None:
            self.show(None)
        elif still != keep:  # the same invoice, changed (status, total...): show it as it is now
            self.show(still.number)
        else:  # unchanged: it stays open as it is (currency choice, download links)
            self.current = still

    @staticmethod
    def _cells(inv: InvoiceSummary) -> list[str]:
        note = ' <span class="wb-note">(preliminary)</span>' if inv.preliminary else ""
        return [esc(inv.number), f"{esc(inv.customer_name)} (#{esc(inv.customer_id)})", esc(Vendor.display_name_of(inv.vendor)),
                esc(inv.period), esc(Status(inv.status).label) + note, f"{money(inv.total, inv.currency)} {esc(inv.currency)}",
                esc(due_label(inv.total, inv.due_date))]  # "nothing due" for 0.00 or a refund, as the CLI's list

    def select(self, number: str) -> None:
        """Open `number` as a click on its row does (an unlisted number closes the invoice shown)."""
        self.table.value = number

    # --- one invoice ---------------------------------------------------------------------------

    def show(self, number: str | None) -> None:
        if self._quiet_pick:
            return
        self.current = next((inv for inv in self.invoices if inv.number == number), None)
        self._forget_pending()  # it asked about the invoice shown before (or as it was)
        self.files, self.sent = {}, {}
        self.downloads.clear()
        if self.current is None:
            self.detail.layout.display = HIDDEN
            self.statement_html = self.statement.value = ""
            self._status_buttons(None)
            return
        inv = self.current
        self.heading.value = (f"<h3>{esc(inv.number)} &middot; {esc(inv.customer_name)} &middot; "
                              f"{esc(Status(inv.status).label)}</h3>")
        self._status_buttons(Status(inv.status))
        rates = fx_choices(self.ws, inv.number)
        self._quiet = True  # resetting the currency choice must not render twice
        try:
            self.currency.options = [(f"{inv.currency} (invoice)", "")] + [(f"{c} (at {r})", c) for c, r in rates.items()]
            self.currency.value = ""
        finally:
            self._quiet = False
        self.currency.layout.display = SHOWN if rates else HIDDEN
        self.detail.layout.display = SHOWN
        self._render_statement()

    def _render_statement(self) -> None:
        if self.current is None or self._quiet:
            return
        try:
            self.statement_html = statement_document(self.ws, self.current.number, self.currency.value or None)
        except (ValueError, InvoiceNotFound) as exc:
            self.statement_html = ""
            self._say(str(exc), error=True)
        self.statement.value = self.statement_html

    def _status_buttons(self, current: Status | None) -> None:
        for button in self.status_buttons.values():
            button.close()
        self.status_buttons = {}
        if current is not None and not self.read_only:
            # the lifecycle's targets for this invoice's total (a Closed invoice of 0.00 may be voided)
            targets = allowed_targets(current, self.current.total) if self.current else frozenset()
            for target in sorted(targets, key=lambda s: list(Status).index(s)):
                if target is Status.PAST_DUE and not (self.current and is_past_due(current, self.current.due_date, self.today, self.current.total)):
                    continue  # not before the due date; after it, listing makes it Past Due anyway
                button = w.Button(description=STATUS_ACTIONS.get(target, target.label), button_style="danger" if target is Status.VOID else "")
                button.on_click(lambda _b, target=target: self.request_status(target))
                self.status_buttons[target] = button
        self.status_box.children = list(self.status_buttons.values())

    # --- status changes: a button, a confirm step for what cannot be taken back -----------------

    def request_status(self, target: Status) -> None:
        """A status button's click. A void, and the approval of an invoice priced from preliminary
        usage, first say what they will do (`pending`, with "Void <number>" / "Approve <number>"
        and "Cancel"); the confirm click does it (`confirm`). Any other change is done at once."""
        if self.read_only:
            return self._refuse()
        self._forget_pending()
        inv = self.current
        if inv is None:
            return self._say("select an invoice first", error=True)
        target = Status(target)
        if target is Status.VOID:
            try:
                lines = void_notice(self.ws, inv.number)
            except InvoiceNotFound as exc:
                return self._say(f"status not changed: {exc}", error=True)
            return self._ask(Pending(target, inv.number, tuple(lines)), "Void")
        if target is Status.OPEN and inv.preliminary:
            warning = preliminary_warning(inv, issued=False)
            return self._ask(Pending(target, inv.number, (warning.message,), warning.fix), "Approve")
        self.change_status(target)

    def _ask(self, pending: Pending, verb: str) -> None:
        self.message.value = ""  # the last message was about something else
        self._forget_bulk()  # one question at a time
        self.pending = pending
        confirm = w.Button(description=f"{verb} {pending.number}", button_style="danger" if pending.target is Status.VOID else "warning")
        cancel = w.Button(description="Cancel")
        confirm.on_click(lambda _b: self.confirm())
        cancel.on_click(lambda _b: self.cancel())
        self.confirm_buttons = {"confirm": confirm, "cancel": cancel}
        notice = w.HTML(warning_html(pending.lines, pending.fix))
        children: list[w.Widget] = [notice]
        if pending.target is Status.VOID:  # why, for the audit trail, as `invoices status --reason`
            self.reason = w.Text(description="Reason", placeholder="why, for the audit trail (e.g. billed twice)",
                                 layout=w.Layout(width="480px"))
            children.append(self.reason)
        children.append(w.HBox([confirm, cancel]))
        self.confirm_box.children = children
        self.confirm_box.layout.display = SHOWN

    def confirm(self) -> None:
        """The confirm click: do the pending change, for the invoice it was asked about only."""
        if self.read_only:
            return self._refuse()
        pending, reason = self.pending, self.reason.value.strip() if self.reason else ""
        self._forget_pending()
        if pending is None or self.current is None or self.current.number != pending.number:
            return self._say("nothing to confirm: click the status button again", error=True)
        self.change_status(pending.target, reason=reason)

    def cancel(self) -> None:
        pending = self._forget_pending()
        if pending is not None and self.current is not None:
            self._say(f"cancelled: {pending.number} is still {Status(self.current.status).label}; nothing was changed",
                      note=True)

    def _forget_pending(self) -> Pending | None:
        pending, self.pending, self.reason = self.pending, None, None
        self.confirm_buttons = {}
        _put_away(self.confirm_box)
        return pending

    def _refuse(self, what: str = "changing an invoice's status") -> None:
        self._say(f"read-only view: {what} is not allowed here; nothing was changed", error=True)

    def change_status(self, target: Status, *, reason: str = "") -> None:
        """Move the shown invoice to `target` now (what a confirmed click does; `set_status`
        checks the lifecycle). `reason` goes to the audit trail."""
        if self.read_only:
            return self._refuse()
        self._forget_pending()
        if self.current is None:
            return self._say("select an invoice first", error=True)
        number = self.current.number
        try:
            [changed] = set_status(self.ws, [number], Status(target), today=self.today, reason=reason)
        except (InvoiceStateError, InvoiceNotFound, ValueError) as exc:
            return self._say(f"status not changed: {exc}", error=True)
        # an invoice issued with nothing due is Closed at once: the note says so, as the CLI does;
        # one issued from preliminary usage: what that binds, in amber, as the billing page says it
        self._say(f"{number} is now {Status(changed.status).label}" + (f" ({changed.note})" if changed.note else ""),
                  warning=issued_from_preliminary([changed]))
        self.refresh()

    # --- several drafts at once: tick them, Approve selected / Delete selected ---------------------

    def _list_drafts(self) -> None:
        """The drafts of the list, each with a checkbox (analyst only); those still listed stay ticked."""
        if self.read_only:
            return
        drafts = [inv for inv in self.invoices if inv.status == Status.DRAFT.value]
        keep = set(self.drafts_table.checked())
        self._forget_bulk()  # it asked about the list as it was
        self._quiet_ticks = True  # redrawing the rows is not the analyst's tick
        try:
            self.drafts_table.set_rows(
                [(inv.number, [esc(inv.number), f"{esc(inv.customer_name)} (#{esc(inv.customer_id)})", esc(inv.period),
                               f"{money(inv.total, inv.currency)} {esc(inv.currency)}",
                               "preliminary usage" if inv.preliminary else ""]) for inv in drafts],
                checked=keep, empty_text="no drafts listed")
        finally:
            self._quiet_ticks = False
        self.drafts_heading.value = (f"<b>{_drafts(len(drafts))} listed</b>: tick several to approve or delete them "
                                     "together" if drafts else "")
        self.drafts_box.layout.display = SHOWN if drafts else HIDDEN
        self._count_ticked()

    def _ticked(self) -> None:
        self._count_ticked()
        if not self._quiet_ticks:  # the analyst's tick: a question or a message about another selection goes
            if self._forget_bulk() is not None or self.message.value:
                self.message.value = ""

    def _count_ticked(self) -> None:
        n = len(self.drafts_table.checked())
        self.approve_selected_button.description = f"Approve selected ({n})"
        self.delete_selected_button.description = f"Delete selected ({n})"
        self.approve_selected_button.disabled = self.delete_selected_button.disabled = n == 0 or self.read_only

    @property
    def selected_drafts(self) -> list[str]:
        """The ticked drafts that are listed, in the list's order (whatever the browser sent)."""
        return self.drafts_table.checked()

    def approve_selected(self) -> None:
        """Approve the ticked drafts in one `approve` call. When some are priced from preliminary
        usage it asks first, naming them in the words of `preliminary_warning(issued=False)`."""
        if self.read_only:
            return self._refuse("approving invoices")
        self._forget_pending()
        self._forget_bulk()
        numbers = self.selected_drafts
        if not numbers:
            return self._say("select one or more drafts first (tick them, or Select all)", error=True)
        listed = {inv.number: inv for inv in self.invoices}
        warnings = [preliminary_warning(listed[n], issued=False) for n in numbers if listed[n].preliminary]
        if not warnings:
            return self._approve_now(numbers)
        k = len(warnings)
        of = "it is" if k == len(numbers) == 1 else f"{k} of them {'is' if k == 1 else 'are'}"
        lines = (f"approve {_drafts(len(numbers))}: {of} priced from preliminary usage", *(p.message for p in warnings))
        fix = warnings[0].fix if len(warnings) == 1 else PRELIMINARY_FIX
        self._ask_bulk(BulkPending("approve", tuple(numbers), lines, fix), f"Approve {_drafts(len(numbers))}")

    def delete_selected(self) -> None:
        """Delete the ticked drafts (`delete_drafts`, one call), asked first: it cannot be undone."""
        if self.read_only:
            return self._refuse("deleting invoices")
        self._forget_pending()
        self._forget_bulk()
        numbers = self.selected_drafts
        if not numbers:
            return self._say("select one or more drafts to delete (tick them, or Select all)", error=True)
        listed = {inv.number: inv for inv in self.invoices}
        n = len(numbers)
        lines = (f"Delete {_drafts(n)}: {'its period is' if n == 1 else 'their periods are'} freed; this cannot be undone",
                 *(f"{inv.number} ({inv.customer_name}, {inv.period}, {money_text(inv.total, inv.currency)} "
                   f"{inv.currency})" for inv in (listed[x] for x in numbers)))
        self._ask_bulk(BulkPending("delete", tuple(numbers), lines), f"Delete {_drafts(n)}")

    def _ask_bulk(self, pending: BulkPending, verb: str) -> None:
        self.message.value = ""
        self.bulk_pending = pending
        confirm = w.Button(description=verb, button_style="danger" if pending.action == "delete" else "warning",
                           layout=w.Layout(width="200px"))
        cancel = w.Button(description="Cancel")
        confirm.on_click(lambda _b: self.confirm_bulk())
        cancel.on_click(lambda _b: self.cancel_bulk())
        self.bulk_confirm_buttons = {"confirm": confirm, "cancel": cancel}
        self.bulk_confirm_box.children = [w.HTML(warning_html(pending.lines, pending.fix)), w.HBox([confirm, cancel])]
        self.bulk_confirm_box.layout.display = SHOWN

    def confirm_bulk(self) -> None:
        """The confirm click: approve or delete the drafts it asked about, if they are still the ticked ones."""
        if self.read_only:
            return self._refuse("changing invoices")
        pending = self._forget_bulk()
        if pending is None or list(pending.numbers) != self.selected_drafts:
            return self._say("nothing to confirm: click Approve selected or Delete selected again", error=True)
        if pending.action == "approve":
            self._approve_now(list(pending.numbers))
        else:
            self._delete_now(list(pending.numbers))

    def cancel_bulk(self) -> None:
        pending = self._forget_bulk()
        if pending is not None:
            done = "approved" if pending.action == "approve" else "deleted"
            self._say(f"cancelled: nothing was {done}; the drafts stay ticked", note=True)

    def _forget_bulk(self) -> BulkPending | None:
        pending, self.bulk_pending = self.bulk_pending, None
        self.bulk_confirm_buttons = {}
        _put_away(self.bulk_confirm_box)
        return pending

    def _still_drafts(self, numbers: Sequence[str]) -> tuple[list[str], list[str]]:
        """`numbers` read again (the CLI or another page may have approved or deleted some since the
        list was read; `approve` and `delete_drafts` are all or none): those still drafts, and a
        sentence for each of the others."""
        with self.ws.session() as session:
            now = dict(session.execute(select(m.Invoice.number, m.Invoice.status).where(m.Invoice.number.in_(numbers))).all())
        still = [n for n in numbers if now.get(n) == Status.DRAFT.value]
        others = [f"{n} was deleted elsewhere" if n not in now else f"{n} is {Status(now[n]).label} already"
                  for n in numbers if n not in still]
        return still, others

    def _approve_now(self, numbers: list[str]) -> None:
        self._say(f"approving {_drafts(len(numbers))}...", note=True)
        still, others = self._still_drafts(numbers)
        refused = f"not approved: {'; '.join(others)}" if others else ""
        if not still:
            self._say(f"nothing approved: {'; '.join(others)}", error=True)
            return self.refresh()
        try:
            done = approve(self.ws, still, today=self.today)
        except (InvoiceStateError, InvoiceNotFound, ValueError) as exc:  # changed between the reading and the write
            self._say(f"nothing approved: {exc}; the list shows the invoices as they are now", error=True)
            return self.refresh()
        opened = [s.number for s in done if s.status == Status.OPEN.value]
        closed = [s.number for s in done if s.status == Status.CLOSED.value]  # nothing due: closed at issue
        said = "; ".join([*([f"approved (now Open): {', '.join(opened)}"] if opened else []),
                          *([f"approved, {NOTHING_DUE_LABEL} (now Closed): {', '.join(closed)}"] if closed else []),
                          *([refused] if refused else [])])
        self._say(said, warning=issued_from_preliminary(done))
        self.refresh()

    def _delete_now(self, numbers: list[str]) -> None:
        self._say(f"deleting {_drafts(len(numbers))}...", note=True)
        still, others = self._still_drafts(numbers)
        if not still:
            self._say(f"nothing deleted: {'; '.join(others)}", error=True)
            return self.refresh()
        try:
            deleted = delete_drafts(self.ws, still)
        except (InvoiceStateError, InvoiceNotFound) as exc:
            self._say(f"nothing deleted: {exc}; the list shows the invoices as they are now", error=True)
            return self.refresh()
        self._say("; ".join([f"deleted: {', '.join(deleted)} (their periods can be generated again)",
                             *([f"not deleted: {'; '.join(others)}"] if others else [])]))
        self.refresh()

    def _download_clicked(self, fmt: str) -> None:
        """A button's click: whatever goes wrong is said on the page (a click that does nothing
        leaves a manager waiting), and logged with its traceback for whoever runs the server."""
        try:
            self.download(fmt)
        except Exception as exc:  # noqa: BLE001 - the page is the only place the viewer looks
            log.exception("download of %s as %s failed", self.current.number if self.current else "?", fmt)
            self._say(f"the {fmt} file could not be made: {type(exc).__name__}: {exc}", error=True)

    def download(self, fmt: str) -> Path | None:
        """Write the shown invoice as `fmt` and download it in the viewer's browser (a link stays
        to save it again); returns the file."""
        if self.current is None:
            self._say("select an invoice first", error=True)
            return None
        number = self.current.number
        try:
            path = produce_download(self.ws, number, fmt, self.download_root / number, may_render=not self.read_only)
        except (DownloadUnavailable, UnknownFormat, StatementMismatch, InvoiceNotFound) as exc:
            self._say(str(exc), error=True)
            return None
        self.files[fmt] = path
        try:
            self.downloads.send(fmt, path, media_type(path, fmt))
        except ValueError as exc:
            where = "" if self.read_only else f": it is at {path}"
            self._say(f"{exc}{where}", error=True)
            return path
        self.sent[fmt] = path.name
        return path


def build_invoices_app(ws: Workspace, *, read_only: bool = False, today: dt.date | None = None) -> InvoicesApp:
    return InvoicesApp(ws, read_only=read_only, today=today)
