"""`workbench serve`: Voila on a loopback port serving the dashboards of a workspace."""

from __future__ import annotations


import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from workbench.serve import NOTEBOOKS, POOL_REFILL_DELAY_S, find_notebooks_dir, free_port, voila_command

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def port_is_closed(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return False
    except OSError:
        return True


@pytest.fixture
def served(template_workspace: Path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench.serve", str(template_workspace), "--port", str(port), "--no-browser",
         "--read-only", "--today", "2025-11-20"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(port, process)
        yield port, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # what Ctrl-C does: serve stops Voila and its kernels
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_the_billing_page_is_served_with_its_widgets(served, template_workspace):
    port, process = served
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=120) as response:
        assert response.status == 200
        page = response.read().decode("utf-8")
    assert WIDGET_VIEW in page and '"model_id"' in page  # the notebook ran and displayed app.widget
    # the workspace opened (Voila prints this sentence for a cell that raised) and the app is read-only;
    # the widget values themselves travel over the kernel's websocket, not in this page
    assert "There was an error when executing cell" not in page and "Traceback" not in page
    assert "Billing reports" in page and "read-only view" in page
    assert "open_workspace(" not in page  # sources stripped
    assert "jsdelivr" not in page and "cdnjs" not in page  # the workbench template names no CDN

    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err.decode()
    assert out.decode().splitlines() == [f"billing (read-only): http://127.0.0.1:{port}/"]
    assert port_is_closed(port)


def test_serve_refuses_a_folder_that_is_not_a_workspace(tmp_path):
    done = subprocess.run([sys.executable, "-m", "workbench.serve", str(tmp_path), "--no-browser"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2  # a usage error, as any bad argument
    assert "is not a workspace" in done.stderr


def test_the_notebooks_are_found_in_the_checkout_and_voila_binds_to_loopback(monkeypatch, tmp_path):
    monkeypatch.delenv("WORKBENCH_NOTEBOOKS", raising=False)
    folder = find_notebooks_dir()
    assert (folder / NOTEBOOKS["billing"]).is_file() and (folder / NOTEBOOKS["invoices"]).is_file()
    command = voila_command(folder / NOTEBOOKS["billing"], 8870)
    assert command[1:3] == ["-m", "workbench.voila_app"]  # Voila, with a page-config hook
    assert {"--no-browser", "--port=8870", "--Voila.ip=127.0.0.1", "--preheat_kernel=True", "--pool_size=1"} <= set(command)
    assert not any("strip_sources" in part for part in command)  # Voila strips sources by default

    (tmp_path / NOTEBOOKS["billing"]).write_text("{}")
    monkeypatch.setenv("WORKBENCH_NOTEBOOKS", str(tmp_path))
    assert find_notebooks_dir() == tmp_path.resolve()


def test_preheat_is_the_default_for_the_three_dashboards_only():
    folder = find_notebooks_dir()
    assert not any("preheat" in part for part in voila_command(folder / NOTEBOOKS["billing"], 8870, preheat=False))
    assert "--preheat_kernel=True" in voila_command(folder / NOTEBOOKS["usage"], 8870)
    # the pool refills after the visitor's page has loaded, not while it loads
    assert f"--VoilaKernelManager.fill_delay={POOL_REFILL_DELAY_S}" in voila_command(folder / NOTEBOOKS["usage"], 8870)

    # --dashboard all serves the folder: Voila would preheat every notebook in it (invoice.ipynb too);
    # ask Voila's own kernel manager which notebooks it fills a pool for (no kernel is started)
    command = voila_command(folder, 8870)
    assert "--preheat_kernel=True" in command
    done = subprocess.run([sys.executable, "-c", POOLS, *command[3:]], capture_output=True, text=True, timeout=120,
                          cwd=folder)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["billing_reports.ipynb", "customer_invoices.ipynb", "usage_explorer.ipynb"]
    assert {nb.name for nb in folder.glob("*.ipynb")} >= {"invoice.ipynb", "usage_explorer.ipynb"}


POOLS = """
import asyncio, sys
from voila.app import Voila
asyncio.set_event_loop(asyncio.new_event_loop())
app = Voila()
app.initialize(sys.argv[1:])
app.init_settings()  # builds the kernel manager, which queues one pool per preheated notebook
pools = app.kernel_manager._pools
for tasks in pools.values():
    for task in tasks:
        task.cancel()
print(*sorted(pools))
"""


def test_serve_help_names_the_preheat_default_and_its_opt_out():
    done = subprocess.run([sys.executable, "-m", "workbench.serve", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    said = " ".join(done.stdout.split())  # as read, whatever the wrapping of click's columns
    assert "--preheat / --no-preheat" in said and "[default: preheat]" in said
    # which dashboard: --dashboard, as month-end's --notebook names the invoice notebook; the old name still works
    assert "--dashboard, --notebook [billing|invoices|usage|all]" in said


def test_the_notebooks_are_thin_pages():
    import nbformat

    for name in ("billing_reports.ipynb", "customer_invoices.ipynb"):
        nb = nbformat.read(find_notebooks_dir() / name, as_version=4)
        params, app, visit = nb.cells
        assert params.metadata.tags == ["parameters"]
        assert 'os.environ.get("WORKBENCH_WORKSPACE", "demo-workspace")' in params.source
        assert 'os.environ.get("WORKBENCH_READ_ONLY") == "1"' in params.source
        assert app.source.rstrip().endswith("display(app.widget)")
        assert visit.source.startswith("catch_up_when_visited(app)")  # a preheated page catches up
        assert app.outputs == [] and params.outputs == [] and visit.outputs == []


@pytest.mark.parametrize(("stop", "when"), [("ctrl-c", "at once"), ("sigterm", "idle"), ("hangup", "idle"),
                                            ("kill", "at once")])
def test_stopping_serve_stops_voila_and_its_kernels_quietly(template_workspace, tmp_path, stop, when):
    """Ctrl-C in a terminal signals the whole foreground process group; `kill` or a service
    manager sends SIGTERM to serve alone; closing the terminal sends SIGHUP. Each way, Voila and
    its kernels stop with serve, and nothing prints a traceback or an error. A SIGKILL (`kill -9`,
    the out-of-memory killer) ends serve at once, and Voila still stops, on the parent-death signal.
    Stopped "at once" (as soon as Voila has started its preheated kernels, which still run their
    notebooks' imports) or once they are "idle" (each last cell waits for a visitor)."""
    import psutil

    port, log = free_port(), tmp_path / "serve.err"
    with open(log, "wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "workbench.serve", str(template_workspace), "--port", str(port), "--no-browser",
             "--notebook", "all", "--today", "2025-11-20"],
            stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,  # a group of its own, as in a terminal
        )
    try:
        wait_for_port(port, process)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=60) as response:  # the list of notebooks
            listing = response.read().decode("utf-8")
        assert "Voilà Home" in listing
        assert "jsdelivr" not in listing and "cdnjs" not in listing  # the workbench template names no CDN
        deadline = time.monotonic() + 120  # the three preheated kernels have run their notebook
        while log.read_text().count("is filled with") < 3 and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            time.sleep(0.2)
        children = psutil.Process(process.pid).children(recursive=True)
        assert len(children) == 4, log.read_text()  # Voila and three kernels
        kernels = [c for c in children if "ipykernel_launcher" in " ".join(c.cmdline())]
        while when == "idle" and any(k.cpu_percent(0.5) > 5 for k in kernels) and time.monotonic() < deadline:
            pass  # a kernel still runs its notebook (imports first); then its last cell waits for a visitor
        if stop == "ctrl-c":
            os.killpg(process.pid, signal.SIGINT)
        elif stop == "kill":
            process.kill()
        else:
            process.send_signal(signal.SIGTERM if stop == "sigterm" else signal.SIGHUP)
        process.wait(60)
    finally:
        if process.poll() is None:  # the test failed midway: serve's group alone would miss Voila's session
            left = psutil.Process(process.pid).children(recursive=True)
            process.kill()
            process.wait()
            for orphan in psutil.wait_procs(left, timeout=1)[1]:
                orphan.kill()
    _gone, alive = psutil.wait_procs(children, timeout=30 if stop == "kill" else 10)
    for orphan in alive:
        orphan.kill()
    assert alive == [] and port_is_closed(port), log.read_text()
    assert process.returncode == (-signal.SIGKILL if stop == "kill" else 0), log.read_text()
    text = log.read_text()
    assert text.count("Kernel shutdown:") == 3, text  # Voila shut each kernel down, not just died
    assert "Traceback" not in text and "ERROR" not in text, text


def test_served_kernels_drop_the_reply_a_stop_cuts_off_from_their_first_message(template_workspace, monkeypatch):
    """A kernel stopped while its notebook runs (a preheated page's imports, seconds after the
    server started) printed a ZMQError traceback: its reply found the sockets closed. serve's
    kernel spec loads the filter as the kernel starts, before any notebook cell; a kernel with
    the environment's own spec has none until the notebook calls `open_dashboard_workspace`."""
    from jupyter_client.manager import KernelManager

    from workbench.serve import kernel_environment

    probe = ("import logging\nfrom IPython import get_ipython\n"
             "print([type(f).__name__ for f in get_ipython().kernel.log.filters],"
             " [type(f).__name__ for f in logging.getLogger('tornado.general').filters])")
    seen = {}
    for who, env in (("serve", kernel_environment(template_workspace, False, None)), ("plain", dict(os.environ))):
        monkeypatch.setenv("JUPYTER_PATH", env.get("JUPYTER_PATH", ""))  # where the kernel spec is looked up
        km = KernelManager(kernel_name="python3")
        km.start_kernel(env=env)
        try:
            kc = km.client()
            kc.start_channels()
            kc.wait_for_ready(timeout=60)
            printed = []
            kc.execute_interactive(probe, timeout=60, output_hook=lambda msg: printed.append(msg["content"].get("text", "")))
            kc.stop_channels()
        finally:
            km.shutdown_kernel(now=True)
        seen[who] = "".join(printed).strip()
    assert seen == {"serve": "['_ReplyAfterShutdown'] ['_ReplyAfterShutdown']", "plain": "[] []"}


def test_voila_culls_only_kernels_left_without_their_page():
    """The safety net for a visit's kernel whose page went without shutting it down (a crashed
    browser): Voila culls a kernel idle and with no page connected; never a busy or connected one,
    and its kernel manager never culls a preheated kernel still in the pool."""
    folder = find_notebooks_dir()
    for command in (voila_command(folder / NOTEBOOKS["billing"], 8870), voila_command(folder, 8870),
                    voila_command(folder / NOTEBOOKS["usage"], 8870, preheat=False)):
        assert {"--MappingKernelManager.cull_idle_timeout=600", "--MappingKernelManager.cull_interval=60",
                "--MappingKernelManager.cull_connected=False", "--MappingKernelManager.cull_busy=False"} <= set(command)
    assert not any("cull" in part for part in voila_command(folder / NOTEBOOKS["billing"], 8870, cull_idle_timeout=0))


def test_serve_started_as_a_background_job_still_stops_voila_at_once(template_workspace, tmp_path):
    """A job started with `&` from a script ignores SIGINT, and so would Voila, its child: serve's
    SIGINT went unheard and Voila stopped only on the SIGTERM 15 s later."""
    import psutil

    port = free_port()
    ignoring = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
                "os.execv(sys.executable, [sys.executable, '-m', 'workbench.serve', *sys.argv[1:]])")
    process = subprocess.Popen([sys.executable, "-c", ignoring, str(template_workspace), "--port", str(port),
                                "--no-browser", "--no-preheat", "--today", "2025-11-20"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children: list[psutil.Process] = []
    try:
        wait_for_port(port, process)
        children = psutil.Process(process.pid).children(recursive=True)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        _gone, alive = psutil.wait_procs(children, timeout=30)
        assert alive == [] and time.monotonic() - started < 10, f"{time.monotonic() - started:.1f} s"
    finally:
        for left in [process, *children]:
            with contextlib.suppress(Exception):
                left.kill()


def test_each_page_loads_only_the_lab_extensions_it_uses():
    """Voila gives every page every installed extension; plotly's (4.7 MB of JavaScript) is
    the explorer's alone (`workbench.voila_app`, Voila's page-config hook)."""
    from workbench.voila_app import page_config

    installed = [{"name": "anywidget"}, {"name": "@jupyter-widgets/jupyterlab-manager"}, {"name": "jupyterlab-plotly"}]
    config = {"federated_extensions": installed, "baseUrl": "/"}

    def names(notebook: str) -> list[str]:
        return [x["name"] for x in page_config(config, notebook_path=notebook, base_url="/", log=None)["federated_extensions"]]

    everything = ["anywidget", "@jupyter-widgets/jupyterlab-manager", "jupyterlab-plotly"]
    assert names("usage_explorer.ipynb") == names("/srv/notebooks/usage_explorer.ipynb") == everything
    assert names("billing_reports.ipynb") == names("sub/customer_invoices.ipynb") == everything[:2]
    assert config["federated_extensions"] == installed  # Voila's own config is left as it was
