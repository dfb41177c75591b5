"""One small workspace with October's three invoices, shared by the render tests (read only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.billing.generate import GeneratedInvoice
from workbench.billing.store.workspace import Workspace

from .small_workspace import build_small_workspace, generate_october


@pytest.fixture(scope="session")
def october(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, dict[str, GeneratedInvoice]]:
    root: Path = tmp_path_factory.mktemp("render") / "ws"
    ws = build_small_workspace(root)
    return ws, generate_october(ws)
