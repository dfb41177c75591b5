"""`statement-html`: a notebook's outputs as a billing statement page (no code, no prompts)."""

from __future__ import annotations

from typing import Any

from nbconvert.exporters import HTMLExporter
from nbformat import NotebookNode
from traitlets import default
from traitlets.config import Config

from .invoice import iter_invoice_payloads
from .preprocessors import InvoiceOutputPreprocessor, NumericCellPreprocessor
from .templates import TEMPLATE_NAME, require_statement_template, template_basedirs

__all__ = ["StatementHTMLExporter", "statement_title"]


def statement_title(nb: NotebookNode, fallback: str) -> str:
    """The page title: notebook metadata `title`, else `Invoice <number>`, else `fallback`."""
    title = nb.get("metadata", {}).get("title")
    if isinstance(title, str) and title:
        return title
    for _, payload in iter_invoice_payloads(nb):
        number = payload.get("number") if isinstance(payload, dict) else None
        if isinstance(number, str) and number:
            return f"Invoice {number}"
    return fallback


class StatementHTMLExporter(HTMLExporter):
    """HTML through the `statement` template; inputs and prompts excluded.

    Cells tagged `remove-cell` are dropped and `remove-output` loses its outputs (nbconvert's
    TagRemovePreprocessor, configured here). The invoice output (`INVOICE_MIMETYPE`) shows only
    through its `text/html` view.
    """

    export_from_notebook = "Statement HTML"

    @default("template_name")
    def _template_name_default(self) -> str:
        return TEMPLATE_NAME

    @default("extra_template_basedirs")
    def _extra_template_basedirs_default(self) -> list[str]:
        # nbconvert's default is the working directory; a statement must not change with it.
        return template_basedirs()

    @default("optimistic_validation")
    def _optimistic_validation_default(self) -> bool:
        # the notebook is validated once, after the last preprocessor, not after each of the ~25
        # (nearly all disabled) that nbconvert runs: 10 ms of a month end's 40 ms per statement
        return True

    @default("exclude_input")
    def _exclude_input_default(self) -> bool:
        return True

    @default("exclude_input_prompt")
    def _exclude_input_prompt_default(self) -> bool:
        return True

    @default("exclude_output_prompt")
    def _exclude_output_prompt_default(self) -> bool:
        return True

    @property
    def default_config(self) -> Config:
        ours = Config(
            {
                "TagRemovePreprocessor": {
                    "enabled": True,
                    "remove_cell_tags": {"remove-cell"},
                    "remove_all_outputs_tags": {"remove-output"},
                },
            }
        )
        merged: Config = super().default_config.copy()
        merged.merge(ours)
        return merged

    def __init__(self, **kw: Any) -> None:
        if not kw.get("extra_template_basedirs") and not template_basedirs():
            # Only the Jupyter data directories remain: fail with every place searched, before
            # nbconvert fails with a list that leaves out the ones that matter.
            require_statement_template()
        super().__init__(**kw)  # type: ignore[no-untyped-call]
        for preprocessor in (InvoiceOutputPreprocessor, NumericCellPreprocessor):
            self.register_preprocessor(preprocessor, enabled=True)  # type: ignore[no-untyped-call]

    def from_notebook_node(  # type: ignore[override]  # nbconvert annotates the node type
        self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        resources = self._init_resources(resources)  # type: ignore[no-untyped-call]
        name = resources.get("metadata", {}).get("name") or "Statement"
        resources["statement_title"] = statement_title(nb, str(name))
        html, resources = super().from_notebook_node(nb, resources, **kw)
        return html, resources
