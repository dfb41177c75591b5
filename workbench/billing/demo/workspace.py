"""`workbench demo DIR`: a complete demo workspace from the generated data set.

Writes the deterministic data set into DIR/imports (vendor files in their real formats and the
workspace table files), creates the workspace in DIR and imports everything, exactly as an
analyst would with `workbench init`, `customers import` and `import`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from workbench.billing.core.problems import ProblemsError, Severity
from workbench.billing.demo.dataset import DemoFiles, write_demo_dataset
from workbench.billing.store.report_import import import_reports
from workbench.billing.store.table_import import import_tables
from workbench.billing.store.workspace import MARKER, Workspace, WorkspaceError, init_workspace

Echo = Callable[[str], None]


def build_demo(
    path: Path, *, today: dt.date | None = None, customers: int = 25, echo: Echo | None = None
) -> tuple[Workspace, DemoFiles]:
    """Create and fill a demo workspace in `path` (new or empty). No invoices are generated.

    A directory that holds anything, a workspace above all, is refused (WorkspaceError): the
    demo's reseller profile, FX rates, customers and reports would land in it."""
    say = echo or (lambda _text: None)
    today = today or dt.date.today()
    root = Path(path).expanduser()
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        what = "a workspace" if (root / MARKER).exists() else "not empty"
        raise WorkspaceError(f"{root.resolve()} is {what}: the demo builds a new workspace (its reseller, FX rates, "
                             "customers and reports would overwrite or mix with what is there); choose a new or empty "
                             "directory")
    ws = init_workspace(Path(path), name="Demo reseller")
    files = write_demo_dataset(ws.imports_dir, today=today, customers=customers)
    say(f"demo data for {', '.join(sorted({p for _v, _a, p in files.expected}))} written to {ws.imports_dir}")
    summary, problems = import_tables(ws, [*files.tables], actor="user:demo")
    if any(p.severity is Severity.ERROR for p in problems):
        raise ProblemsError(tuple(problems))
    say(f"imported reference tables: {summary.changed} rows")
    outcome = import_reports(ws, list(files.reports), today=today)
    refused = [p for p in outcome.problems if p.severity is Severity.ERROR]
    if refused:
        raise ProblemsError(tuple(refused))
    for f in outcome.files:
        say(f"imported {f.path.name}: {f.format}, {f.row_count:,} rows")
    return ws, files
