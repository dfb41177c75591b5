"""Files the workspace writes get the mode a plain open() would give them (0666 less the umask),
as the exported statements do: a team sharing a workspace folder (a group umask of 027 here)
can read its workspace.json and its exported tables, which mkstemp's 0600 used to hide."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.billing.store.table_export import export_tables
from workbench.billing.store.workspace import MARKER, init_workspace


@pytest.fixture
def group_umask() -> Iterator[None]:
    before = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_workspace_marker_and_exported_tables_follow_the_umask(tmp_path: Path, group_umask: None) -> None:
    ws = init_workspace(tmp_path / "ws", name="Shared")
    assert mode(ws.root / MARKER) == 0o640

    folder = tmp_path / "tables"
    folder.mkdir()
    written = export_tables(ws, folder)
    workbook = export_tables(ws, tmp_path / "tables.xlsx")
    assert written and {p.name: mode(p) for p in written} == {p.name: 0o640 for p in written}
    assert [mode(p) for p in workbook] == [0o640]


def test_a_replaced_file_keeps_its_mode(tmp_path: Path, group_umask: None) -> None:
    ws = init_workspace(tmp_path / "ws")
    target = tmp_path / "tables.xlsx"
    export_tables(ws, target)
    target.chmod(0o644)
    export_tables(ws, target)
    assert mode(target) == 0o644
