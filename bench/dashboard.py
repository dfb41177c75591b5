#!/usr/bin/env python
"""Benchmark: the billing dashboard of a big workspace, in a real browser (not a test).

    .venv/bin/python bench/dashboard.py                      # 500 customers (all vendors)
    .venv/bin/python bench/dashboard.py --customers 680      # ~500 of them on AWS
    .venv/bin/python bench/dashboard.py --workspace /tmp/ws500 --keep   # build once, reuse

What it measures (Debian chromium through Playwright, `workbench serve` in a child process):
  (a) navigation -> the AWS customer table visible with all its rows (target < 3 s), for a
      cold server (`--no-preheat`: Voila starts a kernel and runs the notebook for the visitor)
      and a warm one (preheat, `workbench serve`'s default: a kernel that has already run the
      notebook and waits for the visitor, waited for);
  (a') Date range -> Last month -> the recomputed table visible;
  (b) 100 customers checked, Generate invoices -> the preview visible with 100 drafts (< 3 s).
Times are taken in the page (`performance.now()`, checked on every animation frame), from
navigation start or from the click. The same steps are timed in a fresh Python process without
a browser (what the kernel spends: imports, the engine's preview and generation, building the
widgets), so the table shows what dominates. Each table is one widget model
(`workbench/dashboards/table.py`); its rows are `tr.wb-row`, its checkboxes `input[title=ID]`.
The machine's 1-minute load average is printed beside every figure: other jobs inflate them.

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
from ipywidgets.widgets.widget import _instances
from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.periods import month_to_date
from workbench.billing.generate import preview_customers
from workbench.billing.store.workspace import open_workspace
out = {"import": time.perf_counter() - t}
path, today, vendor, k = sys.argv[1], dt.date.fromisoformat(sys.argv[2]), sys.argv[3], int(sys.argv[4])
t = time.perf_counter(); ws = open_workspace(path); out["open"] = time.perf_counter() - t
t = time.perf_counter()
preview_customers(ws, vendor, month_to_date(today), InvoiceOptions())
out["preview_mtd"] = time.perf_counter() - t
t = time.perf_counter(); app = d.build_billing_app(ws, today=today); out["app_build"] = time.perf_counter() - t
app.vendor.value = vendor
out["rows_mtd"] = len(app.table.rows)
t = time.perf_counter()
states = {k: v.get_state() for k, v in list(_instances.items())}  # what a page's request_states gets
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

VISIBLE_ROWS_JS = "Array.from(document.querySelectorAll('tr.wb-row')).filter(r => r.offsetParent)"


def kernel_side(workspace: Path, k: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-kernel-") as tmp:
        copy = Path(tmp) / "ws"
        shutil.copytree(workspace, copy)  # generation writes drafts
        done = subprocess.run([sys.executable, "-c", KERNEL_SIDE, str(copy), SERVE_TODAY, VENDOR, str(k)],
                              capture_output=True, text=True, check=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("JSON"))
    return json.loads(line[4:])


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

        # (b) check k customers in the page (each a checkbox click: one widget message), wait until the
        # kernel counted them ("k of m selected"), then Generate
        chosen = kernel["billable"][:k]
        page.evaluate("ids => ids.forEach(id => document.querySelector(`input[type=checkbox][title=\"${id}\"]`).click())", chosen)
        page.wait_for_function("ids => ids.every(id => document.querySelector(`input[title=\"${id}\"]`).checked)", arg=chosen)
        page.wait_for_function("t => Array.from(document.querySelectorAll('.wb-selection')).some(e => e.offsetParent && e.textContent.startsWith(t))",
                               arg=f"{k} of ")
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


def load1() -> float:
    return os.getloadavg()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=500, help="customers of the built workspace (all vendors) (default: %(default)s)")
    parser.add_argument("--select", type=int, default=100, help="customers picked for Generate (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=1, help="servers per mode (each on a fresh workspace copy) (default: %(default)s)")
    parser.add_argument("--workspace", type=Path, help="reuse (or build here) the workspace")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    results: list[tuple[str, str, str, float]] = []  # measure, shown, target, 1-minute load

    def row(measure_: str, seconds: float | str, target: float | None = None) -> None:
        shown = f"{seconds:.2f} s" if isinstance(seconds, float) else seconds
        verdict = ""
        if target is not None and isinstance(seconds, float):
            verdict = f"< {target:.0f} s: " + ("met" if seconds < target else "NOT met")
        results.append((measure_, shown, verdict, load1()))
        print(f"  {measure_}: {shown}  {verdict}  (load {load1():.1f})", flush=True)

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
        row(f"kernel: build_billing_app (preview + a {n}-row table widget)", kernel["app_build"])
        row(f"kernel: the {n}-row table widget alone", kernel["table_widgets"])
        row(f"kernel: serialize all {kernel['widget_models']} widget states (a page's first request)",
            kernel["widget_states"])
        row("kernel: Last month refresh (preview + table)", kernel["refresh_last_month"])
        row(f"kernel: Generate {k} (engine + progress + drafts table)", kernel["generate_app"])
        row(f"kernel: the {kernel['drafts']}-row drafts table alone", kernel["drafts_widgets"])

        with chromium() as browser:
            for round_ in range(1, args.rounds + 1):
                for mode, preheat in (("cold", False), ("warm", True)):
                    name = f"{mode}" if args.rounds == 1 else f"{mode} #{round_}"
                    copy = tmp / f"ws-{mode}-{round_}"
                    shutil.copytree(workspace, copy)  # generation writes drafts
                    print(f"{name} server ({'preheat' if preheat else '--no-preheat'}) ...", flush=True)
                    served = serve_workspace(copy, today=SERVE_TODAY, notebook="billing", preheat=preheat,
                                             log_path=tmp / f"voila-{mode}-{round_}.log", wait=False)
                    try:
                        row(f"{name}: workbench serve -> port open", served.wait_ready(180))
                        if preheat:
                            served.wait_preheated(1)
                            row(f"{name}: workbench serve -> preheated kernel has run the notebook (waited for)",
                                time.monotonic() - served.started)
                        got = measure(browser, served, kernel, k)
                    finally:
                        served.stop()
                        if served.leftovers:
                            print("left behind (killed):", served.leftovers, file=sys.stderr)
                    row(f"({name}) (a) navigation -> {n} rows visible", got["a_rows"], TARGET_S)
                    row(f"({name})     first byte of the page", got["a_ttfb"])
                    row(f"({name})     page HTML complete (Voila ran the notebook)", got["a_html"])
                    row(f"({name})     HTML complete -> first widget (the page title) visible", got["a_first"] - got["a_html"])
                    row(f"({name})     first widget -> all rows visible (widget views rendered)", got["a_rows"] - got["a_first"])
                    row(f"({name}) (a') Last month -> {m} rows visible", got["a2_last_month"])
                    row(f"({name}) (b) Generate -> {got['b_count']} drafts visible", got["b_drafts"], TARGET_S)
                    row(f"({name})     click -> progress bar shown", got["b_progress"])
                    row(f"({name})     click -> preview page shown", got["b_preview"])
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    width = max(len(r[0]) for r in results)
    print()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load} at the end; times measured in the page unless 'kernel:';")
    print("load: the 1-minute load average when the figure was taken")
    print(f"{'measure':<{width}} | {'measured':>9} | {'target':<16} | load")
    print(f"{'-' * width}-|-{'-' * 9}-|-{'-' * 16}-|-----")
    for measure_, shown, verdict, at in results:
        print(f"{measure_:<{width}} | {shown:>9} | {verdict:<16} | {at:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
