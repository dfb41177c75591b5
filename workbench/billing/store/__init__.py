"""The workspace: database, usage store and the table files people edit (see docs.md)."""

from workbench.billing.store.finality import FINAL_AFTER_BUSINESS_DAYS, business_days_elapsed
from workbench.billing.store.report_import import (
    FileOutcome,
    FileStatus,
    ImportOutcome,
    file_sha256,
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
    "file_sha256",
    "import_reports",
    "import_tables",
    "init_workspace",
    "open_workspace",
    "remove_account",
    "report_periods",
    "store_usage_table",
    "unassigned_usage",
]
