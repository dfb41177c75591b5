"""Notification and SMTP settings, kept as `Setting` rows (key/value text) in the workspace.

The SMTP password is never stored: `smtp.password_env` names the environment variable that
holds it, read by the sender at send time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import parseaddr

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.billing.store import audit
from workbench.billing.store.models import Setting
from workbench.billing.store.workspace import Workspace

__all__ = ["KEYS", "NotifySettings", "SettingsError", "notify_settings", "read_notify_settings", "set_notify_settings"]

# dataclass field -> Setting key
KEYS: dict[str, str] = {
    "on_open": "notify.on_open",
    "attach_pdf": "notify.attach_pdf",
    "host": "smtp.host",
    "port": "smtp.port",
    "starttls": "smtp.starttls",
    "username": "smtp.username",
    "password_env": "smtp.password_env",
    "from_address": "smtp.from",
}
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off", ""}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DEFAULT_PORT = 25


class SettingsError(ValueError):
    """A notify/SMTP setting that cannot be used (bad port, address, variable name...)."""


@dataclass(frozen=True, slots=True)
class NotifySettings:
    on_open: bool = False  # queue the "New customer invoice" email when an invoice becomes Open
    attach_pdf: bool = False  # attach <number>.pdf to that email
    host: str = ""
    port: int = DEFAULT_PORT
    starttls: bool = False
    username: str = ""  # empty: no login
    password_env: str = ""  # name of the environment variable holding the password
    from_address: str = ""  # empty: the reseller's contact_email

    def as_settings(self) -> dict[str, str]:
        """The `Setting` rows, as stored text."""
        out = {}
        for name, key in KEYS.items():
            value = getattr(self, name)
            out[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
        return out


def _bool(key: str, text: str) -> bool:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise SettingsError(f"setting {key} = {text!r}: expected true or false")


def _port(text: str) -> int:
    try:
        port = int(text.strip() or DEFAULT_PORT)
    except ValueError:
        raise SettingsError(f"setting smtp.port = {text!r}: expected a whole number such as 25 or 587") from None
    if not 1 <= port <= 65535:
        raise SettingsError(f"setting smtp.port = {port}: expected 1..65535")
    return port


def _parse(values: dict[str, str]) -> NotifySettings:
    def text(name: str) -> str:
        return values.get(KEYS[name], "").strip()

    found = NotifySettings(
        on_open=_bool(KEYS["on_open"], text("on_open")),
        attach_pdf=_bool(KEYS["attach_pdf"], text("attach_pdf")),
        host=text("host"),
        port=_port(text("port")),
        starttls=_bool(KEYS["starttls"], text("starttls")),
        username=text("username"),
        password_env=text("password_env"),
        from_address=text("from_address"),
    )
    _check(found)
    return found


def _check(s: NotifySettings) -> None:
    if s.password_env and not _ENV_NAME.match(s.password_env):
        raise SettingsError(
            f"smtp.password_env = {s.password_env!r}: give the NAME of an environment variable (e.g. SMTP_PASSWORD), "
            "never the password itself"
        )
    if s.from_address and "@" not in parseaddr(s.from_address)[1]:
        raise SettingsError(f"smtp.from = {s.from_address!r}: expected an address such as billing@example.com")
    if any(c in s.host for c in " /"):
        raise SettingsError(f"smtp.host = {s.host!r}: expected a host name such as smtp.example.com")


def read_notify_settings(session: Session) -> NotifySettings:
    rows = session.execute(select(Setting.key, Setting.value).where(Setting.key.in_(list(KEYS.values()))))
    return _parse({key: value or "" for key, value in rows})


def notify_settings(ws: Workspace) -> NotifySettings:
    """The workspace's notify/SMTP settings (defaults for keys never set)."""
    with ws.session() as session:
        return read_notify_settings(session)


def set_notify_settings(
    ws: Workspace,
    *,
    on_open: bool | None = None,
    attach_pdf: bool | None = None,
    host: str | None = None,
    port: int | None = None,
    starttls: bool | None = None,
    username: str | None = None,
    password_env: str | None = None,
    from_address: str | None = None,
    actor: str | None = None,
) -> NotifySettings:
    """Change the settings given (None leaves one as it is); checked first, audited, one transaction."""
    if port is not None:
        _port(str(port))

    def text(new: str | None, old: str) -> str:
        return old if new is None else new.strip()

    def flag(new: bool | None, old: bool) -> bool:
        return old if new is None else new

    with ws.session() as session:
        before = read_notify_settings(session)
        after = NotifySettings(
            on_open=flag(on_open, before.on_open), attach_pdf=flag(attach_pdf, before.attach_pdf),
            host=text(host, before.host), port=before.port if port is None else port,
            starttls=flag(starttls, before.starttls), username=text(username, before.username),
            password_env=text(password_env, before.password_env),
            from_address=text(from_address, before.from_address),
        )
        _check(after)
        old, new = before.as_settings(), after.as_settings()
        changed = {key: new[key] for key in new if new[key] != old[key]}
        for key, value in changed.items():
            row = session.get(Setting, key)
            if row is None:
                session.add(Setting(key=key, value=value))
            else:
                row.value = value
        if changed:
            audit.record(session, "settings.change", "settings", "notify", actor=actor,
                         details={key: {"from": old[key], "to": value} for key, value in changed.items()})
        return after
