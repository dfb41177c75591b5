"""The workspace a command line names: one way for every `workbench` command to open it.

A directory that is not a usable workspace (no marker, an external database without its URL, a
newer format) is a usage error like any bad argument: exit 2, with the store's message, which
says what to do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from workbench.billing.store.workspace import Workspace

__all__ = ["open_directory", "workspace_argument"]


@contextmanager
def workspace_argument(param_hint: str = "DIRECTORY") -> Iterator[None]:
    """Turn a WorkspaceError raised inside into click's bad-argument error (exit 2)."""
    from workbench.billing.store.workspace import WorkspaceError

    try:
        yield
    except WorkspaceError as exc:
        raise click.BadParameter(str(exc), param_hint=param_hint) from None


def open_directory(directory: str, param_hint: str = "DIRECTORY") -> Workspace:
    """The workspace in `directory`, migrated to this version, or exit 2 saying why not."""
    from workbench.billing.store.workspace import open_workspace

    with workspace_argument(param_hint):
        return open_workspace(Path(directory))
