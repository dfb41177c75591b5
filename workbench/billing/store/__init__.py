"""The workspace: database, usage store and the table files people edit (see docs.md).

The names below are imported on first use (PEP 562), so that importing one submodule (the
models, say) does not load DuckDB and the readers: `workbench --help` and a kernel that only
shows invoices start faster.
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING

from workbench.lazy import lazy_exports as _lazy_exports

_EXPORTS: dict[str, str] = {
    "FINAL_AFTER_BUSINESS_DAYS": "finality",
    "business_days_elapsed": "finality",
    "FileOutcome": "report_import",
    "FileStatus": "report_import",
    "ImportOutcome": "report_import",
    "import_reports": "report_import",
    "store_usage_table": "report_import",
    "export_tables": "table_export",
    "TABLE_FORMATS": "table_formats",
    "ImportSummary": "table_import",
    "TableCount": "table_import",
    "import_tables": "table_import",
    "remove_account": "table_import",
    "ReportPeriod": "usage_queries",
    "UnassignedAccount": "usage_queries",
    "current_usage_files": "usage_queries",
    "customer_for_accounts": "usage_queries",
    "report_periods": "usage_queries",
    "unassigned_usage": "usage_queries",
    "Workspace": "workspace",
    "WorkspaceError": "workspace",
    "init_workspace": "workspace",
    "open_workspace": "workspace",
}

__all__ = [
    "FINAL_AFTER_BUSINESS_DAYS",
    "FileOutcome",
    "FileStatus",
    "ImportOutcome",
    "ImportSummary",
    "ReportPeriod",
    "TABLE_FORMATS",
    "TableCount",
    "UnassignedAccount",
    "Workspace",
    "WorkspaceError",
    "business_days_elapsed",
    "current_usage_files",
    "customer_for_accounts",
    "export_tables",
    "import_reports",
    "import_tables",
    "init_workspace",
    "open_workspace",
    "remove_account",
    "report_periods",
    "store_usage_table",
    "unassigned_usage",
]  # the keys of _EXPORTS (a test checks that each one loads)


__getattr__, __dir__ = _lazy_exports(__name__, _EXPORTS, globals())


if _TYPE_CHECKING:  # what type checkers and readers see
    from workbench.billing.store.finality import FINAL_AFTER_BUSINESS_DAYS, business_days_elapsed
    from workbench.billing.store.report_import import (
        FileOutcome,
        FileStatus,
        ImportOutcome,
        import_reports,
        store_usage_table,
    )
    from workbench.billing.store.table_export import export_tables
    from workbench.billing.store.table_formats import TABLE_FORMATS
    from workbench.billing.store.table_import import ImportSummary, TableCount, import_tables, remove_account
    from workbench.billing.store.usage_queries import (
        ReportPeriod,
        UnassignedAccount,
        current_usage_files,
        customer_for_accounts,
        report_periods,
        unassigned_usage,
    )
    from workbench.billing.store.workspace import Workspace, WorkspaceError, init_workspace, open_workspace
