"""A fresh small workspace per test (month end writes invoices and files into it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.billing.store.workspace import Workspace

from render.small_workspace import build_small_workspace  # tests/render: the same worked example


@pytest.fixture
def small_ws(tmp_path: Path) -> Workspace:
    return build_small_workspace(tmp_path / "ws")
