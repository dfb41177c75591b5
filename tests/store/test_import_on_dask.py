"""`import_reports(scheduler=...)`: the files are read and summarised on a Dask cluster (two
worker processes on 127.0.0.1) and stored here in the order given, with the same outcome, files
and records as a local import."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from decimal import Decimal
from pathlib import Path

import distributed  # a project dependency (import/month-end --scheduler): this test never skips
import duckdb
from click.testing import CliRunner
from sqlalchemy import select

from workbench.billing.store.models import VendorReport
from workbench.cli import main
from workbench.billing.store.report_import import import_reports
from workbench.billing.store.usage_queries import current_usage_files
from workbench.billing.store.workspace import Workspace, init_workspace

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "vendor-samples"
AWS, AZURE = SAMPLES / "aws-cur-legacy-2023-11.csv", SAMPLES / "azure-ea-cost-2023-09.csv"
TODAY = dt.date(2023, 12, 1)


def vendor_files(folder: Path) -> list[Path]:
    """Two real exports; the Azure one again under another name; a corrected Azure export (the
    vendor dropped a row), which must replace the first; a file that is not a billing export."""
    folder.mkdir()
    again = folder / "september-again.csv"
    shutil.copy(AZURE, again)
    lines = AZURE.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    corrected = folder / "azure-ea-cost-2023-09-v2.csv"
    corrected.write_text("".join(lines[:-1]), encoding="utf-8")
    sales = folder / "sales.csv"
    sales.write_text("Customer,Amount\nacme,12\n", encoding="utf-8")
    return [AWS, AZURE, again, corrected, sales]


def reports(ws: Workspace) -> list[tuple[object, ...]]:
    with ws.session() as session:
        found = session.scalars(select(VendorReport).order_by(VendorReport.id)).all()
        return [(r.file_name, r.vendor, r.billing_period, r.row_count, r.cost_total, r.is_final, r.stored_path,
                 r.source_path, r.superseded_by is not None) for r in found]


def usage_files(ws: Workspace) -> list[str]:
    return sorted(p.relative_to(ws.root).as_posix() for p in ws.usage_dir.rglob("*") if p.is_file())


def test_reading_on_a_dask_cluster_stores_the_same_as_locally(tmp_path: Path) -> None:
    files = vendor_files(tmp_path / "files")
    here, there = init_workspace(tmp_path / "local", name="local"), init_workspace(tmp_path / "dask", name="dask")
    local = import_reports(here, files, today=TODAY)

    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        owners: set[str] = set()

        def pending_owners(done: int, total: int, text: str) -> None:
            """As the first file is stored, the files the workers wrote for the others (read at
            the same time) wait under this process's name: no other import removes them even if
            a worker dies now."""
            if done == 1 and not owners:
                deadline = time.monotonic() + 10
                while not owners and time.monotonic() < deadline:
                    owners.update(p.name.split("-")[2] for p in there.usage_dir.glob(".wb-*.tmp"))
                    time.sleep(0.01)

        with distributed.get_task_stream(client) as stream:
            on_dask = import_reports(there, files, today=TODAY, scheduler=client, progress=pending_owners)
        read_by = [t["worker"] for t in stream.data if str(t["key"]).startswith("import-")]
    assert len(read_by) == len(files)  # every file was read by a worker, none here
    assert owners == {str(os.getpid())}

    def described(outcome: object) -> list[tuple[object, ...]]:
        return [(f.path.name, f.status.value, f.vendor, f.periods, f.row_count, [p.code for p in f.problems])
                for f in outcome.files]  # type: ignore[attr-defined]

    assert described(on_dask) == described(local) == [
        ("aws-cur-legacy-2023-11.csv", "imported", "aws", ("2023-11",), 1281, ["preliminary-usage"]),  # no invoice id yet
        ("azure-ea-cost-2023-09.csv", "imported", "azure", ("2023-09",), 27, []),
        # read at the same time as the first copy, stored after it: recognised by its hash
        ("september-again.csv", "unchanged", "azure", ("2023-09",), 27, []),
        # another file of the same billing account and month in the same import: refused, the first stays
        ("azure-ea-cost-2023-09-v2.csv", "refused", "azure", (), 0, ["same-report-twice"]),
        ("sales.csv", "refused", None, (), 0, ["unknown-format"]),
    ]
    assert reports(there) == reports(here)
    assert reports(there)[-1][:4] == ("azure-ea-cost-2023-09.csv", "azure", "2023-09", 27)
    assert usage_files(there) == usage_files(here)
    assert not [name for name in usage_files(there) if name.endswith(".tmp")]  # nothing half-written left
    # and the rows written later, from what the workers kept, are the same
    for period, vendor in (("2023-11", "aws"), ("2023-09", "azure")):
        sums = [duckdb.connect().execute("SELECT sum(billed_cost), count(*) FROM read_parquet(?)", [str(f)]).fetchone()
                for ws in (here, there) for f in current_usage_files(ws, vendor, [period])]
        assert sums[0] == sums[1] and sums[0][1] > 0 and isinstance(sums[0][0], Decimal)
    here.close()
    there.close()


def test_the_command_line_reads_on_the_cluster_it_is_given(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", name="cli")
    ws.close()
    with distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=":0") as cluster:
        done = CliRunner().invoke(main, ["import", str(tmp_path / "ws"), str(AZURE), str(AZURE), "--scheduler",
                                         cluster.scheduler_address, "--json"])
    assert done.exit_code == 0, done.output
    assert [(f["path"], f["status"]) for f in json.loads(done.output)["files"]] == [
        (str(AZURE), "imported"), (str(AZURE), "unchanged")]
