"""Customer notifications: the "New customer invoice" email, queued when an invoice is issued
and sent from an outbox over SMTP. See docs.md in this folder.

The names below are imported on first use (`workbench.lazy`): the `workbench` command line
registers `workbench notify` without loading SQLAlchemy, Jinja2 and the exports."""

from typing import TYPE_CHECKING as _TYPE_CHECKING

from workbench.lazy import lazy_exports as _lazy_exports

_EXPORTS: dict[str, str] = {
    "InvoiceEmail": "compose", "SummaryRow": "compose", "compose_invoice_open": "compose", "portal_link": "compose",
    "OutboxEntry": "outbox", "list_outbox": "outbox", "queue_invoice_email": "outbox", "register": "outbox",
    "requeue_failed": "outbox",
    "Delivery": "sender", "SendReport": "sender", "backoff": "sender", "send_pending": "sender",
    "NotifySettings": "settings", "SettingsError": "settings", "notify_settings": "settings",
    "set_notify_settings": "settings",
    "EmailTemplateNotFound": "templates", "require_email_templates": "templates",
}
__all__ = [  # the keys of _EXPORTS (a test checks that each one loads)
    "Delivery",
    "EmailTemplateNotFound",
    "InvoiceEmail",
    "NotifySettings",
    "OutboxEntry",
    "SendReport",
    "SettingsError",
    "SummaryRow",
    "backoff",
    "compose_invoice_open",
    "list_outbox",
    "notify_settings",
    "portal_link",
    "queue_invoice_email",
    "register",
    "requeue_failed",
    "require_email_templates",
    "send_pending",
    "set_notify_settings",
]
__getattr__, __dir__ = _lazy_exports(__name__, _EXPORTS, globals())

if _TYPE_CHECKING:  # what type checkers and readers see
    from .compose import InvoiceEmail, SummaryRow, compose_invoice_open, portal_link
    from .outbox import OutboxEntry, list_outbox, queue_invoice_email, register, requeue_failed
    from .sender import Delivery, SendReport, backoff, send_pending
    from .settings import NotifySettings, SettingsError, notify_settings, set_notify_settings
    from .templates import EmailTemplateNotFound, require_email_templates
