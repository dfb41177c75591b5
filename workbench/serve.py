"""`workbench serve DIR`: the dashboards as web pages, through Voila, on this machine only.

    workbench serve ./acme-workspace                       # billing reports, opens a browser
    workbench serve ./acme-workspace --notebook all --read-only --port 8870 --no-browser

Voila runs as a child process (`workbench.voila_app`: Voila, each page loading only the lab
extensions it uses) bound to 127.0.0.1 with sources stripped (its default); the
workspace path and read-only flag reach the notebook kernels through environment variables
(`WORKBENCH_WORKSPACE`, `WORKBENCH_READ_ONLY`, `WORKBENCH_TODAY`, and `WORKBENCH_DB_URL` when
set), which the notebooks' parameters cells read. Voila has no authentication: read-only mode is
enforced in the Python callbacks.

Preheat (the default; `--no-preheat` turns it off): Voila keeps one kernel per dashboard that has
already started and run the notebook, so a visitor's page needs no kernel start, imports or
first report. Such a kernel copies Voila's environment when it starts, so it sees the same
`WORKBENCH_*` variables as a visit's kernel (they are fixed for the server's lifetime), but it may
have run the notebook hours before the visit: the notebooks' last cell
(`workbench.dashboards.catch_up_when_visited`) waits for the visitor's request and refreshes the
app if the workspace changed (a new audit event) or the day turned since. Only the three
dashboards are preheated (in `--notebook all` mode a denylist keeps Voila from preheating every
other notebook of the folder: the month-end invoice notebook). After a visit Voila refills the
pool in the background (one more kernel running the notebook), `POOL_REFILL_DELAY_S` later, once
the visitor's page has loaded rather than while it loads.

The page is Voila's lab template less its links to a CDN (`templates/voila/templates/workbench`,
laid out as a Jupyter data folder: the checkout's `templates/` goes on `JUPYTER_PATH`; an
installed package has it in `<sys.prefix>/share/jupyter/voila/templates/workbench`), so a
dashboard loads whole without internet. The template also gives the page the `_xsrf` cookie that
Voila's front end sends back when the visitor leaves (`POST voila/api/shutdown/<kernel id>`):
Voila never issues it, and without it Tornado refused the request (403, Voila issue #1458) and
every visit left its kernel (160-250 MB) running until the server stopped. As a safety net for a
page that goes without that request (a crashed browser, a lost network), Voila culls a kernel that
has had no page connected and no activity for 10 minutes (`voila_command`); a kernel with its page
open or running a cell is kept, and so is a preheated kernel waiting in the pool.

Stopping: Ctrl-C, SIGTERM or SIGHUP (the terminal closed) stops Voila and its kernels with this
command. Voila runs in a session of its own and gets one SIGTERM from it (`Server.stop`); on Linux
it gets that SIGTERM from the kernel when this command is killed outright (`workbench.with_parent`).
Not SIGINT: Voila's own SIGTERM handler stops its event loop between callbacks, where a SIGINT
raised KeyboardInterrupt inside whatever ran, and a page being preheated then printed "Task
exception was never retrieved" with its traceback. Voila's kernels start from a `python3` kernel
spec of serve's own, which loads `workbench.quiet_stop`: a kernel stopped while its notebook runs
prints no ZMQError traceback. Either way a server stopped in its first seconds was not quiet.

The notebooks folder is, in order: `$WORKBENCH_NOTEBOOKS`; the checkout's `notebooks/` beside
the `workbench` package (running from the repository or an editable install); the installed
data folder `<sys.prefix>/share/workbench/notebooks`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import webbrowser
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import click

from workbench import quiet_stop, shipped, with_parent
from workbench.cli_params import DATE

__all__ = [
    "NOTEBOOKS",
    "NotebooksNotFound",
    "POOL_REFILL_DELAY_S",
    "Server",
    "find_notebooks_dir",
    "free_port",
    "serve",
    "start_server",
    "voila_command",
]

NOTEBOOKS: dict[str, str] = {
    "billing": "billing_reports.ipynb",
    "invoices": "customer_invoices.ipynb",
    "usage": "usage_explorer.ipynb",
}
PREHEATED = ("billing", "invoices", "usage")  # notebooks whose last cell catches up with changes made since
HOST = "127.0.0.1"
DEFAULT_PORT = 8866
STOP_SIGNAL = signal.SIGTERM  # how serve stops Voila: its handler stops the event loop, then every kernel
TEMPLATE = "workbench"  # the Voila template: lab, without a CDN
# Seconds between a visit taking the preheated kernel and Voila starting the next one (its default
# is 1 s): that kernel's start and notebook run took 0.7-1.5 s of CPU while the visitor's page was
# loading, on a 2-core machine whose browser was busy too; with the refill after the page, the
# 500-customer bench page showed its table in 1.9-2.4 s instead of 2.8-3.5 s.
POOL_REFILL_DELAY_S = 10
_REPO_JUPYTER_DATA = Path(__file__).resolve().parent.parent / "templates"  # holds voila/templates/workbench


class NotebooksNotFound(click.ClickException):
    pass


def find_notebooks_dir() -> Path:
    try:
        return shipped.find("notebooks", NOTEBOOKS["billing"], "WORKBENCH_NOTEBOOKS")
    except shipped.NotShipped as exc:
        raise NotebooksNotFound(f"the dashboard notebooks were not found: {exc}") from None


def notebook_path(folder: Path, which: str) -> Path:
    path = folder / NOTEBOOKS[which]
    if not path.is_file():
        raise NotebooksNotFound(f"the {which} notebook {path.name} is not in {folder}")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def voila_command(target: Path, port: int, *, preheat: bool = True, pool_size: int = 1,
                  cull_idle_timeout: int = 600) -> list[str]:
    """Voila for one notebook or (a folder) all of them; `preheat` applies to `PREHEATED` only.

    `cull_idle_timeout` (seconds, 0: never) is the safety net for a visit's kernel whose page went
    without shutting it down (a crashed browser or tab, a lost network): such a kernel is shut down
    once it has had no page connected and no activity that long. A kernel with its page connected or
    running a cell is never culled, nor (Voila's `VoilaKernelManager.cull_kernel_if_idle`) a preheated
    kernel still in the pool, waiting for its visitor."""
    command = [sys.executable, "-m", "workbench.voila_app", str(target), "--no-browser", f"--port={port}", f"--Voila.ip={HOST}",
               f"--template={TEMPLATE}"]
    if cull_idle_timeout > 0:
        command += [f"--MappingKernelManager.cull_idle_timeout={cull_idle_timeout}",
                    f"--MappingKernelManager.cull_interval={min(60, max(1, cull_idle_timeout // 2))}",
                    "--MappingKernelManager.cull_connected=False", "--MappingKernelManager.cull_busy=False"]
    ours = [NOTEBOOKS[name] for name in PREHEATED]
    if preheat and (target.is_dir() or target.name in ours):
        command += ["--preheat_kernel=True", f"--pool_size={pool_size}",
                    f"--VoilaKernelManager.fill_delay={POOL_REFILL_DELAY_S}"]
        if target.is_dir():  # Voila would preheat every notebook of the folder (invoice.ipynb too)
            # Voila matches each pattern against the notebook's path as it found it (the folder, then
            # the name), so the names are anchored after the last separator. One plain value, not a
            # list literal: traitlets passes it on as it is, backslashes included.
            names = "|".join(name.replace(".", "[.]") for name in ours)
            command.append(rf"--VoilaKernelManager.preheat_denylist=^(?!(.*[/\\])?({names})$).*")
    return command


def kernel_environment(workspace: Path, read_only: bool, today: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env["WORKBENCH_WORKSPACE"] = str(workspace)
    env["WORKBENCH_READ_ONLY"] = "1" if read_only else "0"
    if today:
        env["WORKBENCH_TODAY"] = today
    else:
        env.pop("WORKBENCH_TODAY", None)
    data = [str(quiet_stop.KERNEL_SPECS)]  # its python3 kernel spec: kernels that stop without a traceback
    if (_REPO_JUPYTER_DATA / "voila" / "templates" / TEMPLATE).is_dir():  # a checkout: Voila finds the template there
        data.append(str(_REPO_JUPYTER_DATA))
    if env.get("JUPYTER_PATH"):
        data.append(env["JUPYTER_PATH"])
    env["JUPYTER_PATH"] = os.pathsep.join(data)
    return env


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    urls: dict[str, str]

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Return once the port accepts connections; raise if Voila died or the time ran out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise click.ClickException(f"Voila exited with code {self.process.returncode} before it was ready")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise click.ClickException(f"Voila did not listen on {HOST}:{self.port} within {timeout:.0f} s")

    def stop(self, timeout: float = 15.0) -> int:
        if self.process.poll() is None:
            if os.name == "nt":
                self.process.terminate()
            else:
                self.process.send_signal(STOP_SIGNAL)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                try:
                    self.process.wait(5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        return self.process.returncode


def start_server(
    workspace: Path, *, read_only: bool = False, port: int = DEFAULT_PORT, notebook: str = "billing",
    today: str | None = None, preheat: bool = True, notebooks_dir: Path | None = None,
    stdout: int | None = None, stderr: int | None = None,
) -> Server:
    """Start Voila for the workspace in a child process (not yet waited for: see `wait_ready`)."""
    from workbench.billing.store.workspace import read_marker

    root = Path(workspace).expanduser().resolve()
    read_marker(root)  # refuses a folder that is not a workspace before starting anything
    folder = notebooks_dir or find_notebooks_dir()
    port = port or free_port()
    base = f"http://{HOST}:{port}"
    if notebook == "all":
        target = folder
        urls = {name: f"{base}/voila/render/{file}" for name, file in NOTEBOOKS.items() if (folder / file).is_file()}
    else:
        target = notebook_path(folder, notebook)
        urls = {notebook: f"{base}/"}
    # Voila runs in a session of its own: a Ctrl-C in the terminal signals this process alone, which
    # stops Voila with ONE signal (`Server.stop`). Signalled by the terminal too, Voila got a second
    # SIGINT while it shut its kernels down, and printed a KeyboardInterrupt traceback.
    command = voila_command(target, port, preheat=preheat)
    if os.name != "nt":  # and Voila gets the signal even if this process is killed (SIGKILL)
        command = with_parent.command(os.getpid(), command, STOP_SIGNAL)
    process = subprocess.Popen(command, cwd=folder,
                               env=kernel_environment(root, read_only, today), stdout=stdout, stderr=stderr,
                               start_new_session=os.name != "nt")
    return Server(process, port, urls)


@contextlib.contextmanager
def _stopped_by_termination() -> Iterator[None]:
    """SIGTERM (`kill`, a service manager) and SIGHUP (the terminal closed) end the block as Ctrl-C
    does, so that what follows it stops Voila: by default they end this process at once and leave
    Voila, in its own session, running."""
    if os.name == "nt":
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@click.command("serve", short_help="Serve the dashboards (Voila) on this machine.")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--read-only", is_flag=True, help="Viewers can look but not generate, approve, delete or change a status.")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True, help="Port on 127.0.0.1 (0: any free port).")
@click.option("--dashboard", "--notebook", "notebook", type=click.Choice(["billing", "invoices", "usage", "all"]),
              default="billing", show_default=True,
              help="The dashboard at /, or all of them under /voila/render/<file>. (--notebook: its older name; "
                   "month-end's --notebook is the invoice notebook.)")
@click.option("--no-browser", is_flag=True, help="Print the URL only.")
@click.option("--today", type=DATE, metavar="YYYY-MM-DD", help="Pretend today is this day (demos of past months).")
@click.option("--preheat/--no-preheat", default=True, show_default=True,
              help="Keep a kernel per dashboard (billing, invoices, usage) that has already run the notebook for the "
                   "next visitor; the page catches up with changes made since when it is opened. "
                   "--no-preheat: start a kernel and run the notebook for each visit.")
def serve(directory: str, read_only: bool, port: int, notebook: str, no_browser: bool, today: dt.date | None,
          preheat: bool) -> None:
    """Serve the dashboards of workspace DIRECTORY with Voila on 127.0.0.1."""
    from workbench.cli_workspace import workspace_argument

    with workspace_argument():
        server = start_server(Path(directory), read_only=read_only, port=port, notebook=notebook,
                              today=today.isoformat() if today else None, preheat=preheat)
    try:
        with _stopped_by_termination():
            server.wait_ready()
            mode = " (read-only)" if read_only else ""
            for name, url in server.urls.items():
                click.echo(f"{name}{mode}: {url}")
            click.echo("press Ctrl-C to stop", err=True)
            if not no_browser:
                webbrowser.open(next(iter(server.urls.values())))
            server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def main(argv: Sequence[str] | None = None) -> None:
    serve.main(args=list(argv) if argv is not None else None, standalone_mode=True)


if __name__ == "__main__":
    main()
