"""`workbench invoices export` with exporter plug-ins installed (real entry points on PYTHONPATH)
and under a strict umask, run as a user would, in subprocesses."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from exports.plugin_sources import BROKEN, PDF, jsonl
from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.periods import given_month
from workbench.billing.generate import generate_invoices
from workbench.billing.store.report_import import import_reports
from workbench.billing.store.workspace import init_workspace

from .conftest import cur_rows, load
from .worked_example import CUR, TABLES


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A workspace with Acme's October draft of the worked example: (its folder, the number)."""
    folder = tmp_path_factory.mktemp("cli-export")
    ws = init_workspace(folder / "ws", name="plug-ins")
    load(ws, folder, TABLES)
    report = folder / "cur-2025-10.csv"
    report.write_text(cur_rows(CUR, "2025-10"))
    import_reports(ws, [report])
    [invoice] = generate_invoices(ws, "aws", given_month("2025-10"), ["100001"], InvoiceOptions(),
                                  today=dt.date(2025, 11, 20)).invoices
    ws.close()
    return str(folder / "ws"), invoice.number


def workbench(*args: str, plugins: tuple[Path, ...] = (), umask: int = 0o022,
              expect: int = 0) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([*map(str, plugins), *filter(None, [os.environ.get("PYTHONPATH")])])
    done = subprocess.run([sys.executable, "-m", "workbench.cli", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": path}, umask=umask)
    assert done.returncode == expect, f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_broken_plugin_stops_only_its_own_format(acme: tuple[str, str], tmp_path: Path, exporter_plugin) -> None:
    """A plug-in whose module is gone made every export a traceback and exit 1, `csv` included."""
    ws, number = acme
    plugins = (exporter_plugin(*BROKEN), exporter_plugin(*jsonl()))
    out = tmp_path / "out"

    done = workbench("invoices", "export", ws, number, "--format", "csv", "--format", "jsonl", "--out", str(out),
                     "--json", plugins=plugins)

    assert sorted(Path(f).name for f in json.loads(done.stdout)["files"]) == [f"{number}.csv", f"{number}.jsonl"]
    assert "Traceback" not in done.stderr
    assert ("plug-in broken = no_such_module:Exporter (package broken-exporter 0.1) failed to load: "
            "ModuleNotFoundError: No module named 'no_such_module'") in done.stderr
    asked = workbench("invoices", "export", ws, number, "--format", "broken", "--out", str(out), plugins=plugins,
                      expect=2)
    assert "No module named 'no_such_module'" in asked.stderr and "pip uninstall broken-exporter" in asked.stderr
    assert ("the broken plug-in cannot be used (the warning above says why and what to do); "
            "known: csv, detailed-csv, jsonl, pdf, xlsx") in asked.stderr.replace("\n", " ")
    assert "unknown format" not in asked.stderr  # it is known: it is broken
    both = workbench("invoices", "export", ws, number, "--format", "broken", "--format", "nope", "--out", str(out),
                     plugins=plugins, expect=2)
    assert "cannot be used (the warning above says why and what to do); unknown format nope; known:" in \
        both.stderr.replace("\n", " ")


def test_the_pdf_is_the_statement_with_the_csvs_mode_and_a_pdf_plugin_is_refused_out_loud(
        acme: tuple[str, str], tmp_path: Path, exporter_plugin) -> None:
    """`(umask 077; workbench invoices export ... --format csv --format pdf)` wrote the CSV 0644 and
    the PDF 0600: now every file is what open() would make, 0600 here. And `pdf` is the statement
    the workbench prints: a plug-in named pdf was silently passed over; it still is, but the user
    is told which plug-in and what to do."""
    ws, number = acme
    out = tmp_path / "out"

    done = workbench("invoices", "export", ws, number, "--format", "csv", "--format", "pdf", "--format", "xlsx",
                     "--out", str(out), plugins=(exporter_plugin(*PDF),), umask=0o077)

    assert {p.name: oct(mode(p)) for p in out.iterdir()} == {
        f"{number}.csv": "0o600", f"{number}.pdf": "0o600", f"{number}.xlsx": "0o600"}
    printed = subprocess.run(["pdftotext", "-layout", str(out / f"{number}.pdf"), "-"], capture_output=True, text=True,
                             check=True).stdout
    assert number in printed and "Maple Cloud Partners" in printed  # the statement, not b"%PDF-1.4 acme plug-in"
    assert ("plug-in pdf = acme_pdf:PdfExporter (package acme-pdf 0.1): the name 'pdf' is reserved for the statement "
            "PDF the workbench prints itself (workbench.render.pdf), so this plug-in is not used; fix: rename the "
            "entry point") in done.stderr
