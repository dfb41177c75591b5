"""What the dashboard notebooks call, so the cells stay one line each.

    app = build_billing_app(open_dashboard_workspace(workspace), ...)
    display(app.widget)
    catch_up_when_visited(app)   # last cell

`workbench serve` preheats the dashboards: Voila runs the notebook in a kernel before anyone asks
for the page, possibly hours before. The last cell then waits for the visitor's request and lets
the app refresh what changed since it was built (`app.catch_up()`); in a kernel started for the
visit (or papermill, or a test) it returns at once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from workbench import quiet_stop
from workbench.billing.store.audit import Stamp, stamp
from workbench.billing.store.workspace import Workspace, open_workspace

__all__ = ["Stamp", "catch_up_when_visited", "open_dashboard_workspace", "stamp"]


def open_dashboard_workspace(workspace: str | Path) -> Workspace:
    """Open the workspace a notebook's parameters name. A relative path that does not exist from
    the kernel's folder (notebooks/) is looked up beside it, in the project root, where `make demo`
    puts `demo-workspace`; `workbench serve` always passes an absolute path."""
    quiet_stop.install()  # for a kernel not started by `workbench serve` (whose kernels load it at start)
    path = Path(workspace).expanduser()
    if not path.is_absolute() and not path.exists():
        path = Path.cwd().parent / path
    return open_workspace(path)


class CatchesUp(Protocol):
    def catch_up(self) -> bool: ...


def catch_up_when_visited(app: CatchesUp) -> None:
    """In a kernel Voila preheated, wait for the visitor's request, then `app.catch_up()`.
    Returns None, so that the notebook cell shows nothing."""
    if os.environ.get("VOILA_PREHEAT") != "True":  # Voila sets it "True" in pool kernels only
        return
    from voila.utils import wait_for_request

    wait_for_request()
    app.catch_up()
