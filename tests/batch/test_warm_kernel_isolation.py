"""The warm-kernel engine: customers A, B, A through ONE kernel, and nothing of A reaches B.

The invoice notebook gets two extra cells: a probe at the top (after the parameters) that prints
what it finds of earlier runs (variables, environment, decimal precision, a helper module, the
output history), and a leak cell at the end that plants A's values everywhere it can (globals, a
figure, the environment, the decimal context, `sys.modules`, the random state). Both are plain
cells, so what they print also reaches the PDF and is checked there.
"""

from __future__ import annotations

import json
import os
import signal
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell
from pypdf import PdfReader

from workbench.batch import DEFAULT_NOTEBOOK, expected_files, run_month_end
from workbench.batch.engine import get_warm_kernel, shutdown_warm_kernels

from render.small_workspace import OPTIONS, TODAY

A, B = "100001", "100002"
# What only A's invoice contains: its customer, contact, account, total, lines, number, currency.
A_MARKERS = ("Acme Corp", "Ann Smith", "ann@acme.example", "111111111111", "acme-prod", "238.44", "150.83",
             "207.38", "AWS-202510-00001", "CAD", "CA-QC", "QST")

PROBE = '''
import decimal, os, sys
found = {name: repr(globals()[name])[:60] for name in ("leak_name", "leak_total", "leak_figure", "leak_json", "view")
         if name in globals()}
print("PROBE globals", found)
print("PROBE env", os.environ.get("WB_LEAK"))
print("PROBE precision", decimal.getcontext().prec)
print("PROBE module", "wb_leak_helper" in sys.modules)
print("PROBE history", len(Out), repr(_))
try:
    leak_name
    print("PROBE leak_name DEFINED")
except NameError:
    print("PROBE leak_name undefined")
'''

LEAK = '''
import decimal, os, random, sys, types
leak_name = view.customer.name
leak_total = str(view.total)
leak_figure = amounts_chart_svg(view)
leak_json = invoice_json(view)
os.environ["WB_LEAK"] = leak_name
decimal.getcontext().prec = 6
helper = types.ModuleType("wb_leak_helper")
helper.customer = leak_name
sys.modules["wb_leak_helper"] = helper
random.seed(leak_name)
leak_total
'''


def probe_notebook(tmp_path: Path) -> Path:
    nb = nbformat.read(DEFAULT_NOTEBOOK, as_version=4)
    nb.cells.insert(2, new_code_cell(PROBE))  # right after the parameters cell
    nb.cells.append(new_code_cell(LEAK))
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, path)
    return path


def outputs(nb_path: Path) -> list[object]:
    """Every cell's outputs and execution count: what a run produced (metadata timings aside)."""
    nb = nbformat.read(nb_path, as_version=4)
    return [(c.get("execution_count"), c.get("outputs")) for c in nb.cells if c.cell_type == "code"]


def texts(folder: Path, number: str) -> dict[str, str]:
    """The content of each file as text: notebook outputs, PDF text, CSVs, the xlsx sheets' XML."""
    out = {f"{number}.ipynb": json.dumps(outputs(folder / f"{number}.ipynb")),
           f"{number}.pdf": "".join(p.extract_text() for p in PdfReader(folder / f"{number}.pdf").pages)}
    for name in (f"{number}-statement.csv", f"{number}.csv", f"{number}-detailed.csv"):
        out[name] = (folder / name).read_text(encoding="utf-8-sig")
    with zipfile.ZipFile(folder / f"{number}.xlsx") as z:
        out[f"{number}.xlsx"] = "".join(z.read(n).decode() for n in sorted(z.namelist()) if "docProps" not in n)
    return out


def probe_lines(nb_path: Path) -> list[str]:
    nb = nbformat.read(nb_path, as_version=4)
    return [line for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "stream"
            for line in o.text.splitlines() if line.startswith("PROBE")]


def only_folder(out: Path) -> tuple[Path, str]:
    [folder] = [p for p in out.iterdir() if p.is_dir()]
    return folder, folder.name


@pytest.fixture
def fresh_kernel():
    shutdown_warm_kernels()  # this test counts kernel starts: begin without one
    yield get_warm_kernel()
    shutdown_warm_kernels()


