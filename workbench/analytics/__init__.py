"""Usage analytics: exact DuckDB aggregations of the stored usage, Plotly figures of them, and
the usage explorer app. See docs.md."""

from workbench.analytics.explorer import ExplorerState, UsageExplorer, build_usage_explorer
from workbench.analytics.figures import (
    amount_text,
    customer_cost_figure,
    daily_cost_figure,
    drilldown_figure,
    margin_figure,
    month_over_month_figure,
    unassigned_figure,
)
from workbench.analytics.queries import (
    UNASSIGNED,
    UNASSIGNED_ID,
    Drilldown,
    MonthOverMonth,
    cost_by_customer,
    customer_drilldown,
    customer_margins,
    daily_cost,
    margin_totals,
    month_over_month,
    month_span,
    unassigned_accounts,
)

__all__ = [
    "UNASSIGNED",
    "UNASSIGNED_ID",
    "Drilldown",
    "ExplorerState",
    "MonthOverMonth",
    "UsageExplorer",
    "amount_text",
    "build_usage_explorer",
    "cost_by_customer",
    "customer_cost_figure",
    "customer_drilldown",
    "customer_margins",
    "daily_cost",
    "daily_cost_figure",
    "drilldown_figure",
    "margin_figure",
    "margin_totals",
    "month_over_month",
    "month_over_month_figure",
    "month_span",
    "unassigned_accounts",
    "unassigned_figure",
]
