"""notebooks/usage_explorer.ipynb run by papermill on the inline workspace: the page builds the
app and displays its widget tree (what Voila renders)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill

NOTEBOOK = Path(__file__).parent.parent.parent / "notebooks" / "usage_explorer.ipynb"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_the_page_has_a_parameters_cell_and_stays_thin() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert 'workspace = os.environ.get("WORKBENCH_WORKSPACE", "demo-workspace")' in code[0].source
    assert "today = " in code[0].source
    assert len(code) == 3 and "build_usage_explorer(" in code[1].source
    # preheated by `workbench serve`: the last cell waits for the visit and catches up
    assert code[2].source.startswith("catch_up_when_visited(app)")


def test_the_page_shows_no_developer_text_and_opens_the_workspace_as_the_other_dashboards() -> None:
    """Voila strips code but shows markdown: a note on how to serve the page is for developers
    (a code comment). The workspace opens through `open_dashboard_workspace`, which also installs
    the filter that keeps a server stop quiet."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert [c.cell_type for c in nb.cells] == ["code", "code", "code"]
    assert "open_dashboard_workspace(workspace)" in nb.cells[1].source
    assert "open_workspace(" not in nb.cells[1].source.replace("open_dashboard_workspace(", "")
    assert "Path.cwd()" not in "".join(c.source for c in nb.cells)  # no second copy of its lookup


def test_the_page_runs_and_displays_the_explorer(analytics_ws, tmp_path) -> None:
    out = tmp_path / "usage_explorer.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), parameters={"workspace": str(analytics_ws.root), "today": "2025-11-25"},
                               kernel_name="python3", progress_bar=False, cwd=str(NOTEBOOK.parent))
    nb = nbformat.read(out, as_version=4)
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert [o["output_type"] for o in shown] == ["display_data"]
    assert WIDGET_VIEW in shown[0]["data"]
    assert "VBox" in shown[0]["data"]["text/plain"]


def test_a_read_only_server_s_page_writes_nothing_into_the_workspace(tmp_path) -> None:
    """`workbench serve --read-only` (WORKBENCH_READ_ONLY=1) is a manager's view: the page opens the
    workspace through `read_only_view`, so the day summaries its daily chart reads are written to
    the user's cache, not beside the usage (a preheated explorer wrote them into the workspace of a
    read-only server before anyone visited). The analyst's page writes them into the workspace."""
    from .conftest import build

    def files(root: Path) -> set[str]:
        return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and "-journal" not in p.name}

    for read_only in (True, False):
        ws = build(tmp_path / ("manager" if read_only else "analyst"))
        root = ws.root
        ws.close()
        before = files(root)
        papermill.execute_notebook(str(NOTEBOOK), str(tmp_path / "out.ipynb"), kernel_name="python3", progress_bar=False,
                                   parameters={"workspace": str(root), "today": "2025-11-25", "read_only": read_only},
                                   cwd=str(NOTEBOOK.parent))
        written = sorted(files(root) - before)
        if read_only:
            assert written == []
        else:
            assert written and all(name.endswith(".days.parquet") or "/." in name for name in written), written
