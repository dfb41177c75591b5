"""Browser tests: Debian's chromium (one per module) and `workbench serve` on a demo copy.

The outcome of a test's call phase is kept on its item (`rep_call`), so the `page` fixture can
screenshot the page of a failing test (`test-artifacts/browser/<test>/FAILED.png`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.testing.browser import ServedWorkspace, chromium, serve_workspace

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
TODAY = "2025-11-25"  # = tests/conftest.py DEMO_TODAY: "Last month" is 2025-10
LAST_MONTH = "2025-10"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    import psutil

    def browsers() -> set[psutil.Process]:
        return {p for p in psutil.Process().children(recursive=True) if p.name() == "chromium" or p.name().startswith("node")}

    # other tests in this process may keep the statement printer's own Chromium alive on purpose
    before = browsers()
    with chromium() as b:
        # Playwright's driver (node) and Debian's chromium are children of this process
        ours = list(browsers() - before)
        assert any(p.name() == "chromium" for p in ours)
        yield b
    # a leak never exits; a renderer of a busy 2-core machine once took longer than 15 s
    _gone, alive = psutil.wait_procs(ours, timeout=30)
    assert alive == [], f"browser processes left behind: {[(p.pid, _command(p)) for p in alive]}"


def _command(process: object) -> str:
    import psutil

    try:
        return " ".join(process.cmdline())[:300]  # type: ignore[attr-defined]
    except psutil.Error:
        return "(gone)"


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1600})  # type: ignore[attr-defined]
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        folder = ARTIFACTS / request.node.name
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / "FAILED.png"), full_page=True)
    context.close()


def serve(folder: str, workspace: Path, *, read_only: bool = False, notebook: str = "all") -> Iterator[ServedWorkspace]:
    """`workbench serve` for one test; stopped with SIGINT (as Ctrl-C), leaving nothing behind."""
    served = serve_workspace(workspace, today=TODAY, notebook=notebook, read_only=read_only,
                             log_path=ARTIFACTS / folder / "voila.log")
    try:
        yield served
    finally:
        code = served.stop()  # Voila shuts its kernels (and their printer's chromium) down
        assert code == 0, served.log()[-3000:]
        assert served.leftovers == [], served.leftovers
