"""The workspace a command line names: one way for every `workbench` command to open it.

A directory that is not a usable workspace (no marker, an external database without its URL, a
newer format, a missing database file) is a usage error like any bad argument: exit 2, with the
store's message, which says what to do. A database server that does not answer is exit 3.
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


class DatabaseUnreachable(click.ClickException):
    """The workspace's database server did not answer: nothing was done (exit 3)."""

    exit_code = 3


@contextmanager
def workspace_argument(param_hint: str = "DIRECTORY") -> Iterator[None]:
    """Turn a WorkspaceError raised inside into click's bad-argument error (exit 2), and a
    database that cannot be reached or read into one line saying so (exit 3), not a traceback."""
    from sqlalchemy.exc import DatabaseError, OperationalError

    from workbench.billing.store.workspace import WorkspaceError

    try:
        yield
    except WorkspaceError as exc:
        raise click.BadParameter(str(exc), param_hint=param_hint) from None
    except DatabaseError as exc:  # OperationalError among them
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else ""
        if not isinstance(exc, OperationalError):  # reached, but not readable: a damaged or foreign SQLite file
            raise DatabaseUnreachable(
                f"the workspace's database cannot be read: {reason or 'unreadable'}. Nothing was done; restore "
                "its workbench.db from a backup of the workspace folder (a database server: ask its "
                "administrator)") from None
        if "database is locked" in reason:  # SQLite: another command kept writing past the busy timeout
            from workbench.billing.store.migrate import SQLITE_BUSY_TIMEOUT_S

            raise DatabaseUnreachable(
                f"the workspace's database is busy: another workbench command (an import, generate or month "
                f"end) kept it locked for over {SQLITE_BUSY_TIMEOUT_S} s. Nothing was done; run this again when "
                "that command has finished") from None
        raise DatabaseUnreachable(
            f"cannot open the workspace's database: {reason or 'no answer'}. Nothing was done; check the "
            "database URL (--db or WORKBENCH_DB_URL) and that its server is running") from None


def open_directory(directory: str, param_hint: str = "DIRECTORY") -> Workspace:
    """The workspace in `directory`, migrated to this version, or exit 2 saying why not. A
    workspace with its own SQLite file given `--db` on the command line is refused (exit 2: the
    command would act on other data than the database named); WORKBENCH_DB_URL, set for a
    team's workspaces, is ignored for it, and said so."""
    from click.core import ParameterSource

    from workbench.billing.store.workspace import DB_FILE, open_workspace, read_marker

    with workspace_argument(param_hint):
        context = click.get_current_context(silent=True)
        root = context.find_root() if context is not None else None
        if root is not None and root.params.get("db"):
            if read_marker(Path(directory).expanduser().resolve()).get("database") != "external":
                if root.get_parameter_source("db") is ParameterSource.COMMANDLINE:
                    raise click.UsageError(
                        f"{directory} keeps its data in its own {DB_FILE}, not in the database --db names: "
                        f"nothing was done. Leave --db out to work on {directory}'s own data; --db is for a "
                        "workspace made with `workbench --db URL init`")
                click.echo(f"warning: {directory} keeps its data in its own {DB_FILE}: WORKBENCH_DB_URL is "
                           "ignored (it names the database of a workspace made with `workbench --db URL init`)",
                           err=True)
        return open_workspace(Path(directory))
