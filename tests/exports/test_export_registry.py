"""The registry: built-in formats, file names, plug-ins by registration or by real entry points
(a throwaway package on sys.path: the `exporter_plugin` fixture of tests/conftest.py)."""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from .helpers import StoreInvoice
from .plugin_sources import BROKEN, PDF, TEXT, docs_example, jsonl

import workbench.billing.exports as exports
from workbench.billing.exports import (
    ExporterConflict,
    ExporterPluginError,
    InvoiceView,
    UnknownFormat,
    export_invoice,
    exporters,
    register,
    unregister,
)

LINES = """
position | kind  | section | service | sku | description | quantity | unit | vendor_cost | markup_percent | amount | amount_rounded
1        | usage | Compute | EC2     | m5  | EC2         | 1       | Hrs  | 1           | 0              | 1      | 1.00
"""


class TextExporter:
    name = "txt"
    suffix = ".txt"
    media_type = "text/plain"

    def write(self, invoice: InvoiceView, out: Path) -> Path:
        out.write_text(f"{invoice.number} {invoice.total} {invoice.currency}\n", encoding="utf-8")
        return out


@pytest.fixture(autouse=True)
def _forget_registered() -> Iterator[None]:
    yield
    for name in ("txt", "jsonl", "pdf"):
        unregister(name)


@pytest.fixture
def invoice(store_invoice: StoreInvoice) -> InvoiceView:
    return store_invoice(LINES, subtotal="1.00", total="1.00")


def test_built_in_formats_and_their_file_names(invoice: InvoiceView, tmp_path: Path) -> None:
    written = {name: export_invoice(invoice, name, tmp_path / "out").name for name in exporters()}

    assert written == {
        "csv": "AWS-2025-10-00001.csv",
        "detailed-csv": "AWS-2025-10-00001-detailed.csv",
        "xlsx": "AWS-2025-10-00001.xlsx",
    }
    assert {name: e.media_type for name, e in exporters().items()} == {
        "csv": "text/csv",
        "detailed-csv": "text/csv",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }


def test_unknown_format_names_the_known_ones(invoice: InvoiceView, tmp_path: Path) -> None:
    with pytest.raises(UnknownFormat, match="'docx'; available: csv, detailed-csv, xlsx") as unknown:
        export_invoice(invoice, "docx", tmp_path)
    assert unknown.value.available == ("csv", "detailed-csv", "xlsx")
    with pytest.raises(UnknownFormat, match="'pdf'; available: csv, detailed-csv, xlsx; 'pdf' is reserved for the "
                                            r"statement PDF the workbench prints itself \(workbench.render.pdf\)"):
        export_invoice(invoice, "pdf", tmp_path)


def test_registered_exporter(invoice: InvoiceView, tmp_path: Path) -> None:
    register(TextExporter())

    path = export_invoice(invoice, "txt", tmp_path)

    assert path.read_text(encoding="utf-8") == "AWS-2025-10-00001 1.00 USD\n"


def test_the_docs_example_plugin_exports_through_its_entry_point(invoice: InvoiceView, tmp_path: Path,
                                                                 exporter_plugin) -> None:
    """docs.md's example, installed as a package: it imports only `workbench.billing.exports`
    (atomic_path, statement_rows and amount_text are re-exported there) and is not `pdf`."""
    module, point = docs_example()
    assert point == 'jsonl = "acme_billing.jsonl:JsonLinesExporter"'
    assert "from workbench.billing.exports import InvoiceView, amount_text, atomic_path, statement_rows" in module
    exporter_plugin(*jsonl())

    path = export_invoice(invoice, "jsonl", tmp_path)

    assert path.name == "AWS-2025-10-00001.jsonl"
    assert [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] == [
        {"invoice": "AWS-2025-10-00001", "description": "EC2", "amount": "1.00"},
        {"invoice": "AWS-2025-10-00001", "description": "Subtotal", "amount": "1.00"},
        {"invoice": "AWS-2025-10-00001", "description": "Total", "amount": "1.00"},
    ]
    assert type(exporters()["jsonl"]).__name__ == "JsonLinesExporter"


def test_a_class_or_an_object_may_be_the_entry_point(exporter_plugin) -> None:
    dist, _, files = TEXT
    exporter_plugin(dist, {"txt": "acme_text:text"}, files)
    assert type(exporters()["txt"]).__name__ == "TextExporter"


def test_registering_the_class_a_plugin_publishes_is_no_conflict(invoice: InvoiceView, tmp_path: Path,
                                                                 exporter_plugin) -> None:
    """A notebook imports the installed plug-in and registers it too: the same class is the same
    exporter (the registered instance is used), and no format stops working."""
    exporter_plugin(*jsonl())
    from acme_billing.jsonl import JsonLinesExporter

    mine = JsonLinesExporter()
    register(mine)

    assert export_invoice(invoice, "csv", tmp_path).name == "AWS-2025-10-00001.csv"
    assert export_invoice(invoice, "jsonl", tmp_path).name == "AWS-2025-10-00001.jsonl"
    assert exporters()["jsonl"] is mine
    again = JsonLinesExporter()
    register(again)  # the notebook's cell run again: it replaces the first
    assert exporters()["jsonl"] is again


