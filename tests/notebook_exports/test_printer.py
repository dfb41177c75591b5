"""One browser serves many prints, and a dead browser is replaced."""

from __future__ import annotations

import os
import signal

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from workbench.nbexport import Printer, StatementHTMLExporter

from .statements import statement_notebook


def statement_html(customer: str) -> str:
    html, _ = StatementHTMLExporter().from_notebook_node(statement_notebook(customer=customer))
    return html


def test_one_browser_process_prints_many_statements(printer: Printer) -> None:
    pids = set()
    for i in range(5):
        assert printer.print_pdf(statement_html(f"Customer {i}")).startswith(b"%PDF-")
        pids.add(printer.browser_pid())

    assert len(pids) == 1 and None not in pids
    assert printer.launches == 1


def test_a_killed_browser_is_restarted(printer: Printer) -> None:
    html = statement_html("Acme Widgets GmbH")
    printer.print_pdf(html)
    first = printer.browser_pid()
    assert first is not None

    os.kill(first, signal.SIGKILL)  # the browser this test's printer launched

    assert printer.print_pdf(html).startswith(b"%PDF-")
    second = printer.browser_pid()
    assert second is not None and second != first
    assert printer.launches == 2


def test_close_stops_the_browser_and_a_later_print_starts_one(printer: Printer) -> None:
    html = statement_html("Acme Widgets GmbH")
    printer.print_pdf(html)
    printer.close()

    assert printer.browser_pid() is None
    assert printer.print_pdf(html).startswith(b"%PDF-")
    assert printer.launches == 2


def test_a_missing_chromium_is_named(tmp_path: object) -> None:
    from workbench.nbexport import ChromiumNotFound

    with pytest.raises(ChromiumNotFound, match="not an executable"):
        Printer("/nonexistent/chromium").print_pdf("<p>x</p>")


def test_a_page_that_never_loads_times_out_and_the_printer_recovers(chromium: str) -> None:
    # Scripts are off by default; this printer turns them on to build a page that never loads.
    printer = Printer(chromium, timeout=2, javascript=True)
    try:
        with pytest.raises(PlaywrightTimeoutError):
            printer.print_pdf("<script>for (;;) {}</script>")
        assert printer.print_pdf(statement_html("Acme Widgets GmbH")).startswith(b"%PDF-")
    finally:
        printer.close()
