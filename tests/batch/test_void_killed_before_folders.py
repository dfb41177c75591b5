"""A void of several invoices killed after its commit, before their folders followed: `verify`
names the folders left behind and says what to do, and voiding them again puts them in line.

`workbench invoices status DIR A B C --to void` commits the three voids, then moves each folder
under void/ and marks its manifest void. The CLI is killed (SIGKILL) in between, at a point made
certain without a test hook: the manifest of the second invoice is a named pipe, so following it
blocks on reading it; the test waits until the void holds the pipe open for reading (a
non-blocking open for writing succeeds only then), and kills it there. The first invoice's folder
has followed, the second is under void/ still saying open, the third is still among the month's
statements.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time

from sqlalchemy import select

from workbench.billing.core.lifecycle import Status
from workbench.billing.core.periods import given_month
from workbench.billing.generate import generate_invoices
from workbench.billing.invoices import approve, list_invoices
from workbench.billing.store import models as m

from batch.test_status_follows_output import month_end
from render.small_workspace import OPTIONS, TODAY

NUMBERS = ["AWS-202510-00001", "AWS-202510-00002", "AWS-202510-00003"]
CUSTOMERS = ["100001", "100002", "100003"]


def cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from workbench.cli import main; main()", *args]


def manifest_status(folder):
    return json.loads((folder / f"{folder.name}.done.json").read_text())["status"]


def wait_for_reader(fifo, process, timeout=60.0) -> int:
    """Open `fifo` for writing once a reader has it open (ENXIO until then; ENOENT until its folder
    has moved there)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno not in (errno.ENXIO, errno.ENOENT):
                raise
        assert process.poll() is None, f"the void ended ({process.returncode}) before it read the manifest"
        assert time.monotonic() < deadline, "the void never read the manifest"
        time.sleep(0.01)


def test_a_void_killed_before_its_folders_followed_is_reported_and_put_right_by_voiding_again(small_ws):
    root, out = small_ws.root, small_ws.output_dir / "2025-10"
    generate_invoices(small_ws, "aws", given_month("2025-10"), CUSTOMERS, OPTIONS, today=TODAY)
    approve(small_ws, NUMBERS, today=TODAY)
    summary = month_end(small_ws, CUSTOMERS)
    assert [o.state for o in summary.outcomes] == ["done"] * 3, summary.text()
    assert [manifest_status(out / n) for n in NUMBERS] == ["open"] * 3

    # the second invoice's manifest becomes a pipe: the void will block on reading it, after its commit
    second = out / NUMBERS[1] / f"{NUMBERS[1]}.done.json"
    saved = second.read_bytes()
    second.unlink()
    os.mkfifo(second)
    void = subprocess.Popen(cli("invoices", "status", str(root), *NUMBERS, "--to", "void", "--reason", "billed twice"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    moved = out / "void" / NUMBERS[1] / f"{NUMBERS[1]}.done.json"
    try:
        writer = wait_for_reader(moved, void)  # the second folder has moved, its manifest is being read
        os.killpg(void.pid, signal.SIGKILL)
        void.wait()
        os.close(writer)
    finally:
        if void.poll() is None:
            os.killpg(void.pid, signal.SIGKILL)
            void.wait()
    moved.unlink()
    moved.write_bytes(saved)  # the manifest as it was (the pipe stood in for it)

    # the database says void, the folders do not all follow
    assert {s.number: s.status for s in list_invoices(small_ws)} == {n: Status.VOID.value for n in NUMBERS}
    assert sorted(p.name for p in out.iterdir()) == [NUMBERS[2], "void"]
    assert manifest_status(out / "void" / NUMBERS[0]) == "void"
    assert manifest_status(out / "void" / NUMBERS[1]) == "open"
    assert manifest_status(out / NUMBERS[2]) == "open"

    # verify names each folder left behind, and what to do
    checked = subprocess.run(cli("verify", str(root), "--json"), capture_output=True, text=True, timeout=120)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    reported = {r["number"]: r for r in json.loads(checked.stdout)}
    assert sorted(reported) == NUMBERS[1:]
    for number in NUMBERS[1:]:
        assert reported[number]["status"] == "void" and not reported[number]["ok"]
        [difference] = reported[number]["differences"]
        assert difference["stored"] == "open (manifest)" and difference["derived"] == "void (database)"
        [note] = reported[number]["notes"]
        assert f"workbench invoices status {root} {number} --to void" in note
    assert "folder among the month's statements, its manifest says open" in reported[NUMBERS[2]]["notes"][0]
    assert "folder under void/, its manifest says open" in reported[NUMBERS[1]]["notes"][0]

    # voiding them again is not refused: nothing stored changes, the folders follow
    again = subprocess.run(cli("invoices", "status", str(root), *NUMBERS, "--to", "void", "--reason", "billed twice"),
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.splitlines() == [
        f"{NUMBERS[0]}: Void (void already: nothing to change)",
        f"{NUMBERS[1]}: Void (void already: its month-end folder now follows it (under void/, marked void))",
        f"{NUMBERS[2]}: Void (void already: its month-end folder now follows it (under void/, marked void))",
    ]
    assert sorted(p.name for p in out.iterdir()) == ["void"]
    assert [manifest_status(out / "void" / n) for n in NUMBERS] == ["void"] * 3
    assert sorted(p.name for p in out.rglob(".*")) == []  # no temp file of a manifest rewrite
    checked = subprocess.run(cli("verify", str(root), "--json"), capture_output=True, text=True, timeout=120)
    assert (checked.returncode, json.loads(checked.stdout)) == (0, []), checked.stdout + checked.stderr
    with small_ws.session() as session:  # voided once: one audit entry each (the second void stored nothing)
        events = session.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "invoice.status")).all()
        assert sorted(e.entity_id for e in events if e.details.get("to") == "void") == NUMBERS
