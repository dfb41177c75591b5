"""Fixtures shared by every test folder."""

from __future__ import annotations

import datetime as dt
import shutil
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from workbench.billing.store.workspace import Workspace, open_workspace

DEMO_TODAY = dt.date(2025, 11, 25)  # the demo has usage for 2025-09 and 2025-10

# Several tests press Ctrl-C on a command they start (SIGINT to its process). A suite started in
# the background of a shell without job control (`make test &`, nohup, some CI runners) inherits
# SIGINT *ignored*, and so would every command it starts: Python keeps an inherited SIG_IGN, and
# the command would run on as if no one had pressed Ctrl-C. A handler of ours is reset to the
# default at exec, so the commands get Ctrl-C as from a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def demo_workspace_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated demo workspace (3 vendors, ~25 customers, 2025-09 and 2025-10, no invoices).

    Built once per test session: tests that write must use `demo_workspace_copy`."""
    from workbench.billing.demo.workspace import build_demo

    path = tmp_path_factory.mktemp("demo") / "ws"
    ws, _files = build_demo(path, today=DEMO_TODAY)
    ws.close()
    return path


@pytest.fixture(scope="session")
def demo_workspace(demo_workspace_dir: Path) -> Iterator[Workspace]:
    ws = open_workspace(demo_workspace_dir)
    yield ws
    ws.close()


@pytest.fixture
def demo_workspace_copy(demo_workspace_dir: Path, tmp_path: Path) -> Iterator[Workspace]:
    """A private copy of the demo workspace that a test may change."""
    target = tmp_path / "demo-copy"
    shutil.copytree(demo_workspace_dir, target)
    ws = open_workspace(target)
    yield ws
    ws.close()


InstallPlugin = Callable[[str, dict[str, str], dict[str, str]], Path]


@pytest.fixture
def exporter_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InstallPlugin]:
    """Install a throwaway plug-in package the way pip lays one out, for this test only:

        root = exporter_plugin("acme", {"jsonl": "acme_jsonl:JsonLinesExporter"}, {"acme_jsonl.py": SOURCE})

    writes the modules and `acme-0.1.dist-info/` (METADATA, entry_points.txt in the group
    `workbench.exporters`) into a folder put first on sys.path, so importlib.metadata finds real
    entry points. Returns the folder: a subprocess needs it on PYTHONPATH."""
    modules: set[str] = set()

    def install(dist: str, points: dict[str, str], files: dict[str, str]) -> Path:
        root = tmp_path / "plugins" / dist
        info = root / f"{dist.replace('-', '_')}-0.1.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text(
            "[workbench.exporters]\n" + "".join(f"{name} = {value}\n" for name, value in points.items()))
        for relative, source in files.items():
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_text(source)
            modules.add(Path(relative).parts[0].removesuffix(".py"))
        monkeypatch.syspath_prepend(str(root))
        return root

    yield install
    for name in [n for n in sys.modules if n.partition(".")[0] in modules]:
        del sys.modules[name]
