"""Batch runs over a workspace: the month end (drafts, then every invoice's files, resumable).

See docs.md. The click command is `workbench.batch.cli.month_end`. The names below are loaded on
first use (`workbench.lazy`).
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING

from workbench.lazy import lazy_exports as _lazy_exports

_EXPORTS: dict[str, str] = {
    **{name: "month_end" for name in (
        "DEFAULT_NOTEBOOK", "expected_files", "generate_period", "is_complete", "render_invoice", "run_month_end")},
    **{name: "summary" for name in ("InvoiceJob", "InvoiceOutcome", "MonthEndInterrupted", "MonthEndSummary")},
}

__all__ = [  # the keys of _EXPORTS
    "DEFAULT_NOTEBOOK",
    "InvoiceJob",
    "InvoiceOutcome",
    "MonthEndInterrupted",
    "MonthEndSummary",
    "expected_files",
    "generate_period",
    "is_complete",
    "render_invoice",
    "run_month_end",
]
__getattr__, __dir__ = _lazy_exports(__name__, _EXPORTS, globals())

if _TYPE_CHECKING:  # what type checkers and readers see
    from .month_end import (
        DEFAULT_NOTEBOOK,
        expected_files,
        generate_period,
        is_complete,
        render_invoice,
        run_month_end,
    )
    from .summary import InvoiceJob, InvoiceOutcome, MonthEndInterrupted, MonthEndSummary
