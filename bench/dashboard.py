#!/usr/bin/env python
"""Benchmark: the billing dashboard of a big workspace, in a real browser (not a test).

    .venv/bin/python bench/dashboard.py                      # 500 customers (all vendors)
    .venv/bin/python bench/dashboard.py --customers 680      # ~500 of them on AWS
    .venv/bin/python bench/dashboard.py --workspace /tmp/ws500 --keep   # build once, reuse

What it measures (Debian chromium through Playwright, `workbench serve` in a child process):
  (a) navigation -> the AWS customer table visible with all its rows (target < 3 s), for a
      cold server (no preheat: Voila starts a kernel and runs the notebook for the visitor) and
      a warm one (`--preheat`: a kernel started and executed ahead, waited for);
  (a') Date range -> Last month -> the recomputed table visible;
  (b) 100 customers checked, Generate invoices -> the preview visible with 100 drafts (< 3 s).
Times are taken in the page (`performance.now()`, checked on every animation frame), from
navigation start or from the click. The same steps are timed in a fresh Python process without
a browser (what the kernel spends: imports, the engine's preview and generation, building the
widgets), so the table shows what dominates.

The server runs with `--today 2025-10-31`: "Month to date" (the dashboard's default range) is
then October, which has data, so (a) is literally navigation -> a full table; Last month is
September. Generation writes drafts, so each server gets its own copy of the workspace.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workbench.testing.browser import ServedWorkspace, chromium, serve_workspace

BUILD_TODAY = dt.date(2025, 11, 25)  # the demo data: usage for 2025-09 and 2025-10
SERVE_TODAY = "2025-10-31"
TARGET_S = 3.0
VENDOR = "aws"

KERNEL_SIDE = r"""
import datetime as dt, json, sys, time
t = time.perf_counter()
import workbench.dashboards as d
from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.periods import month_to_date
from workbench.billing.generate import preview_customers
from workbench.billing.store.workspace import open_workspace
out = {"import": time.perf_counter() - t}
path, today, vendor, k = sys.argv[1], dt.date.fromisoformat(sys.argv[2]), sys.argv[3], int(sys.argv[4])
t = time.perf_counter(); ws = open_workspace(path); out["open"] = time.perf_counter() - t
t = time.perf_counter()
preview_customers(ws, vendor, month_to_date(today), InvoiceOptions(), today=today)
out["preview_mtd"] = time.perf_counter() - t
t = time.perf_counter(); app = d.build_billing_app(ws, today=today); out["app_build"] = time.perf_counter() - t
app.vendor.value = vendor
out["rows_mtd"] = len(app.table.rows)
import ipywidgets as w
t = time.perf_counter()
states = {k: v.get_state() for k, v in list(w.Widget.widgets.items())}  # what a page's request_states gets
json.dumps(states, default=str)
out["widget_states"] = time.perf_counter() - t
out["widget_models"] = len(states)
rows = [(cid, app._customer_cells(app.previews[cid])) for cid in app.table.rows]
t = time.perf_counter(); app.table.set_rows(rows); out["table_widgets"] = time.perf_counter() - t
t = time.perf_counter(); app.range.kind.value = "Last month"; out["refresh_last_month"] = time.perf_counter() - t
out["title_last_month"] = app.title.value
out["rows_last_month"] = len(app.table.rows)
billable = [cid for cid, p in app.previews.items()
            if p.price is not None and not any(x.severity.name == "ERROR" for x in p.problems)]
