"""Widget apps over the billing package: the billing reports screen and the customer invoices
list. Notebooks display `app.widget`; tests drive the same objects without a browser."""

from .billing_app import BillingApp, DraftRow, build_billing_app
from .invoices_app import InvoicesApp, build_invoices_app
from .notebook import catch_up_when_visited, open_dashboard_workspace
from .readonly import read_only_view

__all__ = ["BillingApp", "DraftRow", "InvoicesApp", "build_billing_app", "build_invoices_app", "catch_up_when_visited",
           "open_dashboard_workspace", "read_only_view"]
