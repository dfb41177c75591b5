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

TABLES = {
    "reseller": """
        name,address,contact_email,logo_file,payment_terms_days,portal_url
        Maple Cloud Partners,1 King St W Toronto,billing@maple.example,,30,https://portal.maple.example/
    """,
    "customers": """
        customer_id,name,contact_name,contact_email,billing_address,tax_jurisdiction,payment_terms_days
        100001,Acme Corp,Ann Smith,ann@acme.example,1 Main St,CA-QC,
        100002,Beta Ltd,Bob Jones,bob@beta.example,2 High St,CA-ON,15
        100003,Gamma Inc,Gil Ray,,3 Low St,CA-ON,
    """,
    "customer_vendors": """
        customer_id,vendor,pricebook,invoice_currency
        100001,aws,Standard,CAD
        100002,aws,Standard,USD
        100003,aws,Standard,USD
    """,
    "accounts": """
        customer_id,vendor,account_id,account_name
        100001,aws,111111111111,acme-prod
        100002,aws,222222222222,beta-main
        100003,aws,333333333333,gamma
    """,
    "pricebooks": """
        pricebook,effective_from,vendor,scope,match,markup_percent
        Standard,2025-01,aws,default,,15
        Standard,2025-01,aws,service,AmazonEC2,10
        Standard,2025-01,aws,sku,USE1-TimedStorage-ByteHrs,-5
    """,
    "support_plans": """
        pricebook,effective_from,vendor,percent,monthly_minimum
        Standard,2025-01,aws,3,25
    """,
    "tax_rates": """
        jurisdiction,tax_name,rate_percent,effective_from
        CA-QC,GST,5,2020-01
        CA-QC,QST,9.975,2020-01
        CA-ON,HST,13,2020-01
    """,
    "fx_rates": """
        period,from_currency,to_currency,rate
        2025-10,USD,CAD,1.3712
    """,
    "credits": """
        customer_id,credit_id,date,amount,currency,kind,earned_on,memo
        100001,C-1,2025-09-15,50.00,CAD,general,azure,Azure migration credit
    """,
}

CUR = [
    {"account": "111111111111", "type": "Usage", "product": "AmazonEC2", "family": "Compute Instance", "usage_type": "USE1-BoxUsage:m5.large", "cost": "100.000000001"},
    {"account": "111111111111", "type": "Usage", "product": "AmazonEC2", "family": "Compute Instance", "usage_type": "USE1-BoxUsage:m5.large", "cost": "0.0000000018"},
    {"account": "111111111111", "type": "Usage", "product": "AmazonS3", "family": "Storage", "usage_type": "USE1-TimedStorage-ByteHrs", "cost": "20.5"},
    {"account": "111111111111", "type": "Usage", "product": "prod-abc123", "family": "SaaS", "usage_type": "SoftwareUsage", "cost": "40", "entity": "AWS Marketplace"},
    {"account": "222222222222", "type": "Usage", "product": "AmazonRDS", "family": "Database Instance", "usage_type": "USE1-InstanceUsage:db.t3", "cost": "10.004999999"},
    {"account": "333333333333", "type": "Usage", "product": "AmazonEC2", "family": "Compute Instance", "usage_type": "USE1-BoxUsage:t3.micro", "cost": "7"},
]


@dataclass
class Billed:
    ws: Workspace
    numbers: dict[str, str]  # customer_id -> draft invoice number


def build_billed(root: Path, tmp_path: Path) -> Billed:
    ws = init_workspace(root, name="notify")
    load(ws, tmp_path, TABLES)
    report = tmp_path / "cur-2025-10.csv"
    report.write_text(cur_rows(CUR, "2025-10"))
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
