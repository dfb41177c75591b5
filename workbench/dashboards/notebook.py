"""What the dashboard notebooks' second cell calls, so the cells stay one line each."""

from __future__ import annotations

from pathlib import Path

from workbench.billing.store.workspace import Workspace, open_workspace

__all__ = ["open_dashboard_workspace"]


def open_dashboard_workspace(workspace: str | Path) -> Workspace:
    """Open the workspace a notebook's parameters name. A relative path that does not exist from
    the kernel's folder (notebooks/) is looked up beside it, in the project root, where `make demo`
    puts `demo-workspace`; `workbench serve` always passes an absolute path."""
    path = Path(workspace).expanduser()
    if not path.is_absolute() and not path.exists():
        path = Path.cwd().parent / path
    return open_workspace(path)
