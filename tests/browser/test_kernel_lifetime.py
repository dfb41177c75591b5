"""A visit's kernel ends with the visit: leaving a dashboard shuts its kernel down, while the
preheated kernel that waits for the next visitor stays.

Voila's front end asks for the shutdown on `beforeunload` (`POST voila/api/shutdown/<kernel id>`,
its `_xsrf` argument read from the `_xsrf` cookie). Voila never issued that cookie, so Tornado
refused every such request (403 "'_xsrf' argument missing from POST", Voila issue #1458) and each
visit left a 160-250 MB kernel running until the server stopped; the workbench template now gives
the page the cookie (`templates/voila/templates/workbench/index.html.j2`)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import psutil
import pytest

from workbench.testing.browser import BillingPage, ServedWorkspace

from .conftest import serve

SHUTDOWN_TIMEOUT = 60.0  # the request is sent as the page unloads; Voila stops the kernel in about a second


@pytest.fixture
def served(demo_workspace_copy) -> Iterator[ServedWorkspace]:
    yield from serve("kernel-lifetime", demo_workspace_copy.root, notebook="billing", read_only=True)


def kernel_model(served: ServedWorkspace, kernel_id: str) -> dict[str, Any] | None:
    """Voila's model of a kernel (`execution_state`, `connections`), None once it is shut down."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{served.port}/api/kernels/{kernel_id}", timeout=10) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def kernel_processes(served: ServedWorkspace) -> dict[psutil.Process, str]:
    """Voila's ipykernel children -> their command lines (which name the kernel's connection file)."""
    found = {}
    for proc in served.tree():
        try:
            command = " ".join(proc.cmdline())
        except psutil.Error:
            continue
        if "ipykernel" in command:
            found[proc] = command
    return found


def wait_until(condition, timeout: float, what: str, served: ServedWorkspace) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} after {timeout:.0f} s:\n{served.log()[-3000:]}")
        time.sleep(0.25)


def test_leaving_a_dashboard_shuts_its_kernel_down_and_keeps_the_preheated_one(served, page):
    served.wait_preheated(1)
    BillingPage(page).open(served.url("billing"))
    kernel_id = page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
    assert "Using pre-heated kernel" in served.log()

    # the visit's kernel lives while its page is open (its websocket connected)
    wait_until(lambda: (kernel_model(served, kernel_id) or {}).get("connections", 0) >= 1, 30,
               "the page did not connect to its kernel", served)
    visit = [proc for proc, command in kernel_processes(served).items() if f"kernel-{kernel_id}.json" in command]
    assert len(visit) == 1, kernel_processes(served)

    page.goto("about:blank")  # the visitor leaves: Voila's page asks for its kernel's shutdown as it unloads

    wait_until(lambda: kernel_model(served, kernel_id) is None, SHUTDOWN_TIMEOUT,
               f"the kernel {kernel_id} of the page left still runs", served)
    _gone, alive = psutil.wait_procs(visit, timeout=30)
    assert alive == [], f"the kernel process of the visit outlived its shutdown: {alive}"
    assert "403 POST /voila/api/shutdown" not in served.log()

    # Voila refilled the pool after the visit: that kernel runs the notebook and waits for the next
    # visitor, and it is the only kernel left
    served.wait_preheated(1)
    remaining = kernel_processes(served)
    assert len(remaining) == 1 and f"kernel-{kernel_id}.json" not in next(iter(remaining.values())), remaining
