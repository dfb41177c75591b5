"""Print HTML to PDF with one long-lived headless Chromium per process.

Starting Chromium costs about as much as printing a statement, and a month-end batch prints
hundreds, so a `Printer` keeps one browser (and one offline, script-less browsing context) alive
and opens a fresh page per document.

Threading: Playwright's sync API refuses to run in a thread that has a running asyncio loop (a
Jupyter kernel has one) and its objects belong to the thread that made them. So every Playwright
call runs on the printer's own worker thread; `print_pdf` may be called from any thread, and
concurrent calls are printed one after another.

Lifecycle: the browser starts on the first print. If it died (crash, OOM kill), the next print
starts a new one, and a print that fails because the browser died under it is retried once on a
fresh browser. A print that exceeds `timeout` kills the browser so the worker gets free again.
`get_printer()` printers are closed by `atexit`; a forked child never touches its parent's
browser (it starts its own).
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import shutil
import signal
import threading
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

__all__ = [
    "CHROMIUM_ENV",
    "DEFAULT_CHROMIUM",
    "LAUNCH_ARGS",
    "DEFAULT_HEADER",
    "DEFAULT_FOOTER",
    "PageLayout",
    "PrinterError",
    "ChromiumNotFound",
    "PrintTimeout",
    "Printer",
    "find_chromium",
    "get_printer",
    "close_printers",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

CHROMIUM_ENV = "WORKBENCH_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
)

_GRACE_SECONDS = 10.0

_FONT = (
    "font-family: 'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', 'Noto Sans', "
    "'DejaVu Sans', sans-serif; font-size: 7.5pt; color: #5f6368; "
    "-webkit-print-color-adjust: exact;"
)
# Chromium fills the elements with these classes: title, date, url, pageNumber, totalPages.
DEFAULT_HEADER = (
    f'<div style="{_FONT} width: 100%; padding: 0 16mm; text-align: left;">'
    '<span class="title"></span></div>'
)
DEFAULT_FOOTER = (
    f'<div style="{_FONT} width: 100%; padding: 0 16mm; text-align: right;">'
    'Page <span class="pageNumber"></span> of <span class="totalPages"></span></div>'
)


class PrinterError(RuntimeError):
    """Base of the errors raised by `Printer`:

    PrinterError
    ├── ChromiumNotFound   no Chromium executable where we looked
    └── PrintTimeout       a print took longer than the printer's timeout
    Playwright's own `Error` passes through for content errors (bad HTML never is one).
    """


class ChromiumNotFound(PrinterError):
    """No Chromium executable; run scripts/install-system-deps.sh or set WORKBENCH_CHROMIUM."""


class PrintTimeout(PrinterError):
    """A print exceeded the timeout; the browser was killed and restarts on the next print."""


@dataclass(frozen=True, slots=True)
class PageLayout:
    """Paper, margins and the running header and footer of a printed statement."""

    paper: str = "A4"
    margin_top: str = "22mm"
    margin_right: str = "16mm"
    margin_bottom: str = "20mm"
    margin_left: str = "16mm"
    header_template: str = DEFAULT_HEADER
    footer_template: str = DEFAULT_FOOTER

    def pdf_options(self) -> dict[str, Any]:
        """Keyword arguments for Playwright's `page.pdf`."""
        return {
            "format": self.paper,
            "print_background": True,
            "prefer_css_page_size": False,
            "display_header_footer": True,
            "header_template": self.header_template,
            "footer_template": self.footer_template,
            "margin": {
                "top": self.margin_top,
                "right": self.margin_right,
                "bottom": self.margin_bottom,
                "left": self.margin_left,
            },
        }


def find_chromium(explicit: str | None = None) -> str:
    """The Chromium to launch: `explicit`, else $WORKBENCH_CHROMIUM, else /usr/bin/chromium
    (Debian's package), else `chromium` or `chromium-browser` on PATH."""
    wanted = explicit or os.environ.get(CHROMIUM_ENV)
    if wanted:
        path = Path(wanted).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        raise ChromiumNotFound(f"Chromium at {wanted!r} is not an executable file")
    if os.access(DEFAULT_CHROMIUM, os.X_OK):
        return DEFAULT_CHROMIUM
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumNotFound(
        f"no Chromium found ({DEFAULT_CHROMIUM}, PATH); install Debian's 'chromium' "
        f"(scripts/install-system-deps.sh) or set {CHROMIUM_ENV}"
    )


