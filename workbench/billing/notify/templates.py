"""Where the email templates live, and rendering them (Jinja2).

Lookup order, first folder holding `invoice_open.txt.j2` wins:

1. `$WORKBENCH_TEMPLATES/email` (the same variable that points at a modified `statement/`).
2. The source checkout: `<repo>/templates/email`, found relative to this file
   (`workbench/billing/notify/templates.py` -> `../../../templates`). Covers `pip install -e .`.
3. Data files of an installed wheel: `<prefix>/share/workbench/templates/email` for
   `sys.prefix` and the interpreter's data path.

`require_email_templates()` raises `EmailTemplateNotFound` naming every place it looked
(`workbench.shipped`, the one lookup of shipped files).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from workbench import shipped

__all__ = ["EmailTemplateNotFound", "TEMPLATES_ENV", "email_environment", "require_email_templates"]

TEMPLATES_ENV = "WORKBENCH_TEMPLATES"
MARKER = "invoice_open.txt.j2"


class EmailTemplateNotFound(shipped.NotShipped):
    """The email templates are in none of the places searched."""


def require_email_templates() -> Path:
    """The folder whose templates will be used, or a clear error."""
    try:
        return shipped.find("templates/email", MARKER, TEMPLATES_ENV)
    except shipped.NotShipped as exc:
        raise EmailTemplateNotFound(f"email template {exc}") from None


def email_environment() -> jinja2.Environment:
    """HTML templates (`*.html.j2`) autoescape; an undefined name is an error, not an empty string."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(require_email_templates()),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    return env.get_template(name).render(**context)
