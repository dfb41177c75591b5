"""The registry: built-in formats, file names, plug-ins by registration or entry point."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from .helpers import StoreInvoice

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
from workbench.billing.exports import registry

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


class FakeEntryPoint:
    def __init__(self, name: str, loaded: Any) -> None:
        self.name, self.value, self._loaded = name, f"fake:{name}", loaded

    def load(self) -> Any:
        if isinstance(self._loaded, Exception):
            raise self._loaded
        return self._loaded


@pytest.fixture
def plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[FakeEntryPoint]]:
    points: list[FakeEntryPoint] = []
    monkeypatch.setattr(registry, "entry_points", lambda group: points if group == "workbench.exporters" else [])
    yield points
    unregister("txt")


def test_built_in_formats_and_their_file_names(store_invoice: StoreInvoice, tmp_path: Path, plugins: list[FakeEntryPoint]) -> None:
    invoice = store_invoice(LINES, subtotal="1.00", total="1.00")

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


def test_unknown_format_names_the_known_ones(store_invoice: StoreInvoice, tmp_path: Path, plugins: list[FakeEntryPoint]) -> None:
    invoice = store_invoice(LINES, subtotal="1.00", total="1.00")
    with pytest.raises(UnknownFormat, match="'pdf'; available: csv, detailed-csv, xlsx"):
        export_invoice(invoice, "pdf", tmp_path)


def test_registered_exporter(store_invoice: StoreInvoice, tmp_path: Path, plugins: list[FakeEntryPoint]) -> None:
    register(TextExporter())

    path = export_invoice(store_invoice(LINES, subtotal="1.00", total="1.00"), "txt", tmp_path)

    assert path.read_text(encoding="utf-8") == "AWS-2025-10-00001 1.00 USD\n"


def test_entry_point_plugin_class_is_instantiated(plugins: list[FakeEntryPoint]) -> None:
    plugins.append(FakeEntryPoint("txt", TextExporter))
    assert isinstance(exporters()["txt"], TextExporter)


def test_plugin_cannot_replace_a_built_in(plugins: list[FakeEntryPoint]) -> None:
    class Csv(TextExporter):
        name = "csv"

    plugins.append(FakeEntryPoint("csv", Csv()))
    with pytest.raises(ExporterConflict, match="an exporter named 'csv' already exists"):
        exporters()
    with pytest.raises(ExporterConflict):
        register(Csv())


def test_broken_plugin_is_reported_not_hidden(plugins: list[FakeEntryPoint]) -> None:
    plugins.append(FakeEntryPoint("pdf", ImportError("No module named 'acme'")))
    with pytest.raises(ExporterPluginError, match="plug-in pdf = fake:pdf failed to load: No module named 'acme'"):
        exporters()


def test_plugin_that_is_not_an_exporter(plugins: list[FakeEntryPoint]) -> None:
    plugins.append(FakeEntryPoint("odd", object()))
    with pytest.raises(ExporterPluginError, match="is not an exporter"):
        exporters()


def test_public_names_are_exactly_all() -> None:
    public = {name for name, value in vars(exports).items()
              if not name.startswith("_") and not inspect.ismodule(value)}
    assert public == set(exports.__all__)
    for module in ("view", "statement", "registry", "detail", "atomic", "formulas",
                   "customer_csv", "detailed_csv", "xlsx"):
        mod = importlib.import_module(f"workbench.billing.exports.{module}")
        assert all(hasattr(mod, name) for name in mod.__all__), module
