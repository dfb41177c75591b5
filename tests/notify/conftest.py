"""A billed workspace (inline tables + inline AWS CUR -> drafts) and a real SMTP server on loopback.

    Acme Corp   CAD  Ann Smith <ann@acme.example>   the worked example of tests/billing: total 238.44
    Beta Ltd    USD  Bob Jones <bob@beta.example>   total 41.26
    Gamma Inc   USD  no contact email               gets no email, an audit warning instead
"""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from billing.conftest import cur_rows, load  # tests/billing: the same inline CUR and table helpers
from billing.worked_example import CUR as WORKED_CUR
from billing.worked_example import TABLES as WORKED_TABLES
from workbench.billing.core.invoice import InvoiceOptions
from workbench.billing.core.periods import given_month
from workbench.billing.generate import generate_invoices
from workbench.billing.invoices import ISSUE_HOOKS
from workbench.billing.notify import register, set_notify_settings
from workbench.billing.store.report_import import import_reports
from workbench.billing.store.workspace import Workspace, init_workspace

TODAY = dt.date(2025, 11, 20)
ISSUED = dt.date(2025, 11, 21)
NOW = dt.datetime(2025, 11, 21, 9, 0)  # the senders' clock in these tests (naive UTC)

# the worked example of tests/billing, except that Gamma has an AWS pricebook (so it is
# invoiced) but no contact email (so its invoice cannot be emailed)
TABLES = {
    **WORKED_TABLES,
    "reseller": WORKED_TABLES["reseller"].replace("https://portal.maple.example", "https://portal.maple.example/"),
    "customers": WORKED_TABLES["customers"].replace("gil@gamma.example", ""),
    "customer_vendors": WORKED_TABLES["customer_vendors"].rstrip() + "\n        100003,aws,Standard,USD\n    ",
}
# without the free-tier, vendor-tax and unassigned rows, which the email tests do not need
CUR = [row for row in WORKED_CUR if row["type"] == "Usage" and row["cost"] != "0" and row["account"] != "444444444444"]


@dataclass
class Billed:
    ws: Workspace
    numbers: dict[str, str]  # customer_id -> draft invoice number


def build_billed(root: Path, tmp_path: Path, credits: str | None = None,
                 cur: list[dict[str, str]] | None = None) -> Billed:
    """`credits`: a credits table in place of the worked example's; `cur`: October's rows in place of `CUR`."""
    ws = init_workspace(root, name="notify")
    load(ws, tmp_path, TABLES if credits is None else {**TABLES, "credits": credits})
    report = tmp_path / "cur-2025-10.csv"
    report.write_text(cur_rows(CUR if cur is None else cur, "2025-10"))
    assert [f.status.value for f in import_reports(ws, [report]).files] == ["imported"]
    made = generate_invoices(ws, "aws", given_month("2025-10"),
                             options=InvoiceOptions(apply_credits=True, include_marketplace=True), today=TODAY)
    return Billed(ws, {i.customer_id: i.number for i in made.invoices})


@pytest.fixture
def billed(tmp_path: Path) -> Iterator[Billed]:
    b = build_billed(tmp_path / "ws", tmp_path)
    yield b
    b.ws.close()


@pytest.fixture
def issue_hook() -> Iterator[None]:
    """The notify hook registered for one test; the module-level list is restored afterwards."""
    before = list(ISSUE_HOOKS)
    register()
    yield
    ISSUE_HOOKS[:] = before


# --- the SMTP server ---------------------------------------------------------------------------

def free_port() -> int:
    """A loopback port nobody listens on (bound and released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Mailbox:
    """aiosmtpd handler: keeps what it accepts; `data_reply` / `rcpt_reply` make it refuse."""

    received: list[Received] = field(default_factory=list)
    data_reply: str = ""  # e.g. "451 4.3.0 try again later"
    rcpt_reply: str = ""  # e.g. "550 5.1.1 no such mailbox"
    logins: list[tuple[str, str]] = field(default_factory=list)
    password: str = ""  # accepted by the authenticator

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_reply:
            return self.data_reply
        content = envelope.original_content or b""
        parsed = BytesParser(policy=default).parsebytes(content)
        assert isinstance(parsed, EmailMessage)
        self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), parsed))
        return "250 OK: queued"

    def authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                     auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((login, password))
        # handled=False: aiosmtpd answers a refusal with its own 535
        return AuthResult(success=password == self.password, handled=False)


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox


def start_server(mailbox: Mailbox, **smtp_parameters: Any) -> tuple[Controller, SmtpServer]:
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), **smtp_parameters)
    controller.start()
    return controller, SmtpServer("127.0.0.1", controller.port, mailbox)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    controller, server = start_server(Mailbox())
    yield server
    controller.stop()


def configure(ws: Workspace, server: SmtpServer | None = None, *, port: int | None = None, **more: Any) -> None:
    """Notify on Open, through the test server (or `port`), from the reseller's billing address."""
    values: dict[str, Any] = {"on_open": True, "host": "127.0.0.1", "port": port or (server.port if server else None),
                              "from_address": "Maple Cloud Partners <billing@maple.example>"}
    set_notify_settings(ws, **(values | more))