out["billable"] = billable
app.select(billable[:k])
t = time.perf_counter(); app.generate(); out["generate_app"] = time.perf_counter() - t
out["drafts"] = len(app.drafts)
t = time.perf_counter(); app._show_drafts(); out["drafts_widgets"] = time.perf_counter() - t
print("JSON" + json.dumps(out))
"""

VISIBLE_ROWS_JS = "Array.from(document.querySelectorAll('.widget-gridbox .wb-row')).filter(r => r.offsetParent)"


def kernel_side(workspace: Path, k: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-kernel-") as tmp:
        copy = Path(tmp) / "ws"
        shutil.copytree(workspace, copy)  # generation writes drafts
        done = subprocess.run([sys.executable, "-c", KERNEL_SIDE, str(copy), SERVE_TODAY, VENDOR, str(k)],
                              capture_output=True, text=True, check=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("JSON"))
    return json.loads(line[4:])


def wait_preheated(served: ServedWorkspace, timeout: float = 180.0) -> float:
    """Seconds until the preheated kernel exists and has finished running the notebook: Voila logs
    the pool filled when the kernel has started; then the kernel's CPU time stops growing."""
    start = time.monotonic()
    deadline = start + timeout
    while "Kernel pool of" not in served.log():
        if time.monotonic() > deadline or served.process.poll() is not None:
            raise RuntimeError("the kernel pool was not filled:\n" + served.log()[-3000:])
        time.sleep(0.1)
    kernels = [p for p in served.tree() if "ipykernel" in " ".join(p.cmdline())]
    kernel = max(kernels, key=lambda p: p.create_time())
    quiet, last = 0, kernel.cpu_times()
    while quiet < 3:  # three quiet quarter-seconds in a row
        if time.monotonic() > deadline:
            raise RuntimeError("the preheated kernel never went idle")
        time.sleep(0.25)
        now = kernel.cpu_times()
        busy = (now.user + now.system) - (last.user + last.system)
        quiet, last = (quiet + 1 if busy < 0.02 else 0), now
    return time.monotonic() - start