def test_a_plugin_named_pdf_is_refused_with_its_fix(invoice: InvoiceView, tmp_path: Path, exporter_plugin) -> None:
    """`pdf` is the statement the CLI, the API and the dashboards print themselves: a plug-in by
    that name would be silently passed over there, so the registry refuses it, and says so."""
    exporter_plugin(*PDF)

    with pytest.warns(UserWarning, match=r"plug-in pdf = acme_pdf:PdfExporter \(package acme-pdf 0.1\): the name 'pdf' "
                                         "is reserved for the statement PDF the workbench prints itself"):
        available = exporters()
    assert sorted(available) == ["csv", "detailed-csv", "xlsx"]
    with pytest.raises(ExporterConflict, match="the name 'pdf' is reserved.*fix: rename the entry point"):
        export_invoice(invoice, "pdf", tmp_path / "out")
    assert not (tmp_path / "out").exists()

    class Pdf(TextExporter):
        name = "pdf"

    with pytest.raises(ExporterConflict, match=r"register\(Pdf\): the name 'pdf' is reserved"):
        register(Pdf())


def test_a_broken_plugin_stops_only_itself(invoice: InvoiceView, tmp_path: Path, exporter_plugin) -> None:
    exporter_plugin(*BROKEN)
    exporter_plugin(*jsonl())

    assert export_invoice(invoice, "csv", tmp_path).name == "AWS-2025-10-00001.csv"  # not even a warning
    assert export_invoice(invoice, "jsonl", tmp_path).name == "AWS-2025-10-00001.jsonl"
    with pytest.warns(UserWarning, match=r"plug-in broken = no_such_module:Exporter \(package broken-exporter 0.1\) "
                                         "failed to load: ModuleNotFoundError: No module named 'no_such_module'"):
        assert sorted(exporters()) == ["csv", "detailed-csv", "jsonl", "xlsx"]
    with pytest.raises(ExporterPluginError) as refused:
        export_invoice(invoice, "broken", tmp_path)
    assert str(refused.value) == (
        "plug-in broken = no_such_module:Exporter (package broken-exporter 0.1) failed to load: "
        "ModuleNotFoundError: No module named 'no_such_module'; fix: install what the plug-in needs or reinstall it "
        "(pip install --force-reinstall broken-exporter), or uninstall it (pip uninstall broken-exporter)")


def test_a_plugin_cannot_replace_a_built_in(invoice: InvoiceView, tmp_path: Path, exporter_plugin) -> None:
    dist, _, files = TEXT
    exporter_plugin(dist, {"csv": "acme_text:CsvLookalike"}, files)

    with pytest.warns(UserWarning, match=r"plug-in csv = acme_text:CsvLookalike .*an exporter named 'csv' already "
                                         r"exists \(workbench.billing.exports.customer_csv.CustomerCsvExporter\)"):
        path = export_invoice(invoice, "csv", tmp_path)
    assert path.name == "AWS-2025-10-00001.csv" and path.read_text(encoding="utf-8-sig").startswith("Product Type,")
    with pytest.warns(UserWarning):
        assert type(exporters()["csv"]).__name__ == "CustomerCsvExporter"

    class Csv(TextExporter):
        name = "csv"

    with pytest.raises(ExporterConflict, match="an exporter named 'csv' already exists"):
        register(Csv())


def test_a_plugin_that_is_not_an_exporter_or_misnamed(invoice: InvoiceView, tmp_path: Path, exporter_plugin) -> None:
    dist, _, files = TEXT
    exporter_plugin(dist, {"odd": "acme_text:not_an_exporter", "text": "acme_text:TextExporter"}, files)

    with pytest.warns(UserWarning) as said:
        assert sorted(exporters()) == ["csv", "detailed-csv", "xlsx"]
    [message] = [str(w.message) for w in said]
    assert "plug-in odd = acme_text:not_an_exporter (package acme-text 0.1) is not an exporter" in message
    assert "plug-in text = acme_text:TextExporter (package acme-text 0.1) loads an exporter named 'txt'" in message
    with pytest.raises(ExporterPluginError, match="is not an exporter"):
        export_invoice(invoice, "odd", tmp_path)


def test_one_plugin_is_loaded_when_one_format_is_asked_for(exporter_plugin) -> None:
    dist, _, files = TEXT
    exporter_plugin(dist, {"txt": "acme_text:TextExporter"}, files)
    exporter_plugin(*BROKEN)

    assert type(exports.exporter("txt")).__name__ == "TextExporter"  # no warning: the broken one is not loaded
    with pytest.warns(exports.ExporterPluginWarning):
        exporters()


def test_public_names_are_exactly_all() -> None:
    public = {name for name, value in vars(exports).items()
              if not name.startswith("_") and not inspect.ismodule(value)}
    assert public == set(exports.__all__)
    for module in ("view", "statement", "registry", "detail", "atomic", "formulas",
                   "customer_csv", "detailed_csv", "xlsx"):
        mod = importlib.import_module(f"workbench.billing.exports.{module}")
        assert all(hasattr(mod, name) for name in mod.__all__), module
