"""Files written atomically; exporters reachable through nbconvert; the public surface."""

from __future__ import annotations

import importlib.metadata
import os
import stat
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbconvert import get_exporter
from nbformat.v4 import new_code_cell, new_notebook

import workbench.nbexport as nbexport
from workbench.nbexport import (
    EXPORTERS,
    InvoiceOutputError,
    StatementCSVExporter,
    StatementHTMLExporter,
    StatementPDFExporter,
    export_statement,
    write_atomic,
)

from .statements import statement_notebook

REPO = Path(__file__).resolve().parents[2]


def test_export_statement_writes_each_format(tmp_path: Path, chromium: str) -> None:
    source = tmp_path / "acme-2024-05.ipynb"
    nbformat.write(statement_notebook(), source)

    written = export_statement(source, tmp_path / "out", ("html", "pdf", "csv"))

    assert {fmt: p.name for fmt, p in written.items()} == {
        "html": "acme-2024-05.html",
        "pdf": "acme-2024-05.pdf",
        "csv": "acme-2024-05.csv",
    }
    assert written["pdf"].read_bytes().startswith(b"%PDF-")
    assert written["csv"].read_bytes().endswith(b",Total,1234.57,EUR,INV-2024-0042\r\n")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        p.name for p in written.values()
    )


def test_failed_export_writes_nothing(tmp_path: Path) -> None:
    nb = new_notebook(cells=[new_code_cell("1 + 1")])

    with pytest.raises(InvoiceOutputError):
        export_statement(nb, tmp_path, ("csv",), basename="acme")
    assert list(tmp_path.iterdir()) == []


def test_write_atomic_replaces_and_respects_umask(tmp_path: Path) -> None:
    target = tmp_path / "statement.csv"
    target.write_text("old")
    old_umask = os.umask(0o022)
    try:
        write_atomic(target, "new")
    finally:
        os.umask(old_umask)

    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["statement.csv"]


def test_exporter_names() -> None:
    assert EXPORTERS == {
        "html": StatementHTMLExporter,
        "pdf": StatementPDFExporter,
        "csv": StatementCSVExporter,
    }
    assert StatementPDFExporter().file_extension == ".pdf"
    assert StatementCSVExporter().file_extension == ".csv"
    assert StatementHTMLExporter().file_extension == ".html"


ENTRY_POINTS = {
    "statement-html": StatementHTMLExporter,
    "statement-pdf": StatementPDFExporter,
    "statement-csv": StatementCSVExporter,
}


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
def test_nbconvert_finds_the_exporters(name: str) -> None:
    """The entry points of pyproject.toml are installed (`make` installs the project)."""
    assert name in {ep.name for ep in importlib.metadata.entry_points(group="nbconvert.exporters")}
    assert get_exporter(name) is ENTRY_POINTS[name]


def test_public_names_match_all() -> None:
    public = {name for name in vars(nbexport) if not name.startswith("_")}
    modules = {"files", "invoice", "preprocessors", "printer", "statement_csv",
               "statement_html", "statement_pdf", "templates"}
    assert public - modules == set(nbexport.__all__)


def test_install_script_is_idempotent_when_everything_is_present(chromium: str) -> None:
    script = REPO / "scripts" / "install-system-deps.sh"
    subprocess.run(["sh", "-n", str(script)], check=True)
    result = subprocess.run(
        ["sh", str(script)], check=True, capture_output=True, text=True, timeout=600
    )
    assert "nothing to install" in result.stdout
