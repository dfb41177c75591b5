"""Where the month end's invoice notebook is (light: the command line imports it for --help)."""

from __future__ import annotations

from pathlib import Path

from workbench import shipped

__all__ = ["DEFAULT_NOTEBOOK"]

NOTEBOOK = "invoice.ipynb"


def _default() -> Path:
    """`notebooks/invoice.ipynb` of the checkout or of the installed data files (`workbench.shipped`);
    the last place searched when none has it, so that the error names a path."""
    try:
        return shipped.find("notebooks", NOTEBOOK, "WORKBENCH_NOTEBOOKS") / NOTEBOOK
    except shipped.NotShipped:
        return shipped.places("notebooks", "WORKBENCH_NOTEBOOKS")[-1] / NOTEBOOK


DEFAULT_NOTEBOOK = _default()
