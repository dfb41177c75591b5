"""`workbench notify send` stopped (Ctrl-C, SIGTERM) while the server holds its answer to the
message's DATA: what the server answered is what the outbox records. Accepted: sent, once,
never again. Refused for now: back to pending for a retry. Never lost, never twice.

A real `notify send` process, a real signal, and a real SMTP server on loopback that takes
the message and holds its reply until the sender has received the signal."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from workbench.billing.invoices import approve
from workbench.billing.notify import list_outbox, send_pending
from workbench.billing.notify.sender import SENDING_LEASE
from workbench.billing.store.workspace import open_workspace

from .conftest import ISSUED, Billed, Mailbox, configure, start_server


@dataclass
class SlowMailbox(Mailbox):
    """Takes the message, says so (`got_data`), and answers only once `answer` is set."""

    got_data: threading.Event = field(default_factory=threading.Event)
    answer: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.got_data.set()
        await asyncio.get_running_loop().run_in_executor(None, self.answer.wait, 60)
        return await super().handle_DATA(server, session, envelope)


def pending_signals(pid: int) -> int:
    """The signals sent to `pid` that its threads have not taken yet (Linux's /proc)."""
    status = Path(f"/proc/{pid}/status").read_text()
    masks = [line.split()[1] for line in status.splitlines() if line.startswith(("SigPnd:", "ShdPnd:"))]
    return sum(int(mask, 16) for mask in masks)


def wait_until_taken(proc: subprocess.Popen[str], signum: int) -> None:
    deadline = time.monotonic() + 30
    while pending_signals(proc.pid) & (1 << (signum - 1)) and proc.poll() is None:
        assert time.monotonic() < deadline, "the sender never took the signal"
        time.sleep(0.005)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads signal masks from Linux's /proc")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
@pytest.mark.parametrize("reply", ["", "451 4.3.0 try again later"], ids=["accepted", "refused-for-now"])
def test_a_send_stopped_while_the_server_answers_records_what_it_answered(
        billed: Billed, issue_hook: None, signum: int, reply: str) -> None:
    mailbox = SlowMailbox(data_reply=reply)
    controller, server = start_server(mailbox)
    try:
        configure(billed.ws, server)
        acme = billed.numbers["100001"]
        approve(billed.ws, [acme], today=ISSUED)
        root = billed.ws.root
        billed.ws.close()

        sender = subprocess.Popen([sys.executable, "-m", "workbench.cli", "notify", "send", str(root)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert mailbox.got_data.wait(60), "the sender never sent the message"
            os.kill(sender.pid, signum)  # the message is sent; the server's answer is not
            wait_until_taken(sender, signum)
        finally:
            mailbox.answer.set()
            out, err = sender.communicate(timeout=60)
    finally:
        controller.stop()

    if signum == signal.SIGINT:  # Ctrl-C: a sentence, not a traceback
        assert sender.returncode == 130, err
        assert "Traceback" not in err
        assert err.strip().splitlines()[-1].startswith("interrupted:"), err
    else:
        assert sender.returncode == -signal.SIGTERM, err

    ws = open_workspace(root)
    try:
        [entry] = list_outbox(ws)
        if reply:  # refused for now: an attempt counted, tried again after the backoff
            assert (entry.status, entry.attempts, entry.last_error) == ("pending", 1, reply)
            assert mailbox.received == []
        else:  # accepted: sent, delivered once
            assert (entry.status, entry.attempts) == ("sent", 1)
            assert [r.message["Message-ID"] for r in mailbox.received] == [entry.message_id]
            # and never again, not even once a sending lease has run out
            later = send_pending(ws, now=dt.datetime.now(dt.timezone.utc) + SENDING_LEASE + dt.timedelta(minutes=1))
            assert later.deliveries == () and later.reclaimed == ()
            assert len(mailbox.received) == 1
    finally:
        ws.close()


def children(pid: int) -> list[int]:
    return [int(c) for task in Path(f"/proc/{pid}/task").iterdir()
            for c in (task / "children").read_text().split()]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads processes from Linux's /proc")
def test_ctrl_c_while_the_pdf_prints_sends_nothing_and_puts_the_message_back(
        billed: Billed, issue_hook: None) -> None:
    mailbox = SlowMailbox()
    mailbox.answer.set()
    controller, server = start_server(mailbox)
    try:
        configure(billed.ws, server, attach_pdf=True)  # no month-end PDF: it is printed at send time
        approve(billed.ws, [billed.numbers["100001"]], today=ISSUED)
        root = billed.ws.root
        billed.ws.close()

        sender = subprocess.Popen([sys.executable, "-m", "workbench.cli", "notify", "send", str(root)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while not children(sender.pid):  # the printer (Chromium, through Playwright) is starting
                assert sender.poll() is None and time.monotonic() < deadline, "the sender never printed"
                time.sleep(0.005)
            assert not mailbox.got_data.is_set()
            os.kill(sender.pid, signal.SIGINT)
        finally:
            out, err = sender.communicate(timeout=120)
    finally:
        controller.stop()

    assert sender.returncode == 130, err
    assert "Traceback" not in err
    assert mailbox.received == [] and not mailbox.got_data.is_set()
    ws = open_workspace(root)
    try:  # as if never tried: due at once, no attempt spent
        [entry] = list_outbox(ws)
        assert (entry.status, entry.attempts) == ("pending", 0)
        assert entry.next_attempt_at <= dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    finally:
        ws.close()


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads signal masks from Linux's /proc")
def test_a_second_ctrl_c_stops_at_once_and_says_the_message_may_go_twice(billed: Billed, issue_hook: None) -> None:
    mailbox = SlowMailbox()
    controller, server = start_server(mailbox)
    try:
        configure(billed.ws, server)
        approve(billed.ws, [billed.numbers["100001"]], today=ISSUED)
        root = billed.ws.root
        billed.ws.close()

        sender = subprocess.Popen([sys.executable, "-m", "workbench.cli", "notify", "send", str(root)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert mailbox.got_data.wait(60), "the sender never sent the message"
            os.kill(sender.pid, signal.SIGINT)
            wait_until_taken(sender, signal.SIGINT)
            os.kill(sender.pid, signal.SIGINT)  # impatient: no waiting for the server's answer
            # it stops while the server still holds its answer (no QUIT waiting behind it: SMTP_TIMEOUT is 30 s)
            out, err = sender.communicate(timeout=15)
        finally:
            mailbox.answer.set()
            if sender.poll() is None:
                sender.kill()
    finally:
        controller.stop()

    assert sender.returncode == 130 and "Traceback" not in err, err
    assert last_line(err).startswith("interrupted (twice) before the outcome of the message being sent was recorded")
    ws = open_workspace(root)
    try:  # the documented window: reclaimed after the lease and sent again
        assert [(e.status, e.attempts) for e in list_outbox(ws)] == [("sending", 1)]
    finally:
        ws.close()


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]
