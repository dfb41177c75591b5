"""`statement-pdf`: the statement HTML printed to an A4 PDF by the shared headless Chromium."""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode
from traitlets import Unicode, default

from .printer import DEFAULT_FOOTER, DEFAULT_HEADER, PageLayout, get_printer
from .statement_html import StatementHTMLExporter

__all__ = ["StatementPDFExporter"]


class StatementPDFExporter(StatementHTMLExporter):
    """Renders like `statement-html`, then prints with `printer.get_printer()`.

    Chromium: $WORKBENCH_CHROMIUM, else /usr/bin/chromium. The browser stays up for the whole
    process, so exporting many notebooks pays its start once. Building the exporter starts
    nothing (nbconvert instantiates exporters just to list them).
    """

    export_from_notebook = "Statement PDF"
    output_mimetype = "application/pdf"

    paper = Unicode("A4", help="Paper format for page.pdf (A4, Letter, ...)").tag(config=True)
    margin_top = Unicode("22mm").tag(config=True)
    margin_right = Unicode("16mm").tag(config=True)
    margin_bottom = Unicode("20mm").tag(config=True)
    margin_left = Unicode("16mm").tag(config=True)
    header_template = Unicode(
        DEFAULT_HEADER, help="Chromium header template (classes: title, date, pageNumber, ...)"
    ).tag(config=True)
    footer_template = Unicode(
        DEFAULT_FOOTER, help="Chromium footer template; default 'Page X of Y'"
    ).tag(config=True)
    chromium = Unicode(
        None, allow_none=True, help="Chromium executable (default: $WORKBENCH_CHROMIUM, then "
        "/usr/bin/chromium)"
    ).tag(config=True)

    @default("file_extension")
    def _file_extension_default(self) -> str:
        return ".pdf"

    @default("template_extension")
    def _template_extension_default(self) -> str:
        return ".html.j2"

    def page_layout(self) -> PageLayout:
        return PageLayout(
            paper=self.paper,
            margin_top=self.margin_top,
            margin_right=self.margin_right,
            margin_bottom=self.margin_bottom,
            margin_left=self.margin_left,
            header_template=self.header_template,
            footer_template=self.footer_template,
        )

    def from_notebook_node(  # type: ignore[override]
        self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[bytes, dict[str, Any]]:
        html, resources = super().from_notebook_node(nb, resources=resources, **kw)
        pdf = get_printer(self.chromium).print_pdf(html, self.page_layout())
        resources["output_extension"] = ".pdf"
        return pdf, resources
