"""Customer notifications: the "New customer invoice" email, queued when an invoice is issued
and sent from an outbox over SMTP. See docs.md in this folder."""

from __future__ import annotations

from .compose import InvoiceEmail, SummaryRow, compose_invoice_open, portal_link
from .outbox import OutboxEntry, list_outbox, queue_invoice_email, register, requeue_failed
from .sender import Delivery, SendReport, backoff, send_pending
from .settings import NotifySettings, SettingsError, notify_settings, set_notify_settings
from .templates import EmailTemplateNotFound, require_email_templates

__all__ = [
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
    "require_email_templates",
    "requeue_failed",
    "send_pending",
    "set_notify_settings",
]
