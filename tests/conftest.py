"""Fixtures shared by every test folder."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.billing.store.workspace import Workspace, open_workspace

DEMO_TODAY = dt.date(2025, 11, 25)  # the demo has usage for 2025-09 and 2025-10


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
