"""The month end on a Dask cluster (two worker processes on 127.0.0.1) makes the same files as locally."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import distributed  # a project dependency (month-end --scheduler): this test never skips
import nbformat
from pypdf import PdfReader

from workbench.batch import expected_files, is_complete, run_month_end

from render.small_workspace import OPTIONS, TODAY

NUMBERS = ["AWS-202510-00001", "AWS-202510-00002", "AWS-202510-00003"]
DETERMINISTIC = ("-statement.csv", ".csv", "-detailed.csv")  # byte for byte; the rest by content


def notebook_outputs(path: Path) -> list[object]:
    nb = nbformat.read(path, as_version=4)
    return [(c.get("execution_count"), c.get("outputs")) for c in nb.cells if c.cell_type == "code"]


def figures(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [o.data["image/svg+xml"] for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if "image/svg+xml" in o.get("data", {})]


def content(folder: Path, number: str) -> dict[str, object]:
    manifest = json.loads((folder / f"{number}.done.json").read_text())
    with zipfile.ZipFile(folder / f"{number}.xlsx") as z:
        sheets = {n: z.read(n) for n in z.namelist() if "docProps" not in n}
    return {
        "outputs": notebook_outputs(folder / f"{number}.ipynb"),
        "figures": figures(folder / f"{number}.ipynb"),
        "pdf": [p.extract_text() for p in PdfReader(folder / f"{number}.pdf").pages],
        "xlsx": sheets,
        "hashes": {name: digest for name, digest in manifest["files"].items() if name.endswith(DETERMINISTIC)},
        "bytes": {name: (folder / name).read_bytes() for name in expected_files(number) if name.endswith(DETERMINISTIC)},
    }


def test_dask_local_cluster_makes_the_same_files_as_a_local_run(small_ws, tmp_path):
    local = run_month_end(small_ws, "2025-10", options=OPTIONS, today=TODAY, out_dir=tmp_path / "local")
    assert local.ok, local.text()

    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=":0") as cluster:
        summary = run_month_end(small_ws, "2025-10", options=OPTIONS, today=TODAY, out_dir=tmp_path / "dask",
                                scheduler=cluster.scheduler_address)
        assert summary.ok, summary.text()
        assert [(o.number, o.state) for o in summary.outcomes] == [(n, "done") for n in NUMBERS]
        with distributed.Client(cluster, set_as_default=False) as client:
            # both workers rendered invoices, each in its own warm kernel
            def notebooks_run() -> int:
                from workbench.batch import engine

                return sum(k.notebooks for k in engine._all)

            per_worker = client.run(notebooks_run)
        assert sum(per_worker.values()) == 3 and all(n >= 1 for n in per_worker.values()), per_worker

        # a rerun through the cluster skips what is complete
        again = run_month_end(small_ws, "2025-10", options=OPTIONS, today=TODAY, out_dir=tmp_path / "dask",
                              scheduler=cluster.scheduler_address)
        assert again.ok and [o.state for o in again.outcomes] == ["skipped"] * 3

    for number in NUMBERS:
        a, b = tmp_path / "local" / number, tmp_path / "dask" / number
        assert is_complete(b, number)
        assert sorted(p.name for p in b.iterdir()) == sorted(p.name for p in a.iterdir())
        left, right = content(a, number), content(b, number)
        assert left["figures"] and left["figures"] == right["figures"]
        assert left == right, number
