"""Drive the dashboards in a real browser: `workbench serve` in a child process + Debian's chromium.

Shared by `tests/browser/` and `bench/dashboard.py`:

    with serve_workspace(path, today="2025-11-25", notebook="all") as served, chromium() as browser:
        page = browser.new_page(accept_downloads=True)
        billing = BillingPage(page).open(served.url("billing"))
        billing.choose_vendor("aws"); billing.choose_range("Last month", expect_label="2025-10")
        ...

Rules that keep this robust on a loaded machine:
- only Debian's chromium (`executable_path`), never a Playwright browser download;
- every wait is for a visible condition (a heading, a row count, a message), never a fixed time;
  Voila runs the notebook before the widgets appear, so timeouts are generous;
- Voila's output goes to a log file, not a pipe nobody reads (a full pipe blocks Voila);
- `ServedWorkspace.stop()` sends SIGINT (what Ctrl-C does: `workbench serve` stops Voila, which
  shuts its kernels down, and the kernels close their PDF printer's chromium), then waits for
  every process of the tree it saw (kernels, the printer's chromium) and kills and reports any
  survivor, so a caller can assert that nothing was left behind.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from workbench.billing.core.usage import Vendor
from workbench.serve import NOTEBOOKS

__all__ = [
    "CHROMIUM_ARGS",
    "BillingPage",
    "InvoicesPage",
    "ServedWorkspace",
    "Steps",
    "chromium",
    "find_chromium",
    "serve_workspace",
]

HOST = "127.0.0.1"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-quic", "--no-first-run",
]
PAGE_TIMEOUT_MS = 120_000  # a cold Voila page: kernel start + imports + the notebook, on a busy machine
ACTION_TIMEOUT_MS = 60_000  # one callback (generate, print a PDF) plus the widget messages


def find_chromium() -> str | None:
    """Debian's chromium (or `$WORKBENCH_CHROMIUM`); None when there is none."""
    for candidate in (os.environ.get("WORKBENCH_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@contextmanager
def chromium(*, headless: bool = True) -> Iterator[Any]:
    """A Playwright Browser on Debian's chromium, closed (with Playwright's driver) on exit."""
    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    if executable is None:
        raise RuntimeError("no chromium: run `bash scripts/install-system-deps.sh` (Debian package chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=headless)
        try:
            yield browser
        finally:
            browser.close()


# --- the server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class ServedWorkspace:
    process: subprocess.Popen[bytes]
    port: int
    urls: dict[str, str]
    log_path: Path
    started: float = field(default_factory=time.monotonic)
    leftovers: list[str] = field(default_factory=list)  # processes that outlived stop() (then killed)

    def url(self, which: str) -> str:
        return self.urls[which]

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def wait_ready(self, timeout: float = 120.0) -> float:
        """Seconds until the port accepted a connection; raises with the log if Voila died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"workbench serve exited with {self.process.returncode}:\n{self.log()[-4000:]}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return time.monotonic() - self.started
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nothing listens on {HOST}:{self.port} after {timeout:.0f} s:\n{self.log()[-4000:]}")

    def preheated(self) -> int:
        """Kernels that have run their notebook ahead and now wait for a visitor: the notebooks'
        last cell (`catch_up_when_visited`) holds a websocket to Voila's port until a request."""
        waiting = 0
        for proc in self.tree():
            try:
                if "ipykernel" in " ".join(proc.cmdline()) and any(
                        c.raddr and c.raddr.port == self.port and c.status == psutil.CONN_ESTABLISHED
                        for c in proc.net_connections("tcp")):
                    waiting += 1
            except psutil.Error:
                pass
        return waiting

    def wait_preheated(self, kernels: int = 1, timeout: float = 180.0) -> float:
        """Seconds until `kernels` preheated kernels wait for a visitor; raises with the log."""
        deadline = time.monotonic() + timeout
        start = time.monotonic()
        while self.preheated() < kernels:
            if self.process.poll() is not None:
                raise RuntimeError(f"workbench serve exited with {self.process.returncode}:\n{self.log()[-4000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{kernels} preheated kernel(s) not ready after {timeout:.0f} s:\n{self.log()[-4000:]}")
            time.sleep(0.1)
        return time.monotonic() - start

    def tree(self) -> list[psutil.Process]:
        try:
            return [psutil.Process(self.process.pid), *psutil.Process(self.process.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def stop(self, timeout: float = 30.0) -> int:
        """Ctrl-C the server; wait for it and for every process it had started. Returns its exit code."""
        procs = self.tree()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.leftovers.append(f"workbench serve {self.process.pid} ignored SIGINT for {timeout:.0f} s")
                self.process.kill()
                self.process.wait()
        _gone, alive = psutil.wait_procs([p for p in procs if p.pid != self.process.pid], timeout=15)
        for proc in alive:
            try:
                self.leftovers.append(f"{proc.pid} {' '.join(proc.cmdline())[:160]}")
                proc.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(alive, timeout=5)
        return int(self.process.returncode)

    def __enter__(self) -> ServedWorkspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_workspace(
    workspace: Path, *, today: str, notebook: str = "billing", read_only: bool = False, preheat: bool = True,
    port: int | None = None, log_path: Path | None = None, wait: bool = True,
) -> ServedWorkspace:
    """`workbench serve WORKSPACE --port N --no-browser --today ... --notebook ... [--no-preheat]` in a
    child process (preheat is `workbench serve`'s default, as here)."""
    for attempt in range(3):  # a free port can be taken between free_port() and Voila's bind
        served = _start(workspace, today=today, notebook=notebook, read_only=read_only, preheat=preheat,
                        port=port or free_port(), log_path=log_path)
        if not wait:
            return served
        try:
            served.wait_ready()
            return served
        except BaseException:
            served.stop()
            if port is None and attempt < 2 and "already in use" in served.log():
                continue
            raise
    raise AssertionError("unreachable")


def _start(workspace: Path, *, today: str, notebook: str, read_only: bool, preheat: bool, port: int,
           log_path: Path | None) -> ServedWorkspace:
    log_path = log_path or Path(workspace).parent / f"serve-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "workbench.serve", str(workspace), "--port", str(port), "--no-browser",
               "--today", today, "--notebook", notebook]
    if read_only:
        command.append("--read-only")
    command.append("--preheat" if preheat else "--no-preheat")
    base = f"http://{HOST}:{port}"
    if notebook == "all":
        urls = {name: f"{base}/voila/render/{file}" for name, file in NOTEBOOKS.items()}
    else:
        urls = {notebook: f"{base}/"}
    with open(log_path, "wb") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return ServedWorkspace(process, port, urls, log_path)


# --- screenshots --------------------------------------------------------------------------------


class Steps:
    """Numbered full-page screenshots: `01-billing-page.png`, `02-...` in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True)
        self.number = 0
        self.files: list[Path] = []

    def shot(self, page: Any, name: str) -> Path:
        self.number += 1
        path = self.folder / f"{self.number:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.png"
        page.screenshot(path=str(path), full_page=True)
        self.files.append(path)
        return path


# --- the pages ----------------------------------------------------------------------------------

ROW_CELLS_JS = "rows => rows.map(r => Array.from(r.querySelectorAll(':scope > td.wb-cell')).map(c => c.textContent.trim()))"


class BillingPage:
    """The billing reports dashboard (`workbench/dashboards/billing_app.py`) seen from the browser.

    A table is one widget (`workbench/dashboards/table.py`): data rows are `tr.wb-row` (the header
    row is `tr.wb-head`), their cells `td.wb-cell`; customer checkboxes carry
    `title=<customer ID>`, draft checkboxes `title=<invoice number>`."""

    def __init__(self, page: Any) -> None:
        from playwright.sync_api import expect

        self.page = page
        self.expect = expect
        page.set_default_timeout(ACTION_TIMEOUT_MS)
        expect.set_options(timeout=ACTION_TIMEOUT_MS)  # expect's own default is 5 s

    # locators
    @property
    def report_title(self) -> Any:
        return self.page.locator("h3", has_text="Billing Customers Report")

    @property
    def preview_heading(self) -> Any:
        return self.page.get_by_text("Preview Generated Billing Statements")

    @property
    def generate_button(self) -> Any:
        return self.page.get_by_role("button", name="Generate invoices")

    @property
    def message(self) -> Any:
        return self.page.locator(".wb-message")

    def checkbox(self, title: str) -> Any:
        return self.page.locator(f'input[type="checkbox"][title="{title}"]')

    def visible_rows(self) -> Any:
        """Data rows (not headers) of the table on the page shown now."""
        return self.page.locator("tr.wb-row:visible")

    def button(self, name: str) -> Any:
        return self.page.get_by_role("button", name=name, exact=True)

    # actions
    def open(self, url: str) -> BillingPage:
        self.page.goto(url, timeout=PAGE_TIMEOUT_MS)
        self.expect(self.page.locator("h2", has_text="Billing reports")).to_be_visible(timeout=PAGE_TIMEOUT_MS)
        self.expect(self.page.get_by_label("Vendor")).to_be_visible(timeout=PAGE_TIMEOUT_MS)
        return self

    def choose_vendor(self, vendor: str) -> None:
        """Pick `vendor` (the code, "gcp") by the name the page shows ("Google Cloud")."""
        shown = Vendor.display_name_of(vendor)
        self.page.get_by_label("Vendor").select_option(label=shown)
        self.expect(self.report_title).to_contain_text(f"{shown} Billing Customers Report")

    def choose_range(self, kind: str, *, expect_label: str) -> None:
        """Pick a "Date range" kind and wait until the report is recomputed for `expect_label`."""
        self.page.get_by_label("Date range").select_option(kind)
        self.expect(self.report_title).to_contain_text(expect_label)

    def rows(self) -> list[list[str]]:
        return self.visible_rows().evaluate_all(ROW_CELLS_JS)

    def wait_rows(self, count: int, timeout: float = ACTION_TIMEOUT_MS) -> None:
        self.expect(self.visible_rows()).to_have_count(count, timeout=timeout)

    def check(self, titles: Sequence[str]) -> None:
        for title in titles:
            box = self.checkbox(title)
            box.check()
            self.expect(box).to_be_checked()

    def generate(self, drafts: int) -> None:
        """Click Generate invoices and wait for the preview page with `drafts` rows."""
        self.generate_button.click()
        self.expect(self.preview_heading).to_be_visible()
        self.wait_rows(drafts)

    def draft_rows(self) -> dict[str, list[str]]:
        """Invoice number -> cells (Invoice, Customer, Period, Status, Total, Note) of the preview."""
        return {cells[0]: cells for cells in self.rows()}

    def wait_status(self, number: str, status: str) -> None:
        row = self.page.locator("tr.wb-row:visible", has_text=number)
        self.expect(row).to_contain_text(status)


class InvoicesPage:
    """The customer invoices dashboard (`workbench/dashboards/invoices_app.py`).

    The invoice list is one widget (`div.wb-pick-table`): rows `tr.wb-row[data-key=<number>]`,
    cells `td.wb-cell` (Number, Customer, Vendor, Period, Status, Total, Due date); a click on a row
    (or Enter on it) opens the invoice, and marks the row `.wb-selected`."""

    def __init__(self, page: Any) -> None:
        from playwright.sync_api import expect

        self.page = page
        self.expect = expect
        page.set_default_timeout(ACTION_TIMEOUT_MS)
        expect.set_options(timeout=ACTION_TIMEOUT_MS)  # expect's own default is 5 s

    @property
    def invoice_list(self) -> Any:
        return self.page.locator(".wb-pick-table")

    def row(self, number: str) -> Any:
        return self.invoice_list.locator(f'tr.wb-row[data-key="{number}"]')

    def open(self, url: str) -> InvoicesPage:
        self.page.goto(url, timeout=PAGE_TIMEOUT_MS)
        self.expect(self.page.locator("h2", has_text="Customer invoices")).to_be_visible(timeout=PAGE_TIMEOUT_MS)
        self.expect(self.page.get_by_text(re.compile(r"^\d+ invoice\(s\)$"))).to_be_visible(timeout=PAGE_TIMEOUT_MS)
        return self

    def listed(self) -> list[str]:
        """The listed invoice numbers, in the table's order."""
        return self.invoice_list.locator("tr.wb-row").evaluate_all("rs => rs.map(r => r.dataset.key)")

    def rows(self) -> list[list[str]]:
        return self.invoice_list.locator("tr.wb-row").evaluate_all(ROW_CELLS_JS)

    def select(self, number: str, *, keyboard: bool = False) -> None:
        """Click the invoice's row (or focus it and press Enter) and wait for the invoice to open."""
        row = self.row(number)
        self.expect(row).to_have_count(1)
        if keyboard:
            row.focus()
            row.press("Enter")
        else:
            row.click()
        self.expect(row).to_have_class(re.compile(r"\bwb-selected\b"))
        self.expect(self.page.locator("h3", has_text=number)).to_be_visible()

    def download(self, button: str, suffix: str, folder: Path) -> Path:
        """Click a download button ("PDF", "Customer CSV", ...): the browser downloads the file
        (its name ends with `suffix`) on that one click, and a link to save it again appears.
        Saves the download into `folder`."""
        with self.page.expect_download() as info:
            self.page.get_by_role("button", name=button).click()
        self.expect(self.page.locator(f'a.wb-download[download$="{suffix}"]')).to_be_visible()
        download = info.value
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / download.suggested_filename
        download.save_as(str(path))
        return path
