"""The registry of vendor formats: the order in which headers are tried, and lookup by name.

More specific headers come first (AWS prefixes, FOCUS PascalCase names, then Azure and Google
Cloud, whose names overlap loosely). A new format plugs in by adding a `ReportFormat` here.
"""

from __future__ import annotations

from workbench.billing.readers.aws_cur import CUR2, CUR_LEGACY
from workbench.billing.readers.azure_cost import AZURE_CSP, AZURE_EA, AZURE_MCA
from workbench.billing.readers.focus import FOCUS_FORMATS
from workbench.billing.readers.format import ReportFormat
from workbench.billing.readers.gcp_billing import GCP_BILLING_EXPORT
from workbench.billing.readers.source import Probe

__all__ = ["FORMATS", "recognise", "by_name"]

FORMATS: tuple[ReportFormat, ...] = (
    CUR_LEGACY, CUR2, *FOCUS_FORMATS, AZURE_CSP, AZURE_EA, AZURE_MCA, GCP_BILLING_EXPORT,
)


def recognise(found: Probe) -> ReportFormat | None:
    for report_format in FORMATS:
        if report_format.recognises(found):
            return report_format
    return None


def by_name(name: str) -> ReportFormat:
    for report_format in FORMATS:
        if report_format.name == name:
            return report_format
    raise KeyError(name)