def _pid_alive(pid: int | None) -> bool:
    """True while `pid` runs (a zombie counts as dead)."""
    if pid is None:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no procfs: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in ("Z", "X")


class _Worker:
    """One daemon thread running submitted callables in order."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None]
        self._jobs = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fn, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except BaseException as exc:  # handed to the caller, which re-raises it
                future.set_exception(exc)

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        self._jobs.put((fn, future))
        return future

    def is_current(self) -> bool:
        return threading.current_thread() is self._thread

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float) -> None:
        self._jobs.put(None)
        if not self.is_current():
            self._thread.join(timeout)


class Printer:
    """Prints HTML documents to PDF with one reused headless Chromium.

    `print_pdf(html)` is the whole API for callers; `browser_pid()` and `launches` are there to
    observe the reuse (tests, diagnostics); `close()` stops the browser (it restarts on demand).
    """

    def __init__(
        self,
        executable: str | None = None,
        *,
        launch_args: Sequence[str] = LAUNCH_ARGS,
        timeout: float = 120.0,
        javascript: bool = False,
    ) -> None:
        self.executable = executable
        self.launch_args = tuple(launch_args)
        self.timeout = timeout
        self.javascript = javascript
        self.launches = 0
        self._lock = threading.Lock()
        self._owner_pid = os.getpid()
        self._worker: _Worker | None = None
        # Owned by the worker thread only:
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._context: BrowserContext | None = None
        self._page: Page | None = None
        self._browser_pid: int | None = None
        _all_printers.add(self)

    # ---- public, any thread -------------------------------------------------------------

    def print_pdf(self, html: str, layout: PageLayout | None = None) -> bytes:
        """The PDF of a self-contained HTML document (images inline; network is offline)."""
        chosen = layout or PageLayout()
        return self._call(lambda: self._print(html, chosen))

    def browser_pid(self) -> int | None:
        """Process id of the running browser, asked from the browser itself; None if none runs."""
        return self._call(self._live_pid)

    def close(self, timeout: float = 30.0) -> None:
        """Close the browser and stop the worker thread; a later print starts them again."""
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is None or self._owner_pid != os.getpid() or not worker.is_alive():
            return
        if worker.is_current():
            self._shutdown()
            worker.stop(timeout)
            return
        try:
            worker.submit(self._shutdown).result(timeout)
        except Exception:  # closing must not mask the caller's own error
            log.warning("closing the PDF browser failed", exc_info=True)
        worker.stop(timeout)

    # ---- thread hand-off ------------------------------------------------------------------

    def _current_worker(self) -> _Worker:
        with self._lock:
            if self._owner_pid != os.getpid():
                # Forked child: the browser and the driver pipe belong to the parent. Forget
                # them without closing them, and start afresh in this process.
                self._owner_pid = os.getpid()
                self._worker = None
                self._playwright = self._browser = self._context = self._page = None
                self._browser_pid = None
            if self._worker is None or not self._worker.is_alive():
                self._worker = _Worker(name=f"workbench-pdf-printer-{id(self):x}")
            return self._worker

    def _call(self, fn: Callable[[], T]) -> T:
        worker = self._current_worker()
        if worker.is_current():
            return fn()
        future = worker.submit(fn)
        try:
            # Playwright's own timeouts (self.timeout) fire first; this catches a hung pdf().
            return future.result(self.timeout + _GRACE_SECONDS)
        except TimeoutError:
            if future.done():  # the job itself raised a TimeoutError: not ours to handle
                raise
        # Stuck inside Chromium: kill the browser (ours: we launched it) so the worker
        # returns, and let the next print start a new one.
        self._kill_browser()
        try:
            future.result(10.0)
        except BaseException:
            pass
        raise PrintTimeout(
            f"printing took longer than {self.timeout + _GRACE_SECONDS:g} s; browser killed"
        )

    def _kill_browser(self) -> None:
        pid = self._browser_pid
        if pid is not None and _pid_alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    # ---- worker thread only ---------------------------------------------------------------

    def _print(self, html: str, layout: PageLayout) -> bytes:
        context = self._ensure_context()  # a browser that cannot start fails here, once
        try:
            return self._render(context, html, layout)
        except PlaywrightError:
            if self._browser_is_alive():
                raise
        log.warning("PDF browser died during a print; restarting it and retrying once")
        self._discard_browser()
        return self._render(self._ensure_context(), html, layout)

    def _render(self, context: BrowserContext, html: str, layout: PageLayout) -> bytes:
        # One page is reused: opening a page costs about a third of a print. set_content
        # replaces the whole document, and with scripts off nothing carries over.
        page = self._page
        if page is None or page.is_closed():
            page = self._page = context.new_page()
            page.set_default_timeout(self.timeout * 1000)
        try:
            page.set_content(html, wait_until="load")
            return page.pdf(**layout.pdf_options())
        except PlaywrightError:
            self._page = None  # a page in an unknown state is not reused
            try:
                page.close()
            except PlaywrightError:
                pass
            raise

    def _browser_is_alive(self) -> bool:
        return (
            self._browser is not None
            and self._browser.is_connected()
            and _pid_alive(self._browser_pid)
        )

    def _ensure_context(self) -> BrowserContext:
        if self._context is not None and self._browser_is_alive():
            return self._context
        self._discard_browser()
        executable = find_chromium(self.executable)
        if self._playwright is None:
            self._playwright = sync_playwright().start()
        try:
            browser = self._launch(self._playwright, executable)
        except PlaywrightError:
            # The Playwright driver itself may have died: restart it once.
            self._stop_playwright()
            self._playwright = sync_playwright().start()
            browser = self._launch(self._playwright, executable)
        self._browser = browser
        # offline: an output that links a web resource prints without it instead of waiting.
        self._context = browser.new_context(java_script_enabled=self.javascript, offline=True)
        self._browser_pid = self._query_pid(browser)
        self.launches += 1
        log.info("PDF browser started: %s pid %s", executable, self._browser_pid)
        return self._context

    def _launch(self, playwright: Playwright, executable: str) -> Browser:
        return playwright.chromium.launch(
            executable_path=executable,
            args=list(self.launch_args),
            handle_sigint=False,
            handle_sigterm=False,
            handle_sighup=False,
        )

    @staticmethod
    def _query_pid(browser: Browser) -> int | None:
        try:
            session = browser.new_browser_cdp_session()
            try:
                info = session.send("SystemInfo.getProcessInfo")
            finally:
                session.detach()
        except PlaywrightError:
            return None
        for process in info.get("processInfo", []):
            if process.get("type") == "browser":
                return int(process["id"])
        return None

    def _live_pid(self) -> int | None:
        if self._browser is None or not self._browser_is_alive():
            return None
        return self._query_pid(self._browser)

    def _discard_browser(self) -> None:
        browser, self._browser, self._context = self._browser, None, None
        self._page = None
        closed = browser is None
        if browser is not None:
            try:
                browser.close()
                closed = True
            except PlaywrightError:
                pass
        if not closed:
            self._kill_browser()  # a hung or half-dead browser may survive a failed close
        self._browser_pid = None

    def _stop_playwright(self) -> None:
        playwright, self._playwright = self._playwright, None
        if playwright is not None:
            try:
                playwright.stop()
            except Exception:  # the driver may already be gone
                log.debug("stopping Playwright failed", exc_info=True)

    def _shutdown(self) -> None:
        self._discard_browser()
        self._stop_playwright()


_all_printers: weakref.WeakSet[Printer] = weakref.WeakSet()
_printers: dict[str, Printer] = {}
_printers_lock = threading.Lock()


def get_printer(executable: str | None = None) -> Printer:
    """The process-wide printer for a Chromium executable (default: `find_chromium()`)."""
    key = find_chromium(executable)
    with _printers_lock:
        printer = _printers.get(key)
        if printer is None:
            printer = _printers[key] = Printer(key)
        return printer


def close_printers() -> None:
    """Close every printer made by `get_printer` (registered with `atexit`)."""
    with _printers_lock:
        printers = list(_printers.values())
        _printers.clear()
    for printer in printers:
        printer.close()


def _forget_printers_after_fork() -> None:
    # The child must not close or reuse the parent's browsers; Printer resets itself too.
    global _printers_lock
    _printers_lock = threading.Lock()
    _printers.clear()
    for printer in list(_all_printers):
        printer._lock = threading.Lock()  # a parent thread may have held it during fork


atexit.register(close_printers)
os.register_at_fork(after_in_child=_forget_printers_after_fork)
