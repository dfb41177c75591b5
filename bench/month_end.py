"""Month-end at scale, part 2: every invoice's files. The naive loop against `workbench month-end`.

    .venv/bin/python bench/month_end.py                       # 500 customers, naive sample of 10
    .venv/bin/python bench/month_end.py --customers 100 --sample 5 --jobs 2 --keep /tmp/wb-bench

1. A workspace with N customers (bench/pricing.py's template: the customers own 4 accounts each
   round-robin) and an AWS CUR 2.0 of --rows rows for October 2025 imported; the drafts
   generated (timed, not part of the comparison).
2. (a) The naive loop, over the first K invoices (--sample; its per-invoice time is extrapolated
   to N, and the output says so): for each invoice the `papermill` command line, then
   `jupyter nbconvert --to statement-pdf`, one process after the other.
   (b) `workbench month-end DIR --period 2025-10 --jobs J` over all N invoices (the warm-kernel
   engine; --engine cold for the old path), as a command line, from a clean output folder.
   Every invoice's stage timings come back through $WORKBENCH_BATCH_TIMINGS and are averaged.
3. Checks: (b) wrote every invoice's files (manifest verified); (a)'s PDFs exist.

Both phases run in the same process tree, one after the other, on the same workspace.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PERIOD = "2025-10"
BIN = Path(sys.executable).parent
NOTEBOOK = ROOT / "notebooks" / "invoice.ipynb"


def _pricing_module():
    spec = importlib.util.spec_from_file_location("bench_pricing", ROOT / "bench" / "pricing.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_workspace(cache: Path, customers: int, rows: int) -> tuple[Path, dict[str, float]]:
    """A fresh workspace with usage imported and the drafts generated; phase timings."""
    import datetime as dt

    from workbench.batch.month_end import generate_period
    from workbench.billing.core.invoice import InvoiceOptions
    from workbench.billing.store.report_import import import_reports
    from workbench.billing.store.workspace import open_workspace

    pricing = _pricing_module()
    accounts = customers * 4
    started = time.perf_counter()
    template = pricing.workspace_template(cache, accounts, customers)
    cur = pricing.cur_file(cache, rows, accounts, "parquet")
    prepared = time.perf_counter()
    root = cache / f"month-end-{customers}"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(template, root)
    ws = open_workspace(root)
    today = dt.date(2025, 11, 20)
    outcome = import_reports(ws, [cur], today=today)
    imported = time.perf_counter()
    jobs, problems = generate_period(ws, PERIOD, options=InvoiceOptions(include_marketplace=True), today=today)
    generated = time.perf_counter()
    ws.close()
    errors = [str(p) for p in (*outcome.problems, *problems) if getattr(p.severity, "name", "") == "ERROR"]
    if errors:
        raise SystemExit("building the workspace failed:\n" + "\n".join(errors[:10]))
    return root, {"template": prepared - started, "import": imported - prepared, "generate": generated - imported,
                  "invoices": len(jobs)}


def invoice_numbers(root: Path) -> list[str]:
    from workbench.batch.month_end import _period_invoices
    from workbench.billing.store.workspace import open_workspace

    ws = open_workspace(root)
    try:
        return [j.number for j in _period_invoices(ws, PERIOD, ["aws"], None)]
    finally:
        ws.close()


def naive(root: Path, numbers: list[str], out: Path) -> list[float]:
    """papermill CLI, then jupyter nbconvert --to statement-pdf, per invoice; seconds of each."""
    out.mkdir(parents=True, exist_ok=True)
    seconds = []
    for number in numbers:
        started = time.perf_counter()
        executed = out / f"{number}.ipynb"
        subprocess.run([str(BIN / "papermill"), str(NOTEBOOK), str(executed), "-p", "workspace", str(root),
                        "-p", "invoice", number, "--no-progress-bar"], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        subprocess.run([str(BIN / "jupyter-nbconvert"), "--to", "statement-pdf", str(executed), "--output-dir",
                        str(out)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds.append(time.perf_counter() - started)
        if not (out / f"{number}.pdf").is_file():
            raise SystemExit(f"naive loop: no PDF for {number}")
    return seconds


def batch(root: Path, jobs: int, engine: str, timings: Path) -> float:
    shutil.rmtree(root / "output" / PERIOD, ignore_errors=True)
    timings.unlink(missing_ok=True)
    env = {**os.environ, "WORKBENCH_BATCH_TIMINGS": str(timings)}
    started = time.perf_counter()
    proc = subprocess.run([str(BIN / "workbench"), "month-end", str(root), "--period", PERIOD, "--jobs", str(jobs),
                           "--engine", engine, "--include-marketplace", "--today", "2025-11-20"],
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    elapsed = time.perf_counter() - started
    print(proc.stdout.strip().splitlines()[0] if proc.stdout.strip() else "(no output)")
    if proc.returncode != 0:
        raise SystemExit(f"workbench month-end failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=500, help="customers, one invoice each (default: %(default)s)")
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the generated AWS CUR (default: %(default)s)")
    parser.add_argument("--sample", type=int, default=10, help="invoices run through the naive loop (extrapolated) (default: %(default)s)")
    parser.add_argument("--jobs", type=int, default=2, help="month-end worker processes (default: %(default)s)")
    parser.add_argument("--engine", choices=["warm", "cold"], default="warm",
                        help="month-end's papermill engine: warm kernels from a pool, or a new kernel per invoice (default: %(default)s)")
    parser.add_argument("--keep", type=Path, help="cache folder (CUR, workspace template) kept between runs")
    args = parser.parse_args(argv)

    cache = args.keep or Path(tempfile.mkdtemp(prefix="wb-month-end-bench-"))
    cache.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} CPUs; cache {cache}", flush=True)
    root, build = build_workspace(cache, args.customers, args.rows)
    n = int(build["invoices"])
    print(f"workspace: {args.customers} customers, {args.rows:,} CUR rows; template {build['template']:.1f} s, "
          f"import {build['import']:.1f} s, {n} drafts generated in {build['generate']:.1f} s", flush=True)
    numbers = invoice_numbers(root)

    sample = numbers[: args.sample]
    naive_seconds = naive(root, sample, cache / "naive")
    naive_each = statistics.mean(naive_seconds)
    print(f"(a) naive loop (papermill CLI + jupyter nbconvert --to statement-pdf), {len(sample)} invoices: "
          f"{sum(naive_seconds):.1f} s, {naive_each:.2f} s per invoice "
          f"(median {statistics.median(naive_seconds):.2f}); extrapolated to {n}: {naive_each * n:.0f} s", flush=True)

    timings = cache / "timings.jsonl"
    total = batch(root, args.jobs, args.engine, timings)
    each = total / n
    print(f"(b) workbench month-end --jobs {args.jobs} --engine {args.engine}, {n} invoices: {total:.1f} s, "
          f"{each:.3f} s per invoice (wall clock, process start and draft check included)")
    print(f"throughput ratio (a)/(b): {naive_each / each:.1f}x;  target: >= 15x and <= 0.300 s per invoice")

    lines = [json.loads(line) for line in timings.read_text().splitlines() if line.strip()]
    stages = [k for k in lines[0] if k not in ("number", "pid")]
    per_worker_busy = sum(sum(line[k] for k in stages) for line in lines) / len(lines)
    print(f"per invoice inside a worker (mean of {len(lines)}, {len({l['pid'] for l in lines})} workers): "
          f"{per_worker_busy:.3f} s = " + ", ".join(f"{k} {statistics.mean(l[k] for l in lines):.3f}" for k in stages))
    print("  medians: " + ", ".join(f"{k} {statistics.median(l[k] for l in lines):.3f}" for k in stages))

    from workbench.batch import is_complete

    out = root / "output" / PERIOD
    incomplete = [num for num in numbers if not is_complete(out / num, num)]
    if incomplete:
        raise SystemExit(f"{len(incomplete)} invoices lack files, e.g. {incomplete[:3]}")
    print(f"checked: all {n} invoices have their files and manifests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
