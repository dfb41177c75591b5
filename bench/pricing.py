"""Month-end at scale, part 1: pricing. Import a large AWS CUR and generate every draft invoice,
timed against a bare DuckDB `GROUP BY account, product` sum over the same file.

    .venv/bin/python bench/pricing.py --rows 10000000 --format both --keep /tmp/wb-bench

The CUR 2.0 file is generated once with `workbench.billing.demo.write_aws_cur` and cached in the
--keep directory (with a workspace template: 500 customers owning the 2,000 linked accounts,
pricebook, support plan, taxes and FX rates, imported through `import_tables`). Every timed
phase runs in a child process of its own, so its peak RSS (the child's own VmHWM, read at its end:
`os.wait4`'s ru_maxrss would also count the parent's memory at the fork) is that phase's
alone; with --repeat N the phases alternate (bare, month end, bare, ...) so that the load of the
machine falls on both alike; `--compare DIR` adds the month end of another checkout's
`workbench` package (e.g. a git worktree of the previous commit), interleaved with this one's.
Each month-end run starts from a fresh copy of the template.

Besides the baseline the issue names, more figures in the same run:
- read: the same columns as the floor, decoded and folded into one row without grouping: what
  reading them costs at all (2x the bare baseline is less than this on the bench's file);
- the floor: ONE DuckDB GROUP BY over the file of the columns an invoice line is made of
  (account, period, currency, line type, product code, SKU, family, usage type, unit, billing
  entity, a zero-cost flag for free tier; description, quantity,
  cost, row and invoice-id counts, first and last usage start). Any exact pricing must read
  these columns once; the bare baseline reads three of them.
- days later: writing the day summary (the summary per usage day too) from the kept vendor file,
  which the import defers to the first custom range that cuts through a summary row or the first
  look at the explorer's daily chart.
- rows later: writing the canonical rows from the kept vendor file, which the import defers to
  the first detailed export (month end does it before rendering).

Correctness, checked on every run: the stored report's cost total equals the exact DuckDB
DECIMAL sum of the file's cost column, and the drafts' usage and marketplace lines add up
exactly to that sum without the vendor's tax rows (free-tier rows cost 0), row for row.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # the children import the package they are given (see --compare)
    from workbench.billing.demo import CurFormat
    from workbench.billing.store.workspace import Workspace

PERIOD = "2025-10"
SEED = 7
COST = "line_item_unblended_cost"
ACCOUNT, PRODUCT, LINE_TYPE = "line_item_usage_account_id", "line_item_product_code", "line_item_line_item_type"


# --- the child phases ---------------------------------------------------------------------------

def _scan(path: Path) -> str:
    """The file as a DuckDB relation, exact: the cost column read as DECIMAL, never DOUBLE."""
    quoted = "'" + str(path).replace("'", "''") + "'"
    if path.suffix == ".parquet":
        return f"read_parquet({quoted})"
    return f"read_csv({quoted}, header = true, types = {{'{COST}': 'DECIMAL(38,18)'}})"


def _timed(sql: str) -> tuple[list[tuple[Any, ...]], float]:
    """The rows of one query in a fresh DuckDB, and the seconds it took."""
    import duckdb

    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        start = time.perf_counter()
        rows = con.execute(sql).fetchall()
        return rows, time.perf_counter() - start


def child_group_by(path: Path) -> dict[str, Any]:
    """Phase (a): the bare DuckDB GROUP BY account, product sum over the vendor file."""
    rows, seconds = _timed(f"SELECT {ACCOUNT}, {PRODUCT}, sum(CAST({COST} AS DECIMAL(38,18))) AS cost, count(*) AS n "
                           f"FROM {_scan(path)} GROUP BY ALL")
    return {"seconds": seconds, "groups": len(rows), "rows": sum(r[3] for r in rows),
            "cost": str(sum((r[2] for r in rows), Decimal(0)))}


# The columns an invoice line is made of: its terms (grouped by) and what is added up per line.
LINE_TERMS = (ACCOUNT, "bill_billing_period_start_date", "line_item_currency_code", LINE_TYPE, PRODUCT, "product_sku",
              "product_product_family", "line_item_usage_type", "pricing_unit", "bill_billing_entity")
LINE_SUMS = ("min(line_item_line_item_description)", "sum(CAST(line_item_usage_amount AS DECIMAL(38,12)))",
             f"sum(CAST({COST} AS DECIMAL(38,18)))", "count(*)", "count(bill_invoice_id)",
             "min(line_item_usage_start_date)", "max(line_item_usage_start_date)")


def child_floor(path: Path) -> dict[str, Any]:
    """Phase (c): one GROUP BY of the invoice-line columns, read straight from the vendor file."""
    rows, seconds = _timed(f"SELECT {', '.join(LINE_TERMS)}, CAST({COST} AS DECIMAL(38,18)) = 0, {', '.join(LINE_SUMS)} "
                           f"FROM {_scan(path)} GROUP BY ALL")
    return {"seconds": seconds, "groups": len(rows)}


def child_read(path: Path) -> dict[str, Any]:
    """Phase (c'): the same columns read and folded into one row, no GROUP BY: what decoding them
    costs at all. Whatever exact pricing does, it cannot take less than this."""
    rows, seconds = _timed(f"SELECT {', '.join(f'max({c})' for c in LINE_TERMS)}, {', '.join(LINE_SUMS)} "
                           f"FROM {_scan(path)}")
    return {"seconds": seconds, "groups": len(rows)}


def child_days(workspace: Path) -> dict[str, Any]:
    """Phase (d): the day summary the import deferred, written from the kept file; its exact cost."""
    import duckdb

    from workbench.billing.store import usage_files
    from workbench.billing.store.usage_queries import current_reports
    from workbench.billing.store.workspace import open_workspace

    if not hasattr(usage_files, "day_summaries"):  # a --compare checkout from before them
        return {"seconds": None}
    day_summaries, sql_list = usage_files.day_summaries, usage_files.sql_list
    ws = open_workspace(workspace)
    with ws.session() as session:
        reports = current_reports(session, "aws", [PERIOD])
    start = time.perf_counter()
    days, rows = day_summaries(ws, reports)
    seconds = time.perf_counter() - start
    with duckdb.connect() as con:
        found = con.execute(f"SELECT sum(billed_cost), sum(row_count), count(*) FROM read_parquet({sql_list(days)})").fetchone()
    assert found is not None and not rows
    return {"seconds": seconds, "cost": str(found[0]), "rows": int(found[1]), "day_rows": int(found[2])}


def child_rows(workspace: Path) -> dict[str, Any]:
    """Phase (e): the canonical rows the import deferred, written from the kept file."""
    from workbench.billing.store.usage_queries import current_usage_files
    from workbench.billing.store.workspace import open_workspace

    ws = open_workspace(workspace)
    start = time.perf_counter()
    files = current_usage_files(ws, "aws", [PERIOD])
    return {"seconds": time.perf_counter() - start, "files": len(files)}


def child_month_end(workspace: Path, path: Path) -> dict[str, Any]:
    """Phase (b): `import_reports` then `generate_invoices` for every customer."""
    import datetime as dt

    from workbench.billing.core.invoice import InvoiceOptions
    from workbench.billing.core.periods import given_month
    from workbench.billing.core.problems import Severity
    from workbench.billing.generate import generate_invoices
    from workbench.billing.store.report_import import import_reports
    from workbench.billing.store.workspace import open_workspace

    ws = open_workspace(workspace)
    today = dt.date(2025, 12, 1)
    start = time.perf_counter()
    outcome = import_reports(ws, [path], today=today)
    imported = time.perf_counter()
    result = generate_invoices(ws, "aws", given_month(PERIOD), options=InvoiceOptions(include_marketplace=True),
                               today=today)
    generated = time.perf_counter()
    errors = [str(p) for p in (*outcome.problems, *result.problems) if p.severity is Severity.ERROR]
    return {"import": imported - start, "generate": generated - imported, "invoices": len(result.invoices),
            "rows": sum(f.row_count for f in outcome.files), "errors": errors[:5], **_billed(ws)}


def _billed(ws: Workspace) -> dict[str, Any]:
    """What was stored, summed exactly: the report's cost total and the drafts' vendor cost."""
    from sqlalchemy import select

    from workbench.billing.core.money import exact_sum
    from workbench.billing.store import models as m

    with ws.session() as session:
        reports = list(session.scalars(select(m.VendorReport)))
        lines = list(session.execute(select(m.InvoiceLine.vendor_cost, m.InvoiceLine.source_rows)
                                     .where(m.InvoiceLine.kind.in_(("usage", "marketplace")))))
    return {"report_cost": str(exact_sum(r.cost_total for r in reports)),
            "billed_cost": str(exact_sum(cost for cost, _ in lines)),
            "billed_rows": sum(n for _, n in lines)}


def child_truth(path: Path) -> dict[str, Any]:
    """The exact figures the month end must reproduce (not timed)."""
    import duckdb

    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        cost = f"CAST({COST} AS DECIMAL(38,18))"
        found = con.execute(
            f"SELECT sum({cost}), sum({cost}) FILTER (WHERE {LINE_TYPE} <> 'Tax'), count(*), "
            f"count(*) FILTER (WHERE {LINE_TYPE} <> 'Tax' AND {cost} <> 0) FROM {_scan(path)}").fetchone()
        assert found is not None
        total, billable, rows, billable_rows = found
    return {"cost": str(total), "billable_cost": str(billable), "rows": rows, "billable_rows_nonzero": billable_rows}


# --- the parent: data, workspace template, interleaved runs ---------------------------------------

def run_child(*args: str, code: Path | None = None) -> tuple[dict[str, Any], int]:
    """Run one phase in a child process; its JSON answer and its peak RSS in bytes. `code`: a
    directory holding another `workbench` package to import instead (PYTHONPATH comes first)."""
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(code), env.get("PYTHONPATH", "")) if p)
    done = subprocess.run([sys.executable, __file__, "--child", *args], stdout=subprocess.PIPE, env=env)
    if done.returncode != 0:
        raise SystemExit(f"child {args[0]} failed with exit code {done.returncode}")
    answer = json.loads(done.stdout)
    return answer, int(answer.pop("peak_rss"))


def _peak_rss() -> int:
    """This process's high-water resident set size, in bytes (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def cur_file(cache: Path, rows: int, accounts: int, fmt: CurFormat) -> Path:
    from workbench.billing.demo import write_aws_cur

    path = cache / f"cur2-{rows}-{accounts}-{PERIOD}.{fmt}"
    if not path.exists():
        print(f"writing {path.name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        tmp = path.with_name(".tmp-" + path.name)
        write_aws_cur(tmp, rows=rows, accounts=accounts, period=PERIOD, fmt=fmt, legacy=False,
                      seed=SEED)
        tmp.rename(path)
        print(f"  {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return path


def account_ids(accounts: int) -> list[str]:
    """The generator's linked accounts: they depend on the seed and count only, not on the rows."""
    import duckdb

    from workbench.billing.demo import write_aws_cur

    with tempfile.TemporaryDirectory() as tmp:
        small = write_aws_cur(Path(tmp) / "ids.parquet", rows=accounts, accounts=accounts, period=PERIOD,
                              fmt="parquet", legacy=False, seed=SEED)
        with duckdb.connect() as con:
            return [a for (a,) in con.execute(
                f"SELECT DISTINCT {ACCOUNT} FROM read_parquet('{small}') ORDER BY 1").fetchall()]


def workspace_template(cache: Path, accounts: int, customers: int) -> Path:
    """A workspace with `customers` customers owning the accounts round-robin, and no usage yet."""
    from workbench.billing.core.problems import Severity
    from workbench.billing.store.table_import import import_tables
    from workbench.billing.store.workspace import init_workspace

    root = cache / f"workspace-{accounts}-{customers}"
    if (root / "workspace.json").exists():
        return root
    ids = account_ids(accounts)
    currencies = ("USD", "CAD", "EUR")
    jurisdictions = ("CA-ON", "CA-QC", "US-NY", "DE")
    tables = {
        "reseller.csv": ["name,payment_terms_days", "Bench Reseller Inc.,30"],
        "customers.csv": ["customer_id,name,tax_jurisdiction"]
        + [f"C{c:05d},Customer {c},{jurisdictions[c % len(jurisdictions)]}" for c in range(customers)],
        "customer_vendors.csv": ["customer_id,vendor,pricebook,invoice_currency"]
        + [f"C{c:05d},aws,{'Partner' if c % 5 == 0 else 'Standard'},{currencies[c % 3]}" for c in range(customers)],
        "accounts.csv": ["customer_id,vendor,account_id,account_name"]
        + [f"C{i % customers:05d},aws,{a},Account {a}" for i, a in enumerate(ids)],
        "pricebooks.csv": [
            "pricebook,effective_from,vendor,scope,match,markup_percent",
            "Standard,2025-01,aws,default,,15", "Standard,2025-01,aws,service,AmazonEC2,12.5",
            "Standard,2025-01,aws,product_type,Storage,18", "Standard,2025-01,aws,sku,USE1-Requests-Tier1,-5",
            "Partner,2025-01,aws,default,,8",
        ],
        "support_plans.csv": ["pricebook,effective_from,vendor,percent,monthly_minimum",
                              "Standard,2025-01,aws,3,100", "Partner,2025-01,aws,2,0"],
        "tax_rates.csv": ["jurisdiction,tax_name,rate_percent,effective_from", "CA-ON,HST,13,2025-01",
                          "CA-QC,GST,5,2025-01", "CA-QC,QST,9.975,2025-01", "US-NY,Sales tax,8.875,2025-01",
                          "DE,USt,19,2025-01"],
        "fx_rates.csv": ["period,from_currency,to_currency,rate", f"{PERIOD},USD,CAD,1.3912",
                         f"{PERIOD},USD,EUR,0.9187"],
    }
    tmp = cache / f".tmp-workspace-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    ws = init_workspace(tmp, name="pricing bench")
    files = []
    for name, lines in tables.items():
        file = ws.imports_dir / name
        file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        files.append(file)
    _, problems = import_tables(ws, files)
    bad = [str(p) for p in problems if p.severity is Severity.ERROR]
    if bad:
        raise SystemExit("the workspace tables were refused:\n" + "\n".join(bad))
    ws.engine.dispose()
    tmp.rename(root)
    return root


def _fmt_bytes(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def bench_format(fmt: CurFormat, args: argparse.Namespace, cache: Path, template: Path) -> list[dict[str, Any]]:
    """One result per code (this checkout, then each --compare directory), runs interleaved."""
    path = cur_file(cache, args.rows, args.accounts, fmt)
    truth, _ = run_child("truth", str(path))
    codes: list[Path | None] = [None, *args.compare]
    bare: list[tuple[float, int]] = []
    floor: list[float] = []
    read: list[float] = []
    later: dict[int, list[float]] = {i: [] for i in range(len(codes))}
    days_later: dict[int, list[float]] = {i: [] for i in range(len(codes))}
    month_end: dict[int, list[tuple[dict[str, Any], int]]] = {i: [] for i in range(len(codes))}
    failures: dict[int, list[str]] = {i: [] for i in range(len(codes))}
    for repeat in range(args.repeat):
        answer, peak = run_child("group-by", str(path))
        bare.append((float(answer["seconds"]), peak))
        if Decimal(str(answer["cost"])) != Decimal(str(truth["cost"])):
            failures[0].append(f"bare group-by sum {answer['cost']} != {truth['cost']}")
        floor.append(float(run_child("floor", str(path))[0]["seconds"]))
        read.append(float(run_child("read", str(path))[0]["seconds"]))
        order = list(range(len(codes)))
        if repeat % 2:
            order.reverse()  # neither code always runs right after the bare query
        for i in order:
            work = cache / f"run-{fmt}-{os.getpid()}-{repeat}-{i}"
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(template, work)
            try:
                answer, peak = run_child("month-end", str(work), str(path), code=codes[i])
                days, _ = run_child("days", str(work), code=codes[i])
                if days["seconds"] is not None:
                    days_later[i].append(float(days["seconds"]))
                later[i].append(float(run_child("rows", str(work), code=codes[i])[0]["seconds"]))
            finally:
                shutil.rmtree(work, ignore_errors=True)
            month_end[i].append((answer, peak))
            failures[i] += _check(answer, truth, args)
            if days["seconds"] is not None and (Decimal(str(days["cost"])), days["rows"]) != (
                    Decimal(str(truth["cost"])), truth["rows"]):
                failures[i].append(f"day summaries: {days['cost']} over {days['rows']} rows, "
                                   f"the file: {truth['cost']} over {truth['rows']}")
    bare_s = statistics.median(s for s, _ in bare)
    results = []
    for i, code in enumerate(codes):
        runs = month_end[i]
        results.append({
            "format": fmt, "code": "this checkout" if code is None else str(code), "rows": int(truth["rows"]),
            "bare": bare_s, "bare_peak": max(p for _, p in bare), "floor": statistics.median(floor),
            "read": statistics.median(read),
            "rows_later": statistics.median(later[i]), "days_later": statistics.median(days_later[i]) if days_later[i] else None,
            "import": statistics.median(float(a["import"]) for a, _ in runs),
            "generate": statistics.median(float(a["generate"]) for a, _ in runs),
            "total": statistics.median(float(a["import"]) + float(a["generate"]) for a, _ in runs),
            "peak": max(p for _, p in runs),
            "runs": [(round(s, 3), round(float(a["import"]), 3), round(float(a["generate"]), 3))
                     for (s, _), (a, _) in zip(bare, runs)],
            "exact": not failures[i], "failures": failures[i],
        })
    return results


def _check(answer: dict[str, Any], truth: dict[str, Any], args: argparse.Namespace) -> list[str]:
    failures = [str(e) for e in answer["errors"]]
    if Decimal(str(answer["report_cost"])) != Decimal(str(truth["cost"])):
        failures.append(f"stored report cost {answer['report_cost']} != file sum {truth['cost']}")
    if Decimal(str(answer["billed_cost"])) != Decimal(str(truth["billable_cost"])):
        failures.append(f"billed vendor cost {answer['billed_cost']} != file sum without tax {truth['billable_cost']}")
    if answer["rows"] != truth["rows"]:
        failures.append(f"imported {answer['rows']} rows, the file has {truth['rows']}")
    if answer["invoices"] != args.customers:
        failures.append(f"{answer['invoices']} invoices for {args.customers} customers")
    return failures


def print_table(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"\nAWS CUR 2.0, {args.rows:,} rows, {args.accounts:,} accounts, {args.customers} customers, one month "
          f"({args.repeat} run(s) each, interleaved, medians; peak = max RSS of the phase's process)\n")
    header = ("format", "code", "bare GROUP BY s", "read s", "floor s", "import s", "generate s", "month end s", "ratio",
              "ratio to floor", "rows/s (month end)", "rows/s (bare)", "peak RSS month end", "peak RSS bare",
              "days later s", "rows later s", "exact")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for r in results:
        rows = int(r["rows"])
        total, bare = float(r["total"]), float(r["bare"])
        floor = float(r["floor"])
        cells = (r["format"], r["code"], f"{bare:.2f}", f"{float(r['read']):.2f}", f"{floor:.2f}", f"{float(r['import']):.2f}",
                 f"{float(r['generate']):.2f}", f"{total:.2f}", f"{total / bare:.1f}x", f"{total / floor:.1f}x",
                 f"{rows / total:,.0f}", f"{rows / bare:,.0f}", _fmt_bytes(float(r["peak"])),
                 _fmt_bytes(float(r["bare_peak"])), "-" if r["days_later"] is None else f"{float(r['days_later']):.2f}", f"{float(r['rows_later']):.2f}",
                 "yes" if r["exact"] else "NO")
        print("| " + " | ".join(str(c) for c in cells) + " |")
    for r in results:
        print(f"{r['format']} ({r['code']}): runs (bare s, import s, generate s): {r['runs']}")
        for failure in r["failures"]:
            print(f"  FAILED: {failure}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the generated AWS CUR 2.0 (one month) (default: %(default)s)")
    parser.add_argument("--accounts", type=int, default=2000, help="linked accounts in the file (default: %(default)s)")
    parser.add_argument("--customers", type=int, default=500, help="customers owning the accounts (default: %(default)s)")
    parser.add_argument("--format", choices=("parquet", "csv.gz", "both"), default="parquet",
                        help="the form of the file (both: one after the other, each against its own bare query) (default: %(default)s)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="cache directory for the generated CUR files and the workspace template "
                             "(none: a temporary directory, removed afterwards)")
    parser.add_argument("--repeat", type=int, default=1, help="interleaved runs of each phase (median reported) (default: %(default)s)")
    parser.add_argument("--compare", type=Path, action="append", default=[], metavar="DIR",
                        help="also time the month end with the `workbench` package in DIR (e.g. a git worktree "
                             "of an earlier commit), interleaved with this checkout's runs")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        phases: dict[str, Callable[..., dict[str, Any]]] = {
            "group-by": child_group_by, "month-end": child_month_end, "truth": child_truth, "floor": child_floor,
            "read": child_read,
            "days": child_days, "rows": child_rows}
        print(json.dumps({**phases[kind](*map(Path, rest)), "peak_rss": _peak_rss()}))
        return 0
    if args.customers > args.accounts:
        parser.error("--customers must not exceed --accounts: every customer owns at least one account")
    temporary = args.keep is None
    cache = Path(tempfile.mkdtemp(prefix="wb-bench-")) if temporary else args.keep
    cache.mkdir(parents=True, exist_ok=True)
    try:
        template = workspace_template(cache, args.accounts, args.customers)
        formats: tuple[CurFormat, ...] = ("parquet", "csv.gz") if args.format == "both" else (args.format,)
        results = [r for fmt in formats for r in bench_format(fmt, args, cache, template)]
    finally:
        if temporary:
            shutil.rmtree(cache, ignore_errors=True)
    print_table(results, args)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0 if all(r["exact"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
