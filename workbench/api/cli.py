"""`workbench api DIR` and `workbench api-key create|list|revoke DIR`.

Register them on the main command line with:

    from workbench.api.cli import register as register_api
    register_api(main)

Exit codes as the main CLI: 0 done, 2 usage error, 3 refused, 4 not found / not allowed.
"""

from __future__ import annotations

import ipaddress
import json
import sys
from typing import Any

import click

__all__ = ["api", "api_key", "register"]

REFUSED, NOT_ALLOWED = 3, 4
DEFAULT_PORT = 8870


def _open(directory: str) -> Any:
    from workbench.cli_workspace import open_directory

    return open_directory(directory)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("api", short_help="Serve the billing API (HTTP, with API keys).")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Keep the default unless a TLS proxy sits in front: keys travel in clear.")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]), default="info",
              show_default=True)
def api(directory: str, port: int, host: str, log_level: str) -> None:
    """Serve the billing API of the workspace in DIRECTORY (docs at /docs, description at /openapi.json).

    Every /v1 call but /v1/health needs a key: make one with `workbench api-key create DIR --scope read`.
    """
    import uvicorn

    from workbench.api.app import create_app

    ws = _open(directory)
    if not _is_loopback(host):
        click.echo(f"warning: listening on {host}, not on this machine only; API keys are sent in clear "
                   "unless a TLS proxy is in front", err=True)
    click.echo(f"billing API of {ws.root} on http://{host}:{port}/v1 (docs: http://{host}:{port}/docs)", err=True)
    uvicorn.run(create_app(ws), host=host, port=port, log_level=log_level, server_header=False)


@click.group("api-key", short_help="Create, list and revoke billing API keys.")
def api_key() -> None:
    """Keys for the billing API: create (the secret is shown once), list, revoke."""


@api_key.command("create")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--scope", type=click.Choice(["read", "write", "customer"]), required=True,
              help="read: every GET; write: read + changes; customer: one customer's issued invoices.")
@click.option("--customer", "customer_id", help="The customer a --scope customer key may see.")
@click.option("--name", default="", help="What the key is for, e.g. 'customer portal'.")
@click.option("--json", "as_json", is_flag=True, help="Print {key_id, scope, customer_id, name, key} as JSON.")
def create(directory: str, scope: str, customer_id: str | None, name: str, as_json: bool) -> None:
    """Make a key and print it ONCE: only a hash of its secret is stored."""
    from workbench.api.keys import ApiKeyError, create_key

    if (scope == "customer") != bool(customer_id):  # a usage error (exit 2), found before anything is opened
        raise click.UsageError("--scope customer needs --customer ID" if customer_id is None
                               else "--customer is for a --scope customer key only")
    ws = _open(directory)
    try:
        issued = create_key(ws, scope, customer_id=customer_id, name=name)
    except ApiKeyError as exc:
        click.echo(f"no key made: {exc}", err=True)
        sys.exit(REFUSED)
    if as_json:
        click.echo(json.dumps({"key_id": issued.info.key_id, "scope": issued.info.scope,
                               "customer_id": issued.info.customer_id, "name": issued.info.name, "key": issued.token}))
        return
    click.echo(issued.token)
    click.echo(f"key {issued.info.key_id} ({scope}{' for customer ' + customer_id if customer_id else ''}) made; "
               "copy it now: it cannot be shown again", err=True)


@api_key.command("list")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True)
def list_(directory: str, as_json: bool) -> None:
    """List keys (never their secrets)."""
    from workbench.api.keys import list_keys

    keys = list_keys(_open(directory))
    if as_json:
        click.echo(json.dumps([{"key_id": k.key_id, "name": k.name, "scope": k.scope, "customer_id": k.customer_id,
                                "created_at": k.created_at.isoformat(),
                                "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
                                "last_used_at": k.last_used_at.isoformat() if k.last_used_at else None}
                               for k in keys], indent=2))
        return
    if not keys:
        click.echo("no API keys; make one with `workbench api-key create DIR --scope read`")
        return
    rows = [(k.key_id, k.scope, k.customer_id or "", k.name, f"{k.created_at:%Y-%m-%d %H:%M}",
             f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "never",
             f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active") for k in keys]
    header = ("key id", "scope", "customer", "name", "created (UTC)", "last used", "state")
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())


@api_key.command("revoke")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.argument("key_id")
@click.option("--reason", default="", help="Recorded in the audit trail.")
def revoke(directory: str, key_id: str, reason: str) -> None:
    """Revoke a key by its id: its next request is refused (401)."""
    from workbench.api.keys import ApiKeyError, revoke_key

    try:
        info = revoke_key(_open(directory), key_id, reason=reason)
    except ApiKeyError as exc:
        click.echo(f"nothing revoked: {exc}", err=True)
        sys.exit(NOT_ALLOWED)
    click.echo(f"key {info.key_id} revoked")


def register(main: click.Group) -> None:
    main.add_command(api)
    main.add_command(api_key)
