"""`workbench notify`: settings, sending and the outbox (`workbench.billing.notify` underneath).

Registered by the main CLI with `from workbench.cli_notify import notify`
(and `main.add_command(notify)`). Approving an invoice queues its email wherever it is approved:
the hook is the `workbench.issue_hooks` entry point.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # the commands import what they use: `workbench --help` loads none of it
    from workbench.billing.notify.settings import NotifySettings
    from workbench.billing.store.workspace import Workspace

__all__ = ["notify"]

DIRECTORY = click.argument("directory", type=click.Path(exists=True, file_okay=False))


def _open(directory: str) -> Workspace:
    from workbench.cli_workspace import open_directory

    return open_directory(directory, "DIRECTORY")


def _show_settings(s: NotifySettings) -> None:
    for key, value in s.as_settings().items():
        click.echo(f"{key:20} {value}")


@click.group(short_help="Email customers their issued invoices (outbox, SMTP).")
def notify() -> None:
    """Email customers when their invoice is issued (Open), through an outbox sent over SMTP.

    \b
      workbench notify settings ws --host smtp.example.com --port 587 --starttls \\
          --username billing --password-env SMTP_PASSWORD --from billing@example.com --on-open
      workbench invoices approve ws AWS-202510-00001     # queues the email with the status change
      workbench notify send ws                           # sends what is due (run it from cron)
      workbench notify outbox ws
    """


@notify.command("settings")
@DIRECTORY
@click.option("--host", help="SMTP server host name.")
@click.option("--port", type=click.IntRange(1, 65535), help="SMTP port (25, 587 ...).")
@click.option("--starttls/--no-starttls", default=None, help="Upgrade the connection with STARTTLS.")
@click.option("--username", help="Log in with this user name (empty: no login).")
@click.option("--password-env", metavar="VAR",
              help="Environment variable holding the SMTP password (the password itself is never stored).")
@click.option("--from", "from_address", metavar="ADDRESS", help="Sender address (default: the reseller's contact_email).")
@click.option("--on-open/--no-on-open", default=None, help="Queue an email when an invoice becomes Open.")
@click.option("--attach-pdf/--no-attach-pdf", default=None, help="Attach the invoice PDF.")
def settings_command(directory: str, host: str | None, port: int | None, starttls: bool | None, username: str | None,
                     password_env: str | None, from_address: str | None, on_open: bool | None,
                     attach_pdf: bool | None) -> None:
    """Show the notify and SMTP settings of DIRECTORY, changing those given first."""
    from workbench.billing.notify.settings import SettingsError, set_notify_settings

    ws = _open(directory)
    try:
        current = set_notify_settings(ws, host=host, port=port, starttls=starttls, username=username,
                                      password_env=password_env, from_address=from_address, on_open=on_open,
                                      attach_pdf=attach_pdf)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None
    _show_settings(current)


@notify.command("send")
@DIRECTORY
@click.option("--max-attempts", default=5, show_default=True, type=click.IntRange(1, 100),
              help="Give a message up after this many failed attempts.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def send_command(directory: str, max_attempts: int, as_json: bool) -> None:
    """Send the messages that are due now and print what happened.

    Exit code 0 when everything due was sent, 1 when something is waiting for a retry, failed,
    or the run stopped (server unreachable, SMTP not configured), 130 when interrupted (Ctrl-C):
    the message being sent is recorded as the server answered before the run stops.
    """
    from workbench.billing.notify.sender import StoppedMidSend, send_pending

    try:
        report = send_pending(_open(directory), max_attempts=max_attempts)
    except StoppedMidSend:
        click.echo("interrupted (twice) before the outcome of the message being sent was recorded: it stays "
                   "'sending' and goes again, with the same Message-ID, after its 10-minute lease; run "
                   "`workbench notify send` again then", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("interrupted: every message the server accepted is recorded as sent and the others wait in "
                   "the outbox; run `workbench notify send` again to send them", err=True)
        sys.exit(130)
    if as_json:
        doc = {"deliveries": [dataclasses.asdict(d) for d in report.deliveries],
               "reclaimed": list(report.reclaimed), "stopped": report.stopped}
        click.echo(json.dumps(doc, indent=2, default=_iso))
    else:
        click.echo(str(report))
    sys.exit(0 if report.ok else 1)


@notify.command("outbox")
@DIRECTORY
@click.option("--status", type=click.Choice(["pending", "sending", "sent", "failed", "cancelled"]), help="Only this status.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def outbox_command(directory: str, status: str | None, as_json: bool) -> None:
    """List queued messages with their status, attempts and last error."""
    from workbench.billing.notify.outbox import list_outbox

    entries = list_outbox(_open(directory), status=status)
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(e) for e in entries], indent=2, default=_iso))
        return
    if not entries:
        click.echo("the outbox is empty")
        return
    for e in entries:
        when = f"sent {e.sent_at:%Y-%m-%d %H:%M}" if e.sent_at else f"next {e.next_attempt_at:%Y-%m-%d %H:%M}"
        click.echo(f"{e.id:>5}  {e.status:8} {e.attempts} attempt(s)  {when}  {e.invoice_number or '-'}  {e.to_address}")
        click.echo(f"       {e.message_id}")
        if e.last_error and e.status != "sent":
            click.echo(f"       last error: {e.last_error}")


@notify.command("retry")
@DIRECTORY
@click.argument("ids", nargs=-1, required=True, type=int)
def retry_command(directory: str, ids: tuple[int, ...]) -> None:
    """Queue failed messages (by outbox id) again, with a fresh set of attempts."""
    from workbench.billing.notify.outbox import requeue_failed

    moved = requeue_failed(_open(directory), list(ids))
    for outbox_id in ids:
        click.echo(f"{outbox_id}: {'queued again' if outbox_id in moved else 'not failed (sent or still queued): unchanged'}")
    sys.exit(0 if len(moved) == len(ids) else 1)


def _iso(value: object) -> object:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(type(value).__name__)
