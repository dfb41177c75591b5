"""Where the `statement` nbconvert template lives.

Lookup order, first hit wins:

1. `$WORKBENCH_TEMPLATES`: a folder holding `statement/` (to try a modified template).
2. The source checkout: `<repo>/templates/`, found relative to this file
   (`workbench/nbexport/templates.py` -> `../../templates`). Covers `pip install -e .`.
3. Jupyter's data directories (`<prefix>/share/jupyter/nbconvert/templates/statement`), where a
   wheel puts the template when it ships it as data files; nbconvert searches these itself.

`template_basedirs()` returns the folders for `extra_template_basedirs` (possibly empty when
only 3. applies); `require_statement_template()` raises `StatementTemplateNotFound` naming every
place it looked, instead of nbconvert's generic error.
"""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_core.paths import jupyter_path

__all__ = [
    "TEMPLATE_NAME",
    "TEMPLATES_ENV",
    "StatementTemplateNotFound",
    "template_basedirs",
    "require_statement_template",
]

TEMPLATE_NAME = "statement"
TEMPLATES_ENV = "WORKBENCH_TEMPLATES"
_REPO_TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"


class StatementTemplateNotFound(FileNotFoundError):
    """The `statement` template is in none of the places searched."""


def _has_statement(basedir: Path) -> bool:
    return (basedir / TEMPLATE_NAME / "conf.json").is_file()


def _candidates() -> list[Path]:
    found: list[Path] = []
    override = os.environ.get(TEMPLATES_ENV)
    if override:
        found.append(Path(override).expanduser())
    found.append(_REPO_TEMPLATES)
    return found


def _jupyter_candidates() -> list[Path]:
    return [Path(p) for p in jupyter_path("nbconvert", "templates")]


def template_basedirs() -> list[str]:
    """Folders to add to `TemplateExporter.extra_template_basedirs` (may be empty)."""
    return [str(d) for d in _candidates() if _has_statement(d)]


def require_statement_template() -> Path:
    """The folder holding the `statement` template that will be used, or a clear error."""
    searched = _candidates() + _jupyter_candidates()
    for basedir in searched:
        if _has_statement(basedir):
            return basedir / TEMPLATE_NAME
    places = "\n  ".join(str(d / TEMPLATE_NAME) for d in searched)
    raise StatementTemplateNotFound(
        f"nbconvert template {TEMPLATE_NAME!r} not found; looked in:\n  {places}\n"
        f"Set {TEMPLATES_ENV} to the folder holding '{TEMPLATE_NAME}/', or install the "
        "package with the template as data files."
    )
