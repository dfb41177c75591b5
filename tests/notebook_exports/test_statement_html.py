"""statement-html: a statement shows outputs only, laid out for print."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from nbconvert.exporters import HTMLExporter

from workbench.nbexport import (
    StatementHTMLExporter,
    StatementTemplateNotFound,
    require_statement_template,
    template_basedirs,
)
from workbench.nbexport import templates as template_lookup
from workbench.nbexport.preprocessors import is_figure, mark_figures

from .statements import CODE_MARKER, statement_notebook

REPO_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def render(**kw: object) -> str:
    html, _ = StatementHTMLExporter(**kw).from_notebook_node(statement_notebook())
    return html


def test_statement_shows_outputs_and_no_code() -> None:
    html = render()

    assert "Acme Widgets GmbH" in html
    assert "1,234.57" in html
    assert '<img alt="Figure" src="data:image/png;base64,' in html
    assert '<img alt="Figure" src="data:image/svg+xml;base64,' in html
    assert CODE_MARKER not in html
    assert "show_statement" not in html
    assert "In&nbsp;[" not in html and "Out[" not in html


def test_statement_leaves_out_logs_hidden_cells_scripts_and_the_raw_invoice() -> None:
    html = render()

    assert "noisy log" not in html  # stderr
    assert "INTERNAL MARGIN" not in html  # cell tagged remove-cell
    assert "<script" not in html  # no require.js, MathJax or widget loaders: prints offline
    assert "raw repr that must not print" not in html  # invoice output has no HTML view
    assert '"lines"' not in html


def test_statement_page_is_a4_print_css_with_system_fonts() -> None:
    html = render()

    assert "size: A4" in html
    assert "sans-serif" in html
    assert "@import" not in html and "fonts.googleapis" not in html and "url(http" not in html


def test_title_names_the_invoice() -> None:
    assert "<title>Invoice INV-2024-0042</title>" in render()


def test_figure_cells_are_marked_for_right_alignment() -> None:
    html = render()

    assert '<td class="num">1,000.00</td>' in html
    assert '<th class="num">Amount</th>' in html  # the column holds figures only
    assert "<td>Compute</td>" in html  # text stays left
    assert "<th>Description</th>" in html


@pytest.mark.parametrize(
    "text", ["1,234.57", "-12.00", "(3.50)", "12 %", "EUR 10.00", "10.00 EUR", "€1,000", "0"]
)
def test_figures(text: str) -> None:
    assert is_figure(text)


@pytest.mark.parametrize("text", ["Compute", "2024-01-31", "1.2 TB", "", "INV-0042"])
def test_not_figures(text: str) -> None:
    assert not is_figure(text)


def test_html_without_tables_is_left_untouched() -> None:
    text = "<p>Thanks for your business &amp; see you <b>soon</b></p>"
    assert mark_figures(text) is text


def test_template_alone_hides_code_even_with_inputs_enabled() -> None:
    exporter = HTMLExporter(template_name="statement", extra_template_basedirs=template_basedirs())
    html, _ = exporter.from_notebook_node(statement_notebook())

    assert CODE_MARKER not in html
    assert "Acme Widgets GmbH" in html


def test_template_is_found_in_the_checkout() -> None:
    assert require_statement_template() == REPO_TEMPLATES / "statement"
    assert template_basedirs() == [str(REPO_TEMPLATES)]


def test_template_folder_can_be_overridden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(REPO_TEMPLATES / "statement", tmp_path / "statement")
    index = tmp_path / "statement" / "index.html.j2"
    index.write_text(index.read_text().replace("<main", "<!-- override --><main"))
    monkeypatch.setenv("WORKBENCH_TEMPLATES", str(tmp_path))

    assert "<!-- override -->" in render()


def test_missing_template_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKBENCH_TEMPLATES", raising=False)
    monkeypatch.setattr(template_lookup, "_REPO_TEMPLATES", tmp_path)

    with pytest.raises(StatementTemplateNotFound, match="WORKBENCH_TEMPLATES") as caught:
        StatementHTMLExporter()
    assert str(tmp_path / "statement") in str(caught.value)
