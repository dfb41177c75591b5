"""Vendor report formats by name: the built-in ones, those registered at run time, and plug-ins.

A plug-in package declares an entry point in the group `workbench.report_formats`:

    [project.entry-points."workbench.report_formats"]
    oracle-cost = "acme_billing.oracle:ORACLE_COST"

The entry point may name a `ReportFormat` or a tuple of them (a family, like the FOCUS
versions). Every process that reads vendor files finds it (the CLI, the dashboards' kernels, the
API, the month-end workers): a report's kept file is read again later, often elsewhere, by its
stored format name. `register()` adds a format to this process only (a notebook, a test).

Headers are tried in order: the built-in formats first, more specific headers first (AWS
prefixes, FOCUS PascalCase names, then Azure and Google Cloud, whose names overlap loosely), then
the registered ones, then plug-ins; so a plug-in cannot take a file a built-in format reads.
Names are unique: a plug-in cannot silently replace `aws-cur2`; a clash raises
`ReportFormatConflict`, and a plug-in that fails to load raises `ReportFormatPluginError` naming
it, rather than disappearing.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from workbench.billing.readers.aws_cur import CUR2, CUR_LEGACY
from workbench.billing.readers.azure_cost import AZURE_CSP, AZURE_EA, AZURE_MCA
from workbench.billing.readers.focus import FOCUS_FORMATS
from workbench.billing.readers.format import NAME_LENGTH, ReportFormat
from workbench.billing.readers.gcp_billing import GCP_BILLING_EXPORT
from workbench.billing.readers.source import Probe

__all__ = [
    "ENTRY_POINT_GROUP",
    "ReportFormatConflict",
    "ReportFormatPluginError",
    "by_name",
    "formats",
    "recognise",
    "register",
    "unregister",
]

ENTRY_POINT_GROUP = "workbench.report_formats"


class ReportFormatConflict(ValueError):
    pass


class ReportFormatPluginError(RuntimeError):
    pass


_BUILT_IN: tuple[ReportFormat, ...] = (
    CUR_LEGACY, CUR2, *FOCUS_FORMATS, AZURE_CSP, AZURE_EA, AZURE_MCA, GCP_BILLING_EXPORT,
)
_registered: dict[str, ReportFormat] = {}


def _add(table: dict[str, ReportFormat], report_format: object, origin: str) -> None:
    if not isinstance(report_format, ReportFormat):
        raise ReportFormatPluginError(f"{origin} is not a report format (a workbench.billing.readers.ReportFormat)")
    if not report_format.name or len(report_format.name) > NAME_LENGTH:
        raise ReportFormatPluginError(f"{origin}: a format's name has 1 to {NAME_LENGTH} characters "
                                      f"(the stored report keeps it), not {report_format.name!r}")
    existing = table.get(report_format.name)
    if existing is not None and existing is not report_format:
        raise ReportFormatConflict(f"{origin}: a report format named {report_format.name!r} already exists")
    table[report_format.name] = report_format


def register(report_format: ReportFormat) -> None:
    """Add a format for this process (a notebook, a test) without packaging a plug-in. Other
    processes do not know it: a stored report of it is read again only where it is registered
    too; publish it under the entry point group for every process."""
    _add({**{f.name: f for f in _BUILT_IN}, **_registered}, report_format,
         f"register({getattr(report_format, 'name', type(report_format).__name__)})")
    _registered[report_format.name] = report_format


def unregister(name: str) -> None:
    _registered.pop(name, None)


def formats() -> dict[str, ReportFormat]:
    """Every known format by name, in the order headers are tried: built-in, registered, then
    entry-point plug-ins. Read afresh on every call, so a format registered since is in it."""
    table: dict[str, ReportFormat] = {}
    for report_format in (*_BUILT_IN, *_registered.values()):
        _add(table, report_format, report_format.name)
    for point in entry_points(group=ENTRY_POINT_GROUP):
        origin = f"plug-in {point.name} = {point.value}"
        try:
            loaded = point.load()
        except Exception as error:
            raise ReportFormatPluginError(f"{origin} failed to load: {error}") from error
        for report_format in (loaded if isinstance(loaded, (tuple, list)) else (loaded,)):
            _add(table, report_format, origin)
    return table


def recognise(found: Probe) -> ReportFormat | None:
    """The first format whose `recognises(header)` holds; None when none does."""
    for report_format in formats().values():
        if report_format.recognises(found):
            return report_format
    return None


def by_name(name: str) -> ReportFormat:
    """The format of that registry name (a stored report's `format`); KeyError when this process
    knows none of that name."""
    return formats()[name]
