"""Settings as workspace rows, the CLI over them, and where the templates come from."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench.billing.invoices import approve
from workbench.billing.notify import (
    NotifySettings,
    SettingsError,
    list_outbox,
    notify_settings,
    require_email_templates,
    set_notify_settings,
)
from workbench.billing.store import audit
from workbench.billing.store.models import Setting
from workbench.billing.store.workspace import Workspace, init_workspace
from workbench.cli_notify import notify

from .conftest import ISSUED, Billed, SmtpServer, configure


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "ws")


def test_settings_are_rows_with_defaults(ws: Workspace) -> None:
    assert notify_settings(ws) == NotifySettings()  # off until asked for
    set_notify_settings(ws, host=" smtp.maple.example ", port=587, starttls=True, username="billing",
                        password_env="SMTP_PASSWORD", from_address="billing@maple.example", on_open=True,
                        actor="user:ann")
    with ws.session() as s:
        rows = {row.key: row.value for row in s.query(Setting)}
    assert rows == {  # what differs from the defaults (notify.attach_pdf stays unwritten, false)
        "notify.on_open": "true", "smtp.host": "smtp.maple.example", "smtp.port": "587",
        "smtp.starttls": "true", "smtp.username": "billing", "smtp.password_env": "SMTP_PASSWORD",
        "smtp.from": "billing@maple.example",
    }
    set_notify_settings(ws, attach_pdf=True)  # the others stay
    assert notify_settings(ws) == NotifySettings(True, True, "smtp.maple.example", 587, True, "billing",
                                                 "SMTP_PASSWORD", "billing@maple.example")
    [first, second] = audit.events(ws, action="settings.change")
    assert first.actor == "user:ann" and first.details["smtp.port"] == {"from": "25", "to": "587"}
    assert second.details == {"notify.attach_pdf": {"from": "false", "to": "true"}}


@pytest.mark.parametrize("change, message", [
    ({"password_env": "hunter2!"}, "give the NAME of an environment variable"),
    ({"from_address": "billing at maple"}, "expected an address"),
    ({"port": 70000}, "expected 1..65535"),
])
def test_bad_settings_are_refused_and_nothing_changes(ws: Workspace, change: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        set_notify_settings(ws, host="smtp.maple.example", **change)  # type: ignore[arg-type]
    assert notify_settings(ws) == NotifySettings()


def test_cli_settings_send_and_outbox(billed: Billed, smtp_server: SmtpServer, issue_hook: None) -> None:
    runner = CliRunner()
    directory = str(billed.ws.root)
    result = runner.invoke(notify, ["settings", directory, "--host", "127.0.0.1", "--port", str(smtp_server.port),
                                    "--from", "billing@maple.example", "--on-open", "--password-env", "SMTP_PW"])
    assert result.exit_code == 0, result.output
    assert "notify.on_open       true" in result.output and "smtp.password_env    SMTP_PW" in result.output

    acme = billed.numbers["100001"]
    approve(billed.ws, [acme], today=ISSUED)
    listed = runner.invoke(notify, ["outbox", directory, "--json"])
    assert listed.exit_code == 0
    [entry] = json.loads(listed.output)
    assert (entry["invoice_number"], entry["status"], entry["attempts"]) == (acme, "pending", 0)

    sent = runner.invoke(notify, ["send", directory])
    assert sent.exit_code == 0, sent.output
    assert sent.output.splitlines() == ["sent 1, to retry 0, failed 0",
                                        f"  sent   {acme} -> Ann Smith <ann@acme.example> (attempt 1)"]
    text = runner.invoke(notify, ["outbox", directory]).output
    assert "sent     1 attempt(s)  sent " in text and acme in text
    assert runner.invoke(notify, ["retry", directory, str(entry["id"])]).exit_code == 1  # sent: unchanged

    bad = runner.invoke(notify, ["settings", directory, "--password-env", "not a name"])
    assert bad.exit_code == 2 and "NAME of an environment variable" in bad.output


def test_send_exit_code_is_1_when_something_waits(billed: Billed, issue_hook: None) -> None:
    configure(billed.ws, host="smtp.invalid.example", port=2525)
    set_notify_settings(billed.ws, host="")  # not configured
    approve(billed.ws, [billed.numbers["100001"]], today=ISSUED)
    result = CliRunner().invoke(notify, ["send", str(billed.ws.root)])
    assert result.exit_code == 1
    assert "stopped: nothing sent: smtp.host is not set" in result.output
    assert [e.status for e in list_outbox(billed.ws)] == ["pending"]


def test_templates_come_from_the_checkout_or_WORKBENCH_TEMPLATES(billed: Billed, tmp_path: Path, issue_hook: None,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    repo = Path(__file__).resolve().parent.parent.parent / "templates" / "email"
    assert require_email_templates() == repo

    custom = tmp_path / "custom" / "email"
    custom.mkdir(parents=True)
    for name in ("invoice_open.txt.j2", "invoice_open.html.j2"):
        (custom / name).write_text((repo / name).read_text())
    (custom / "invoice_open.subject.j2").write_text("Your {{ period }} statement {{ number }} is ready\n")
    monkeypatch.setenv("WORKBENCH_TEMPLATES", str(tmp_path / "custom"))
    assert require_email_templates() == custom

    configure(billed.ws, port=2525)
    approve(billed.ws, [billed.numbers["100002"]], today=ISSUED)
    assert [e.subject for e in list_outbox(billed.ws)] == ["Your 2025-10 statement AWS-202510-00002 is ready"]


def test_messages_are_due_from_the_issue_day(billed: Billed, issue_hook: None) -> None:
    configure(billed.ws, port=2525)
    approve(billed.ws, [billed.numbers["100001"]], today=ISSUED)
    [entry] = list_outbox(billed.ws)
    assert entry.next_attempt_at == dt.datetime(2025, 11, 21, 0, 0)


def test_public_names_are_exported() -> None:
    import workbench.billing.notify as package

    exported = {name for name in dir(package) if not name.startswith("_")}
    modules = {name for name in exported if type(getattr(package, name)).__name__ == "module"}
    assert sorted(exported - modules) == sorted(package.__all__)
    assert all(getattr(package, name) is not None for name in package.__all__)  # each loads on first use