def test_a_b_a_through_one_warm_kernel_share_nothing(small_ws, tmp_path, fresh_kernel):
    notebook = probe_notebook(tmp_path)
    kernel = fresh_kernel
    runs = []
    for i, customer in enumerate((A, B, A)):
        out = tmp_path / f"run{i}"
        summary = run_month_end(small_ws, "2025-10", customers=[customer], options=OPTIONS, today=TODAY,
                                notebook=notebook, out_dir=out, engine="warm")
        assert summary.ok, summary.text()
        runs.append(only_folder(out))
        if i == 0:
            pid, kernel_id = kernel.pid, kernel.kernel_id
        # the same kernel process ran every notebook: no restart, nothing judged dirty
        assert (kernel.pid, kernel.kernel_id, kernel.starts) == (pid, kernel_id, 1), kernel.restart_reasons
        assert kernel.restart_reasons == []
    assert kernel.notebooks == 3
    (a1, number_a), (b, number_b), (a2, number_a2) = runs
    assert number_a == number_a2 == "AWS-202510-00001" and number_b == "AWS-202510-00002"

    # B's notebook: nothing of A's run is defined, set or imported
    clean_probe = ["PROBE globals {}", "PROBE env None", "PROBE precision 28", "PROBE module False",
                   "PROBE history 0 ''", "PROBE leak_name undefined"]
    assert probe_lines(b / f"{number_b}.ipynb") == clean_probe
    assert probe_lines(a1 / f"{number_a}.ipynb") == clean_probe == probe_lines(a2 / f"{number_a}.ipynb")

    # every file of B (notebook outputs, invoice JSON, PDF text, CSVs, workbook) holds nothing of A
    b_texts = texts(b, number_b)
    assert sorted(b_texts) == sorted(expected_files(number_b))
    for name, text in b_texts.items():
        assert "41.26" in text or number_b in text, name  # the file is B's
        leaked = [m for m in A_MARKERS if m in text]
        assert leaked == [], f"{name} of customer B contains A's {leaked}"
    nb_b = nbformat.read(b / f"{number_b}.ipynb", as_version=4)
    [invoice_json] = [o.data["application/vnd.workbench.invoice+json"] for c in nb_b.cells if c.cell_type == "code"
                      for o in c.outputs if "application/vnd.workbench.invoice+json" in o.get("data", {})]
    assert invoice_json["number"] == number_b and not [m for m in A_MARKERS if m in json.dumps(invoice_json)]

    # A again: the same outputs (execution counts included) and the same file contents
    assert outputs(a1 / f"{number_a}.ipynb") == outputs(a2 / f"{number_a}.ipynb")
    assert texts(a1, number_a) == texts(a2, number_a)
    for name in (f"{number_a}-statement.csv", f"{number_a}.csv", f"{number_a}-detailed.csv"):
        assert (a1 / name).read_bytes() == (a2 / name).read_bytes()


def test_a_failed_or_patching_notebook_costs_a_restart(small_ws, tmp_path, fresh_kernel):
    kernel = fresh_kernel
    nb = nbformat.read(DEFAULT_NOTEBOOK, as_version=4)
    nb.cells.append(new_code_cell("import workbench.render as r\nr.statement_html = lambda *a, **k: 'patched'"))
    patching = tmp_path / "patching.ipynb"
    nbformat.write(nb, patching)
    nb = nbformat.read(DEFAULT_NOTEBOOK, as_version=4)
    nb.cells.append(new_code_cell("import threading, time\nthreading.Thread(target=time.sleep, args=(600,), daemon=True).start()"))
    threading_nb = tmp_path / "thread.ipynb"
    nbformat.write(nb, threading_nb)
    nb = nbformat.read(DEFAULT_NOTEBOOK, as_version=4)
    nb.cells.append(new_code_cell("raise RuntimeError('boom')"))
    failing = tmp_path / "failing.ipynb"
    nbformat.write(nb, failing)

    def run(notebook: Path, i: int) -> None:
        run_month_end(small_ws, "2025-10", customers=[A], options=OPTIONS, today=TODAY, notebook=notebook,
                      out_dir=tmp_path / f"out{i}")

    run(patching, 0)
    assert kernel.km is None  # shut down: the next notebook starts a new kernel
    assert kernel.restart_reasons == ["module workbench.render was modified"]
    run(threading_nb, 1)
    assert kernel.restart_reasons[-1].startswith("thread ") and kernel.restart_reasons[-1].endswith("still running")
    summary = run_month_end(small_ws, "2025-10", customers=[A], options=OPTIONS, today=TODAY, notebook=failing,
                            out_dir=tmp_path / "out2")
    assert not summary.ok and kernel.restart_reasons[-1] == "the notebook raised an error"
    # the next notebook gets a fresh kernel that never saw the patch
    summary = run_month_end(small_ws, "2025-10", customers=[A], options=OPTIONS, today=TODAY,
                            out_dir=tmp_path / "out3")
    assert summary.ok, summary.text()
    assert kernel.starts == 4 and kernel.pid is not None
    assert "patched" not in (tmp_path / "out3" / "AWS-202510-00001" / "AWS-202510-00001.ipynb").read_text()


def test_a_dead_kernel_is_replaced(small_ws, tmp_path, fresh_kernel):
    kernel = fresh_kernel
    run = lambda i: run_month_end(small_ws, "2025-10", customers=[A], options=OPTIONS, today=TODAY,  # noqa: E731
                                  out_dir=tmp_path / f"out{i}")
    assert run(0).ok
    os.kill(kernel.pid, signal.SIGKILL)
    assert run(1).ok
    assert kernel.starts == 2 and kernel.restart_reasons == ["the kernel died"]


def test_the_cold_engine_still_works(small_ws, tmp_path):
    summary = run_month_end(small_ws, "2025-10", customers=[B], options=OPTIONS, today=TODAY, engine="cold")
    assert summary.ok, summary.text()
    with pytest.raises(ValueError, match="unknown engine"):
        run_month_end(small_ws, "2025-10", engine="tepid")
