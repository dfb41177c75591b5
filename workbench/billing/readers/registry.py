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
`ReportFormatConflict`. A broken plug-in (an entry point that fails to load, that is not a
`ReportFormat`, or whose format's name is too long) is left out, and only it: every other format
reads as before, the import warns of it once (`plugin_problems()`), and a stored report of a
format it would have provided says so (`missing_format_problem`), rather than every vendor file
failing with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points

from workbench.billing.core.problems import Problem, Severity
from workbench.billing.readers.aws_cur import CUR2, CUR_LEGACY
from workbench.billing.readers.azure_cost import AZURE_CSP, AZURE_EA, AZURE_MCA
from workbench.billing.readers.focus import FOCUS_FORMATS
from workbench.billing.readers.format import NAME_LENGTH, ReportFormat
from workbench.billing.readers.gcp_billing import GCP_BILLING_EXPORT
from workbench.billing.readers.source import Probe

__all__ = [
    "ENTRY_POINT_GROUP",
    "BrokenPlugin",
    "ReportFormatConflict",
    "ReportFormatPluginError",
    "broken_plugins",
    "by_name",
    "formats",
    "missing_format_problem",
    "plugin_problems",
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


def _unusable(report_format: object) -> str | None:
    """Why `report_format` cannot be a format in the registry; None when it can."""
    if not isinstance(report_format, ReportFormat):
        return "is not a report format (a workbench.billing.readers.ReportFormat)"
    if not report_format.name or len(report_format.name) > NAME_LENGTH:
        return (f"names a format {report_format.name!r}: a format's name has 1 to {NAME_LENGTH} characters "
                f"(the stored report keeps it)")
    return None


def _add(table: dict[str, ReportFormat], report_format: ReportFormat, origin: str) -> None:
    existing = table.get(report_format.name)
    if existing is not None and existing is not report_format:
        raise ReportFormatConflict(f"{origin}: a report format named {report_format.name!r} already exists")
    table[report_format.name] = report_format


@dataclass(frozen=True)
class BrokenPlugin:
    """An entry point of the group that gives no usable format: it is left out, and only it."""

    name: str  # the entry point's name ("tiny-usage"), by custom its format's
    value: str  # what it points at ("tiny_reports:TINY")
    package: str | None  # the distribution that declares it, when importlib knows it
    error: str  # why it gives no format: "failed to load: ModuleNotFoundError: ..."

    def __str__(self) -> str:
        return f"plug-in {self.name} = {self.value} {self.error}"

    @property
    def reinstall(self) -> str:
        if self.package:
            return f"reinstall the package {self.package} (pip install --force-reinstall {self.package})"
        return f"reinstall the package that declares the entry point {self.name} in the group {ENTRY_POINT_GROUP}"


def _plugins() -> tuple[list[tuple[str, tuple[ReportFormat, ...]]], list[BrokenPlugin]]:
    """The installed plug-ins' formats (by origin, in the order found), and the broken plug-ins.
    A plug-in whose entry point gives several formats is broken when any of them is unusable."""
    working: list[tuple[str, tuple[ReportFormat, ...]]] = []
    broken: list[BrokenPlugin] = []
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = point.load()
        except Exception as exc:  # whatever its import raises is the plug-in's, not ours
            error: str | None = f"failed to load: {type(exc).__name__}: {exc}"
        else:
            loaded = tuple(loaded) if isinstance(loaded, (tuple, list)) else (loaded,)
            error = next(filter(None, map(_unusable, loaded)), None)
        if error is None:
            working.append((f"plug-in {point.name} = {point.value}", loaded))
        else:
            dist = getattr(point, "dist", None)
            broken.append(BrokenPlugin(point.name, point.value, dist.name if dist is not None else None, error))
    return working, broken


def register(report_format: ReportFormat) -> None:
    """Add a format for this process (a notebook, a test) without packaging a plug-in. Other
    processes do not know it: a stored report of it is read again only where it is registered
    too; publish it under the entry point group for every process."""
    origin = f"register({getattr(report_format, 'name', type(report_format).__name__)})"
    unusable = _unusable(report_format)
    if unusable is not None:
        raise ReportFormatPluginError(f"{origin} {unusable}")
    _add({**{f.name: f for f in _BUILT_IN}, **_registered}, report_format, origin)
    _registered[report_format.name] = report_format


def unregister(name: str) -> None:
    _registered.pop(name, None)


def formats() -> dict[str, ReportFormat]:
    """Every known format by name, in the order headers are tried: built-in, registered, then
    entry-point plug-ins. Read afresh on every call, so a format registered since is in it. A
    broken plug-in is left out (`plugin_problems()` says which); two formats of one name raise
    `ReportFormatConflict`."""
    table: dict[str, ReportFormat] = {}
    for report_format in (*_BUILT_IN, *_registered.values()):
        _add(table, report_format, report_format.name)
    for origin, loaded in _plugins()[0]:
        for report_format in loaded:
            _add(table, report_format, origin)
    return table


def broken_plugins() -> list[BrokenPlugin]:
    """The entry points of the group that give no usable format, in the order they are found."""
    return _plugins()[1]


def plugin_problems() -> list[Problem]:
    """One warning per broken plug-in (`plugin-unusable`): which entry point, why, and what to do."""
    return [Problem(
        "plugin-unusable", f"{b}; files of its report formats are not recognised until it is fixed",
        fix=f"{b.reinstall}; or, if its formats are no longer used, uninstall it. Every other format reads as before",
        severity=Severity.WARNING) for b in broken_plugins()]


def missing_format_problem(name: str, file: str | None = None) -> Problem:
    """Why this process cannot read a file as the format `name` (a stored report's), and what to
    do: the broken plug-in that provides it (or, where no entry point has that name, the broken
    plug-ins that may) is named with the fix (`plugin-unusable`); when no plug-in is broken,
    `unregistered-format`, which says how to publish a format."""
    broken = broken_plugins()
    if broken:
        suspects = [b for b in broken if b.name == name] or broken
        said = "; ".join(map(str, suspects))
        return Problem(
            "plugin-unusable",
            f"its format {name} is not available in this process: " + (
                f"the plug-in that provides it is broken: {said}" if suspects[0].name == name
                else f"no plug-in provides it, and one that may is broken: {said}"),
            file=file, fix="; ".join(dict.fromkeys(b.reinstall for b in suspects)) + " (uninstalling it would not do: "
            "this stored report needs its format); then the file is read again as it was imported")
    return Problem(
        "unregistered-format", f"its format {name} is not registered in this process", file=file,
        fix=f"install the package that provides {name} so that it declares it under the entry point "
            f"group {ENTRY_POINT_GROUP} (then every process finds it: the CLI, the dashboards, the API, "
            f"the month-end workers); register() makes a format known only to the process that calls it")


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
