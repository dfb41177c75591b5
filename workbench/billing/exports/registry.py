"""Exporters by name: the built-in ones, those registered at run time, and plug-ins.

A plug-in package declares an entry point in the group `workbench.exporters`:

    [project.entry-points."workbench.exporters"]
    pdf = "acme_billing.pdf:PdfExporter"

The entry point may name an exporter object or a class (instantiated without arguments). Names
are unique: a plug-in cannot silently replace `csv`; a clash raises `ExporterConflict`, and a
plug-in that fails to load raises `ExporterPluginError` naming it, rather than disappearing.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path
from typing import Protocol, runtime_checkable

from .customer_csv import CustomerCsvExporter
from .detailed_csv import DetailedCsvExporter
from .view import InvoiceView
from .xlsx import XlsxExporter

__all__ = [
    "ENTRY_POINT_GROUP",
    "Exporter",
    "ExporterConflict",
    "ExporterPluginError",
    "UnknownFormat",
    "export_invoice",
    "exporters",
    "register",
    "unregister",
]

ENTRY_POINT_GROUP = "workbench.exporters"


@runtime_checkable
class Exporter(Protocol):
    name: str
    suffix: str  # appended to the invoice number: ".csv", "-detailed.csv", ".xlsx"
    media_type: str

    def write(self, invoice: InvoiceView, out: Path) -> Path:
        """Write `invoice` to exactly `out`, atomically, and return `out`."""
        ...


class UnknownFormat(KeyError):
    pass


class ExporterConflict(ValueError):
    pass


class ExporterPluginError(RuntimeError):
    pass


_BUILT_IN: tuple[Exporter, ...] = (CustomerCsvExporter(), DetailedCsvExporter(), XlsxExporter())
_registered: dict[str, Exporter] = {}


def _add(table: dict[str, Exporter], exporter: Exporter, origin: str) -> None:
    if not isinstance(exporter, Exporter):
        raise ExporterPluginError(f"{origin} is not an exporter (it needs name, suffix, media_type and write)")
    existing = table.get(exporter.name)
    if existing is not None and existing is not exporter:
        raise ExporterConflict(f"{origin}: an exporter named {exporter.name!r} already exists ({type(existing).__name__})")
    table[exporter.name] = exporter


def register(exporter: Exporter) -> None:
    """Add an exporter for this process (a notebook, a test) without packaging a plug-in."""
    _add({**{e.name: e for e in _BUILT_IN}, **_registered}, exporter, f"register({type(exporter).__name__})")
    _registered[exporter.name] = exporter


def unregister(name: str) -> None:
    _registered.pop(name, None)


def exporters() -> dict[str, Exporter]:
    """Every available exporter by name: built-in, registered, then entry-point plug-ins."""
    table: dict[str, Exporter] = {}
    for exporter in (*_BUILT_IN, *_registered.values()):
        _add(table, exporter, type(exporter).__name__)
    for point in entry_points(group=ENTRY_POINT_GROUP):
        origin = f"plug-in {point.name} = {point.value}"
        try:
            loaded = point.load()
            exporter = loaded() if isinstance(loaded, type) else loaded
        except Exception as error:
            raise ExporterPluginError(f"{origin} failed to load: {error}") from error
        _add(table, exporter, origin)
    return table


def export_invoice(invoice: InvoiceView, fmt: str, out_dir: Path) -> Path:
    """Write `invoice` as `fmt` to `out_dir / f"{invoice.number}{suffix}"` and return that path."""
    available = exporters()
    try:
        exporter = available[fmt]
    except KeyError:
        raise UnknownFormat(f"unknown export format {fmt!r}; available: {', '.join(sorted(available))}") from None
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return exporter.write(invoice, out_dir / f"{invoice.number}{exporter.suffix}")