def measure(browser, served: ServedWorkspace, kernel: dict, k: int) -> dict:
    """(a), (a') and (b) on one fresh page; times in seconds, measured in the page."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(180_000)
    out: dict[str, float] = {}
    try:
        wall = time.perf_counter()
        page.goto(served.url("billing"), wait_until="commit", timeout=180_000)
        n = kernel["rows_mtd"]
        page.wait_for_function(
            "n => { const h = Array.from(document.querySelectorAll('h2')).find(h => h.textContent.includes('Billing reports'));"
            " if (h && h.offsetParent) window.__firstAt ??= performance.now();"
            f" if ({VISIBLE_ROWS_JS}.length >= n) {{ window.__rowsAt ??= performance.now(); return true; }} "
            "return false; }", arg=n, polling="raf")
        out["wall_rows"] = time.perf_counter() - wall
        nav = page.evaluate(
            "() => { const e = performance.getEntriesByType('navigation')[0];"
            " return {ttfb: e.responseStart, html: e.responseEnd, dcl: e.domContentLoadedEventEnd, first: window.__firstAt, rows: window.__rowsAt}; }")
        out.update({f"a_{key}": value / 1000 for key, value in nav.items()})

        # (a') Last month: the old rows are marked so that only the recomputed table counts
        page.evaluate(f"() => {VISIBLE_ROWS_JS}.forEach(r => r.dataset.old = '1')")
        page.evaluate("() => { window.__t0 = performance.now(); }")
        page.get_by_label("Date range").select_option("Last month")
        label = re.sub(r"<[^>]+>|&middot;", " ", kernel["title_last_month"]).split()[-1]
        m = kernel["rows_last_month"]
        page.wait_for_function(
            "([m, label]) => { const t = Array.from(document.querySelectorAll('h3')).some(h => h.textContent.includes(label));"
            f" const fresh = {VISIBLE_ROWS_JS}.filter(r => !r.dataset.old).length;"
            " if (t && fresh >= m) { window.__t1 = performance.now(); return true; } return false; }",
            arg=[m, label], polling="raf")
        out["a2_last_month"] = page.evaluate("() => (window.__t1 - window.__t0) / 1000")

        # (b) check k customers in the page (each a checkbox click: one widget message), then Generate
        chosen = kernel["billable"][:k]
        page.evaluate("ids => ids.forEach(id => document.querySelector(`input[type=checkbox][title=\"${id}\"]`).click())", chosen)
        page.wait_for_function("ids => ids.every(id => document.querySelector(`input[title=\"${id}\"]`).checked)", arg=chosen)
        page.evaluate("""() => { window.__g = {};
            const b = Array.from(document.querySelectorAll('button')).find(b => b.textContent.includes('Generate invoices'));
            window.__g.click = performance.now(); b.click(); }""")
        page.wait_for_function(
            """k => { const g = window.__g, now = performance.now();
                const bar = document.querySelector('.widget-hprogress');
                if (!g.progress && bar && bar.offsetParent) g.progress = now;
                const h = Array.from(document.querySelectorAll('h3')).find(h => h.textContent.includes('Preview Generated'));
                if (!g.preview && h && h.offsetParent) g.preview = now;
                const n = """ + VISIBLE_ROWS_JS + """.filter(r => r.textContent.includes('Draft')).length;
                if (g.preview && n >= k) { g.drafts = now; return true; } return false; }""",
            arg=k, polling="raf")
        g = page.evaluate("() => window.__g")
        out["b_drafts"] = (g["drafts"] - g["click"]) / 1000
        out["b_progress"] = (g["progress"] - g["click"]) / 1000 if g.get("progress") else float("nan")
        out["b_preview"] = (g["preview"] - g["click"]) / 1000
        out["b_count"] = page.evaluate(f"() => {VISIBLE_ROWS_JS}.filter(r => r.textContent.includes('Draft')).length")
    finally:
        page.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--select", type=int, default=100)
    parser.add_argument("--workspace", type=Path, help="reuse (or build here) the workspace")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    results: list[tuple[str, str, str]] = []

    def row(measure_: str, seconds: float | str, target: str = "") -> None:
        shown = f"{seconds:.2f} s" if isinstance(seconds, float) else seconds
        results.append((measure_, shown, target))
        print(f"  {measure_}: {shown}", flush=True)

    try:
        workspace = args.workspace or tmp / "ws"
        if not (workspace / "workspace.json").is_file():
            from workbench.billing.demo.workspace import build_demo

            print(f"building a {args.customers}-customer demo workspace in {workspace} ...", flush=True)
            t = time.perf_counter()
            ws, _files = build_demo(workspace, today=BUILD_TODAY, customers=args.customers)
            ws.close()
            row(f"build_demo(customers={args.customers})", time.perf_counter() - t)

        print("kernel side (a fresh Python process, no browser) ...", flush=True)
        kernel = kernel_side(workspace, args.select)
        n, m, k = kernel["rows_mtd"], kernel["rows_last_month"], args.select
        row("kernel: import workbench.dashboards", kernel["import"])
        row(f"kernel: engine preview_customers, {n} customers", kernel["preview_mtd"])
        row(f"kernel: build_billing_app (preview + {2 * n} row widgets)", kernel["app_build"])
        row(f"kernel: the table's {2 * n} widgets alone", kernel["table_widgets"])
        row(f"kernel: serialize all {kernel['widget_models']} widget states (a page's first request)",
            kernel["widget_states"])
        row("kernel: Last month refresh (preview + widgets)", kernel["refresh_last_month"])
        row(f"kernel: Generate {k} (engine + progress + drafts table)", kernel["generate_app"])
        row(f"kernel: the drafts table's {2 * kernel['drafts']} widgets alone", kernel["drafts_widgets"])

        with chromium() as browser:
            for mode, preheat in (("cold", False), ("warm", True)):
                copy = tmp / f"ws-{mode}"
                shutil.copytree(workspace, copy)
                print(f"{mode} server{' (--preheat)' if preheat else ''} ...", flush=True)
                served = serve_workspace(copy, today=SERVE_TODAY, notebook="billing", preheat=preheat,
                                         log_path=tmp / f"voila-{mode}.log", wait=False)
                try:
                    row(f"{mode}: workbench serve -> port open", served.wait_ready(180))
                    if preheat:
                        row("warm: preheated kernel started and notebook run (waited for)", wait_preheated(served))
                    got = measure(browser, served, kernel, k)
                finally:
                    served.stop()
                    if served.leftovers:
                        print("left behind (killed):", served.leftovers, file=sys.stderr)
                row(f"({mode}) (a) navigation -> {n} rows visible", got["a_rows"], f"< {TARGET_S:.0f} s")
                row(f"({mode})     first byte of the page", got["a_ttfb"])
                row(f"({mode})     page HTML complete (Voila ran the notebook)", got["a_html"])
                row(f"({mode})     HTML complete -> first widget (the page title) visible", got["a_first"] - got["a_html"])
                row(f"({mode})     first widget -> all rows visible (widget views rendered)", got["a_rows"] - got["a_first"])
                row(f"({mode}) (a') Last month -> {m} rows visible", got["a2_last_month"])
                row(f"({mode}) (b) Generate -> {got['b_count']} drafts visible", got["b_drafts"], f"< {TARGET_S:.0f} s")
                row(f"({mode})     click -> progress bar shown", got["b_progress"])
                row(f"({mode})     click -> preview page shown", got["b_preview"])
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    width = max(len(r[0]) for r in results)
    print()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load} at the end; times measured in the page unless 'kernel:'")
    print(f"{'measure':<{width}} | {'measured':>9} | target")
    print(f"{'-' * width}-|-{'-' * 9}-|-------")
    for measure_, shown, target in results:
        print(f"{measure_:<{width}} | {shown:>9} | {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
