"""An import SIGKILLed midway leaves nothing stored, and the next import stores the file whole and
removes what the killed one left (its copy of the vendor file, its summary, its parse, DuckDB's
spill folder)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from sqlalchemy import func, select

from workbench.billing.demo import write_aws_cur
from workbench.billing.store.models import VendorReport
from workbench.billing.store.report_import import FileStatus, import_reports
from workbench.billing.store.usage_files import pending_path, sweep_abandoned
from workbench.billing.store.usage_queries import current_usage_files
from workbench.billing.store.workspace import init_workspace, open_workspace

TODAY = dt.date(2025, 11, 20)


def pending(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.tmp"))


def test_a_killed_import_leaves_nothing_stored_and_the_next_one_cleans_up(tmp_path: Path) -> None:
    cur = write_aws_cur(tmp_path / "cur-2025-10.csv", rows=300_000, accounts=20, period="2025-10", fmt="csv",
                        legacy=True, seed=1)
    root = tmp_path / "ws"
    init_workspace(root, name="crash").close()
    script = ("import datetime as dt, pathlib; from workbench.billing.store import open_workspace; "
              "from workbench.billing.store.report_import import import_reports; "
              f"import_reports(open_workspace(pathlib.Path({str(root)!r})), [pathlib.Path({str(cur)!r})], "
              "today=dt.date(2025, 11, 20))")
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    try:  # killed once it is writing: its copy of the vendor file and its parse are under way
        deadline = time.monotonic() + 60
        while len(pending(root / "usage")) < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    left = pending(root / "usage")
    assert len(left) >= 2, "the import finished before it could be killed"
    # DuckDB's spill folder is the workspace's, not /tmp's, where every killed import left one
    assert [name for name in left if name.endswith(".spill.tmp")] != []

    ws = open_workspace(root)
    with ws.session() as session:
        assert session.scalar(select(func.count()).select_from(VendorReport)) == 0  # nothing stored
    # a running process's files and another host's are not touched
    mine = pending_path(ws.usage_dir, "summary")
    mine.write_bytes(b"")
    elsewhere = ws.usage_dir / ".wb-00000000-1-0123456789ab.source.tmp"
    elsewhere.write_bytes(b"")

    [outcome] = import_reports(ws, [cur], today=TODAY).files
    assert outcome.status is FileStatus.IMPORTED and outcome.row_count == 300_000
    assert pending(ws.usage_dir) == sorted([mine.name, elsewhere.name])  # the killed import's files are gone
    [rows] = current_usage_files(ws, "aws", ["2025-10"])
    with duckdb.connect() as con:
        stored = con.execute("SELECT sum(billed_cost), count(*) FROM read_parquet(?)", [str(rows)]).fetchone()
        vendor = con.execute("SELECT sum(CAST(\"lineItem/UnblendedCost\" AS DECIMAL(38,18))), count(*) "
                             "FROM read_csv(?, header = true, all_varchar = true)", [str(cur)]).fetchone()
    assert stored == vendor
    mine.unlink()
    assert sweep_abandoned(ws.usage_dir) == []  # another host's file is never this host's to remove
    ws.close()
