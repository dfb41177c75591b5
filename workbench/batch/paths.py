"""Where the month end's invoice notebook is (light: the command line imports it for --help)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DEFAULT_NOTEBOOK"]

# the checkout's notebooks/ (an editable install runs from the checkout)
DEFAULT_NOTEBOOK = Path(__file__).resolve().parent.parent.parent / "notebooks" / "invoice.ipynb"
