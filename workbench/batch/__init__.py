"""Batch runs over a workspace: the month end (drafts, then every invoice's files, resumable).

See docs.md. The click command is `workbench.batch.cli.month_end`.
"""

from .month_end import (
    DEFAULT_NOTEBOOK,
    InvoiceJob,
    InvoiceOutcome,
    MonthEndSummary,
    expected_files,
    generate_period,
    is_complete,
    render_invoice,
    run_month_end,
)

__all__ = [
    "DEFAULT_NOTEBOOK",
    "InvoiceJob",
    "InvoiceOutcome",
    "MonthEndSummary",
    "expected_files",
    "generate_period",
    "is_complete",
    "render_invoice",
    "run_month_end",
]
