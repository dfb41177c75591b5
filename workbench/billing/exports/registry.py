"""Exporters by name: the built-in ones, those registered at run time, and plug-ins.

A plug-in package declares an entry point in the group `workbench.exporters`, named as its
exporter's `name`:

    [project.entry-points."workbench.exporters"]
    jsonl = "acme_billing.jsonl:JsonLinesExporter"

The entry point may name an exporter object or a class (instantiated without arguments).

Names are unique. `register` refuses a reserved name (`RESERVED_NAMES`: `pdf`, the statement the
workbench prints itself) and a name held by another class, built-in or registered, with
`ExporterConflict`. A plug-in is loaded only when its name is asked for (`exporter(name)`,
`export_invoice`) or every exporter is listed (`exporters()`); a plug-in that cannot be used
(it fails to load, is no exporter, or takes a reserved name or one held by another class) is
refused: it never replaces another exporter and never stops one:

- `exporters()` leaves it out and says so with an `ExporterPluginWarning` naming its entry
  point, the error and the fix;
- asking for its name raises its `ExporterPluginError` or `ExporterConflict` (with the same
  text), unless a built-in or registered exporter holds that name: that one is used, with the
  warning.

An exporter of the same class is the same exporter: registering an instance of a class that is
also published as an entry point (a notebook importing the plug-in package) is no conflict, and
the registered instance is the one used.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Protocol, runtime_checkable

from .customer_csv import CustomerCsvExporter
from .detailed_csv import DetailedCsvExporter
from .view import InvoiceView
from .xlsx import XlsxExporter

__all__ = [
    "ENTRY_POINT_GROUP",
    "RESERVED_NAMES",
    "Exporter",
    "ExporterConflict",
    "ExporterPluginError",
    "ExporterPluginWarning",
    "UnknownFormat",
    "export_invoice",
    "exporter",
    "exporters",
    "register",
    "unregister",
]

ENTRY_POINT_GROUP = "workbench.exporters"
# Format names the workbench serves itself, beside the exporters (CLI `invoices export`, the API's
# downloads, the dashboards): an exporter by that name would never be reached there.
RESERVED_NAMES: dict[str, str] = {
    "pdf": "the statement PDF the workbench prints itself (workbench.render.pdf)",
}


@runtime_checkable
class Exporter(Protocol):
    name: str
    suffix: str  # appended to the invoice number: ".csv", "-detailed.csv", ".xlsx"
    media_type: str

    def write(self, invoice: InvoiceView, out: Path) -> Path:
        """Write `invoice` to exactly `out`, atomically, and return `out`."""
        ...


class UnknownFormat(KeyError):
    """No exporter has this name; `available` lists the names that have one."""

    def __init__(self, message: str, available: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.available = tuple(available)


class ExporterConflict(ValueError):
    """Two exporters of different classes claim one name, or one claims a reserved name."""


class ExporterPluginError(RuntimeError):
    """A plug-in's entry point cannot be used: it fails to load or does not name an exporter."""


class ExporterPluginWarning(UserWarning):
    """Plug-ins left out of the exporters (each one's `ExporterPluginError` or `ExporterConflict`)."""


_BUILT_IN: tuple[Exporter, ...] = (CustomerCsvExporter(), DetailedCsvExporter(), XlsxExporter())
_registered: dict[str, Exporter] = {}

_RENAME = ('rename the entry point in the plug-in\'s [project.entry-points."workbench.exporters"] '
           "(and its exporter's name) and reinstall the plug-in")


def _own() -> dict[str, Exporter]:
    """The built-in and registered exporters by name (no plug-in is loaded)."""
    return {**{e.name: e for e in _BUILT_IN}, **_registered}


def _described(exporter: object) -> str:
    kind = type(exporter)
    return f"{kind.__module__}.{kind.__qualname__}"


def register(exporter: Exporter) -> None:
    """Add an exporter for this process (a notebook, a test) without packaging a plug-in.

    Registering another instance of the class already holding the name replaces it."""
    origin = f"register({type(exporter).__name__})"
    if not isinstance(exporter, Exporter):
        raise ExporterPluginError(f"{origin}: not an exporter (it needs name, suffix, media_type and write)")
    if exporter.name in RESERVED_NAMES:
        raise ExporterConflict(f"{origin}: the name {exporter.name!r} is reserved for {RESERVED_NAMES[exporter.name]}; "
                               "give the exporter another name")
    existing = _own().get(exporter.name)
    if existing is not None and type(existing) is not type(exporter):
        raise ExporterConflict(f"{origin}: an exporter named {exporter.name!r} already exists ({_described(existing)}); "
                               "give the exporter another name")
    _registered[exporter.name] = exporter


def unregister(name: str) -> None:
    _registered.pop(name, None)


