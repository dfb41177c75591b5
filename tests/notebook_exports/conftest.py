from __future__ import annotations

from collections.abc import Iterator

import pytest

from workbench.nbexport import ChromiumNotFound, Printer, close_printers, find_chromium


@pytest.fixture(scope="session")
def chromium() -> str:
    """The real Chromium; its absence is a failure, not a skip (the Makefile installs it)."""
    try:
        return find_chromium()
    except ChromiumNotFound as exc:
        pytest.fail(f"{exc}  (run scripts/install-system-deps.sh)")


@pytest.fixture(scope="session", autouse=True)
def _close_shared_printers() -> Iterator[None]:
    yield
    close_printers()


@pytest.fixture()
def printer(chromium: str) -> Iterator[Printer]:
    """A private printer, so tests that count launches do not depend on test order."""
    own = Printer(chromium)
    yield own
    own.close()
