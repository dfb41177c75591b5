#!/usr/bin/env python
"""Benchmark: importing big table files (`import_tables`, `workbench customers import`).

    .venv/bin/python bench/table_import.py                                  # 20,000 customers, this checkout
    .venv/bin/python bench/table_import.py --code /work/main --code .       # another checkout's code, then this one's
    .venv/bin/python bench/table_import.py --customers 2000 --keep /tmp/tb  # smaller; keep files and workspaces

The table files are generated (the shape of a reviewer's 20,000-customer import): N customers,
3N accounts (one per vendor), N customer_vendors (pricebook Big, USD/CAD/EUR in turn), one
pricebook of N/4 SKU rules plus a default, N/4 credit grants. Each checkout's code runs in a child
process of its own (PYTHONPATH = that checkout) on a fresh workspace and times three imports:
  new        every row new (into an empty workspace);
  unchanged  the same files again (every row unchanged);
  changed    files whose customer names and account names all differ (every such row updated).
Each run prints a digest of the workspace it leaves (every table's rows, without ids and times):
equal digests, the same rows and the same audit trail; with several --code, the tables that
differ are named.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
CURRENCIES = ("USD", "CAD", "EUR")


def write_tables(folder: Path, customers: int, *, renamed: bool = False) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    tag = "Renamed " if renamed else ""

    def write(name: str, header: list[str], rows: object) -> Path:
        path = folder / name
        with path.open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(header)
            out.writerows(rows)  # type: ignore[arg-type]
        return path

    ids = [f"N{i:06d}" for i in range(customers)]
    return [
        write("customers.csv", ["customer_id", "name", "contact_name", "contact_email", "billing_address",
                                "tax_jurisdiction", "payment_terms_days"],
              ([c, f"{tag}Customer {i}", f"Contact {i}", f"c{i}@example.com", f"{i} Main St, Town", "CA-ON", "30"]
               for i, c in enumerate(ids))),
        write("accounts.csv", ["customer_id", "vendor", "account_id", "account_name"],
              ([c, vendor, f"{900000000000 + i}" if vendor == "aws" else f"{vendor}-{i:08d}", f"{tag}Acct {i}"]
               for vendor in ("aws", "azure", "gcp") for i, c in enumerate(ids))),
        write("customer_vendors.csv", ["customer_id", "vendor", "pricebook", "invoice_currency"],
              ([c, "aws", "Big", CURRENCIES[i % 3]] for i, c in enumerate(ids))),
        write("pricebooks.csv", ["pricebook", "effective_from", "vendor", "scope", "match", "markup_percent"],
              [["Big", "2025-01", "aws", "default", "", "11"],
               *(["Big", "2025-01", "aws", "sku", f"SKU{i:05d}", f"{10 + i % 17}.{i % 100:02d}"]
                 for i in range(customers // 4))]),
        write("credits.csv", ["customer_id", "credit_id", "date", "amount", "currency", "kind", "earned_on", "memo"],
              ([c, f"BCR-{i}", "2026-11-01", f"{100 + i % 400}.{i % 100:02d}", CURRENCIES[i % 3], "general", "aws",
                "bulk credit"] for i, c in enumerate(ids) if i % 4 == 0)),
    ]


CHILD = r"""
import json, sys, time
from pathlib import Path
from workbench.billing.core.problems import errors
from workbench.billing.store import import_tables, init_workspace
root, first, second = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
ws = init_workspace(root, name="bench")
out = {}
for label, folder in (("new", first), ("unchanged", first), ("changed", second)):
    files = sorted(Path(folder).glob("*.csv"))
    started = time.perf_counter()
    summary, problems = import_tables(ws, files, actor="user:bench")
    out[label] = time.perf_counter() - started
    assert not errors(problems), [str(p) for p in errors(problems)[:5]]
    out[label + " summary"] = str(summary).replace(chr(10), "; ")
ws.close()
print(json.dumps(out))
"""


def digest(db: Path) -> dict[str, str]:
    """Each table's rows (audit events without their time), hashed: equal digests, equal data."""
    con = sqlite3.connect(db)
    try:
        found = {}
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            columns = [r[1] for r in con.execute(f"PRAGMA table_info({table})") if r[1] != "id" and r[1] != "at" and not r[1].endswith("_at")]
            if not columns:
                continue
            rows = con.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
            found[table] = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()[:16]
        return found
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=20_000, help="customers in the generated files (default: %(default)s)")
    parser.add_argument("--code", action="append", type=Path, metavar="DIR",
                        help="a checkout whose workbench package is timed (repeatable; default: this one)")
    parser.add_argument("--keep", type=Path, help="a folder for the files and workspaces, kept afterwards")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="wb-table-bench-"))
    first = base / "tables"
    second = base / "tables-renamed"
    write_tables(first, args.customers)
    write_tables(second, args.customers, renamed=True)
    print(f"{args.customers:,} customers, {3 * args.customers:,} accounts, {args.customers // 4 + 1:,} pricebook "
          f"rules, {(args.customers + 3) // 4:,} credits; load average {os.getloadavg()[0]:.2f}", flush=True)
    digests = {}
    for code in args.code or [HERE]:
        root = base / f"ws-{code.resolve().name}-{int(time.time())}"
        env = {**os.environ, "PYTHONPATH": str(code.resolve())}
        done = subprocess.run([sys.executable, "-c", CHILD, str(root), str(first), str(second)], env=env,
                              capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"{code}: failed\n{done.stderr[-3000:]}")
        times = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{str(code):<32} new {times['new']:8.1f} s   unchanged {times['unchanged']:8.1f} s   "
              f"changed {times['changed']:8.1f} s   (load {os.getloadavg()[0]:.2f})", flush=True)
        for label in ("new", "unchanged", "changed"):
            print(f"    {label}: {times[label + ' summary']}")
        digests[code] = digest(root / "workbench.db")
        whole = hashlib.sha256(json.dumps(digests[code], sort_keys=True).encode()).hexdigest()[:16]
        print(f"    data digest {whole} ({root})")
    if len(digests) > 1:
        [reference, *others] = digests.values()
        for code, found in zip(list(digests)[1:], others):
            differ = sorted(t for t in reference.keys() | found.keys() if reference.get(t) != found.get(t))
            print(f"{code}: {'the same rows in every table' if not differ else 'differs in ' + ', '.join(differ)}")


if __name__ == "__main__":
    main()
