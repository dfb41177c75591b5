"""Where the email templates live, and rendering them (Jinja2).

Lookup order, first folder holding `invoice_open.txt.j2` wins:

1. `$WORKBENCH_TEMPLATES/email` (the same variable that points at a modified `statement/`).
2. The source checkout: `<repo>/templates/email`, found relative to this file
   (`workbench/billing/notify/templates.py` -> `../../../templates`). Covers `pip install -e .`.
3. Data files of an installed wheel: `<prefix>/share/workbench/templates/email` for
   `sys.prefix` and the interpreter's data path.

`require_email_templates()` raises `EmailTemplateNotFound` naming every place it looked.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path
from typing import Any

import jinja2

__all__ = ["EmailTemplateNotFound", "TEMPLATES_ENV", "email_environment", "require_email_templates"]

TEMPLATES_ENV = "WORKBENCH_TEMPLATES"
MARKER = "invoice_open.txt.j2"
_REPO_TEMPLATES = Path(__file__).resolve().parent.parent.parent.parent / "templates" / "email"
_DATA_SUBDIR = Path("share") / "workbench" / "templates" / "email"


class EmailTemplateNotFound(FileNotFoundError):
    """The email templates are in none of the places searched."""


def _candidates() -> list[Path]:
    found: list[Path] = []
    override = os.environ.get(TEMPLATES_ENV)
    if override:
        found.append(Path(override).expanduser() / "email")
    found.append(_REPO_TEMPLATES)
    for prefix in dict.fromkeys([sys.prefix, sysconfig.get_path("data")]):
        found.append(Path(prefix) / _DATA_SUBDIR)
    return found


def require_email_templates() -> Path:
    """The folder whose templates will be used, or a clear error."""
    searched = _candidates()
    for folder in searched:
        if (folder / MARKER).is_file():
            return folder
    places = "\n  ".join(str(d) for d in searched)
    raise EmailTemplateNotFound(
        f"email template {MARKER!r} not found; looked in:\n  {places}\n"
        f"Set {TEMPLATES_ENV} to a folder holding 'email/', or install workbench with its data files."
    )


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
