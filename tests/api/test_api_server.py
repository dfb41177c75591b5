"""The real thing: `python -m workbench.api DIR --port N` (uvicorn) in a subprocess on 127.0.0.1."""

from __future__ import annotations

import csv
import http.client
import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from workbench.billing.store.workspace import Workspace

from .conftest import ACME, Keys, bearer

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_until_ready(proc: subprocess.Popen[bytes], base: str, log: Path, deadline_s: float = 60.0) -> None:
    """Poll /v1/health until it answers; fail at once if the server died."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}: {log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{base}/v1/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"the server did not answer on {base} within {deadline_s} s")


@pytest.fixture
def server(ws: Workspace, keys: Keys, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "workbench.api", str(ws.root), "--host", HOST, "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "WORKBENCH_USER": "server-test"},
        )
    base = f"http://{HOST}:{port}"
    try:
        wait_until_ready(proc, base, log_path)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)  # uvicorn shuts down gracefully, then re-raises the signal
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
    log_text = log_path.read_text(errors="replace")
    assert proc.returncode in (0, -signal.SIGTERM), log_text
    assert "Finished server process" in log_text
    assert "Traceback" not in log_text


def test_authenticated_calls_over_http(server: str, keys: Keys) -> None:
    with httpx.Client(base_url=server, timeout=60.0) as http:
        assert http.get("/v1/invoices").status_code == 401
        made = http.post("/v1/invoices/generate", headers=bearer(keys.write),
                         json={"vendor": "aws", "range": "2025-10", "customers": [ACME], "apply_credits": True,
                               "include_marketplace": True})
        assert made.status_code == 200, made.text
        number = made.json()["invoices"][0]["number"]
        assert http.get(f"/v1/invoices/{number}", headers={"X-API-Key": keys.acme}).status_code == 404  # a draft
        approved = http.post(f"/v1/invoices/{number}/status", headers=bearer(keys.write), json={"to": "open"})
        assert approved.json()["status"] == "open"
        downloaded = http.get(f"/v1/invoices/{number}/download/csv", headers={"X-API-Key": keys.acme})
        assert downloaded.headers["content-disposition"] == f'attachment; filename="{number}.csv"'
        rows = list(csv.DictReader(io.StringIO(downloaded.content.decode("utf-8-sig"))))
        assert rows[-1]["Description"] == "Total" and rows[-1]["Amount"] == made.json()["invoices"][0]["total"]
        assert http.post("/v1/invoices/generate", headers=bearer(keys.read), json={"vendor": "aws"}).status_code == 403
        big = http.post("/v1/invoices/generate", headers={**bearer(keys.write), "Content-Type": "application/json"},
                        content=b" " * (1024 * 1024 + 1))
        assert big.status_code == 413


def test_raw_dot_segments_reach_no_file(server: str, keys: Keys) -> None:
    """http.client sends the path exactly as written: the server itself sees the dots."""
    host, port = server.removeprefix("http://").split(":")
    for path in ("/v1/invoices/../../etc/passwd", "/v1/invoices/..%2F..%2Fetc%2Fpasswd/download/csv",
                 "/v1/invoices/AWS-202510-00001/download/../../../workbench.db", "/docs/assets/../../../../etc/passwd",
                 "/docs/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd"):
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            conn.request("GET", path, headers=bearer(keys.read))
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
        assert response.status in (404, 422), (path, response.status)
        assert b"root:" not in body and b"SQLite format" not in body, path


def test_a_grant_sent_by_eight_clients_at_once_with_one_key_is_granted_once(server: str, keys: Keys) -> None:
    """Over HTTP, uvicorn's threads writing at the same time: each answer is the one grant (201,
    the same body) or 409 while it was still running, and the ledger has it once. A body that
    gives a key twice is refused before anything."""
    from concurrency.race import run_together

    url, body = f"/v1/customers/{ACME}/credits", {"amount": "3.00", "currency": "CAD", "memo": "goodwill"}

    def send() -> httpx.Response:
        with httpx.Client(base_url=server, timeout=60.0) as http:
            return http.post(url, headers={**bearer(keys.write), "Idempotency-Key": "4f1c0a9e-retry"}, json=body)

    with httpx.Client(base_url=server, timeout=60.0) as http:
        twice = http.post(url, headers={**bearer(keys.write), "Content-Type": "application/json"},
                          content=b'{"amount": "10.00", "currency": "CAD", "amount": "1000.00"}')
        assert (twice.status_code, twice.json()["problems"][0]["code"]) == (422, "duplicate-key")
        answers = run_together(*[send] * 8)
        granted = [a for a in answers if a.status_code == 201]
        assert granted and len({a.content for a in granted}) == 1, [a.text for a in answers]
        assert {a.json()["problems"][0]["code"] for a in answers if a.status_code != 201} <= {"idempotency-key-in-use"}
        assert send().content == granted[0].content
        entries = http.get(f"{url}", headers=bearer(keys.read)).json()["entries"]
        assert [e["amount"] for e in entries if e["memo"] == "goodwill"] == ["3.00"]