def _origin(point: EntryPoint) -> str:
    dist = point.dist
    source = f" (package {dist.name} {dist.version})" if dist is not None else ""
    return f"plug-in {point.name} = {point.value}{source}"


def _load(point: EntryPoint, holder: Exporter | None) -> Exporter:
    """The exporter of `point`; ExporterPluginError or ExporterConflict says why it cannot be used.
    `holder`: the exporter already holding the name, if any."""
    origin = _origin(point)
    if point.name in RESERVED_NAMES:  # refused unloaded: it could never be reached
        raise ExporterConflict(f"{origin}: the name {point.name!r} is reserved for {RESERVED_NAMES[point.name]}, "
                               f"so this plug-in is not used; fix: {_RENAME}")
    try:
        loaded = point.load()
        made = loaded() if isinstance(loaded, type) else loaded
    except Exception as error:
        dist = getattr(point.dist, "name", None) or "<its package>"
        raise ExporterPluginError(
            f"{origin} failed to load: {type(error).__name__}: {error}; fix: install what the plug-in needs or "
            f"reinstall it (pip install --force-reinstall {dist}), or uninstall it (pip uninstall {dist})"
        ) from error
    if not isinstance(made, Exporter):
        raise ExporterPluginError(f"{origin} is not an exporter (it needs name, suffix, media_type and write); "
                                  "fix: make the entry point name an exporter object or a no-argument class")
    if made.name != point.name:
        raise ExporterPluginError(f"{origin} loads an exporter named {made.name!r}; fix: name the entry point "
                                  "as its exporter")
    if holder is not None and type(holder) is not type(made):
        raise ExporterConflict(f"{origin}: an exporter named {point.name!r} already exists ({_described(holder)}), "
                               f"so this plug-in is not used; fix: {_RENAME}")
    return made


def _resolve(name: str, points: Sequence[EntryPoint], own: dict[str, Exporter]
             ) -> tuple[Exporter | None, list[ExporterPluginError | ExporterConflict]]:
    """The exporter serving `name` (built-in or registered first, else its first usable plug-in)
    and the errors of the plug-ins of that name that cannot be used."""
    chosen = own.get(name)
    refused: list[ExporterPluginError | ExporterConflict] = []
    for point in points:
        try:
            made = _load(point, chosen)
        except (ExporterPluginError, ExporterConflict) as error:
            refused.append(error)
        else:
            if chosen is None:  # the same class twice: the one already there stays
                chosen = made
    return chosen, refused


def _warn(refused: Sequence[Exception], stacklevel: int) -> None:
    if refused:
        warnings.warn("exporter plug-ins left out:\n" + "\n".join(f"  {error}" for error in refused),
                      ExporterPluginWarning, stacklevel=stacklevel + 1)


def _plugins() -> list[EntryPoint]:
    return list(entry_points(group=ENTRY_POINT_GROUP))


def _table() -> tuple[dict[str, Exporter], list[ExporterPluginError | ExporterConflict]]:
    own = _own()
    table = dict(own)
    points = _plugins()
    refused: list[ExporterPluginError | ExporterConflict] = []
    for name in dict.fromkeys(point.name for point in points):
        chosen, errors = _resolve(name, [p for p in points if p.name == name], own)
        if chosen is not None:
            table[name] = chosen
        refused += errors
    return table, refused


def exporters() -> dict[str, Exporter]:
    """Every exporter that can be used, by name: built-in, registered, then plug-ins (every
    plug-in is loaded). A plug-in that cannot be used is left out with an ExporterPluginWarning."""
    table, refused = _table()
    _warn(refused, stacklevel=2)
    return table


def exporter(name: str) -> Exporter:
    """The exporter named `name`, loading only the plug-ins of that name.

    UnknownFormat when there is none; the plug-in's ExporterPluginError or ExporterConflict when
    the only exporter of that name is a plug-in that cannot be used."""
    points = [p for p in _plugins() if p.name == name]
    chosen, refused = _resolve(name, points, _own())
    if chosen is None:
        if refused:
            raise refused[0]
        available = sorted(_table()[0])  # the plug-ins left out are not what was asked for: no warning
        reserved = f"; {name!r} is reserved for {RESERVED_NAMES[name]}" if name in RESERVED_NAMES else ""
        raise UnknownFormat(f"unknown export format {name!r}; available: {', '.join(available)}{reserved}", available)
    _warn(refused, stacklevel=2)
    return chosen


def export_invoice(invoice: InvoiceView, fmt: str, out_dir: Path) -> Path:
    """Write `invoice` as `fmt` to `out_dir / f"{invoice.number}{suffix}"` and return that path."""
    chosen = exporter(fmt)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return chosen.write(invoice, out_dir / f"{invoice.number}{chosen.suffix}")
