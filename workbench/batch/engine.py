"""A papermill engine that keeps one started kernel per thread and runs notebook after notebook in it.

    import papermill
    papermill.execute_notebook("in.ipynb", "out.ipynb", parameters={...}, engine_name="warm")

Registered under the `papermill.engines` entry point group as `warm` (and by `register()`,
called on import of this module, for a checkout that is not installed). papermill's own engine
starts a kernel per notebook (about 1.3 s here, plus the notebook's imports: about 1 s for
workbench.render); this one starts a kernel once per worker thread, imports the heavy modules
once (`preload`), and between notebooks puts the kernel back to that clean state
(`kernel_side.clean`). Whatever it cannot put back - a failed or timed-out notebook, a patched
module, a thread left running, a kernel that died - costs a restart: the next notebook gets a
fresh kernel. See docs.md, "Warm kernels", for the isolation argument.

One kernel per thread, because nbclient's synchronous calls run on an event loop of the calling
thread and the kernel client's sockets belong to that loop. Kernels speak over IPC sockets in a
folder of their own (`kernels.py` explains why); they are shut down at exit.
"""

from __future__ import annotations

import ast
import atexit
import logging
import os
import shutil
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from papermill.engines import Engine

__all__ = ["DEFAULT_PRELOAD", "WarmKernel", "WarmKernelEngine", "get_warm_kernel", "register", "shutdown_warm_kernels"]

log = logging.getLogger(__name__)

ENGINE_NAME = "warm"
# What notebooks/invoice.ipynb imports: done once per kernel instead of once per invoice.
DEFAULT_PRELOAD: tuple[str, ...] = ("IPython.display", "workbench.render")
KERNEL_SIDE = "workbench.batch.kernel_side"
STARTUP_TIMEOUT = 60.0
HELPER_TIMEOUT = 60.0


class WarmKernelError(RuntimeError):
    """The warm kernel could not be started or did not answer a housekeeping request."""


class WarmKernel:
    """One kernel, started on first use, reused by `execute` until it needs a restart."""

    def __init__(self, kernel_name: str = "python3", preload: Sequence[str] = DEFAULT_PRELOAD,
                 startup_timeout: float = STARTUP_TIMEOUT) -> None:
        self.kernel_name = kernel_name or "python3"
        self.preload = list(dict.fromkeys(preload))
        self.startup_timeout = startup_timeout
        self.km: Any = None
        self.kc: Any = None
        self.pid: int | None = None
        self._folder: Path | None = None
        self.starts = 0  # kernels started so far (1 + restarts)
        self.notebooks = 0  # notebooks run
        self.restart_reasons: list[str] = []

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def kernel_id(self) -> str | None:
        return None if self.km is None else getattr(self.km, "kernel_id", None) or self.km.connection_file

    def is_alive(self) -> bool:
        from jupyter_core.utils import run_sync

        return self.km is not None and bool(run_sync(self.km.is_alive)())

    def start(self) -> None:
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        from .kernels import ipc_config, new_kernel_folder

        self._folder = new_kernel_folder()
        self.km = AsyncKernelManager(kernel_name=self.kernel_name, config=ipc_config(self._folder))
        try:
            run_sync(self.km.start_kernel)(extra_arguments=["--HistoryManager.hist_file=:memory:"])
            self.kc = self.km.client()
            self.kc.start_channels()
            run_sync(self.kc.wait_for_ready)(timeout=self.startup_timeout)
            self.kc.allow_stdin = False
            answer = self.call("baseline", list(self.preload), timeout=max(HELPER_TIMEOUT, self.startup_timeout))
        except BaseException:
            self.shutdown()
            raise
        self.pid = int(answer["pid"])
        self.starts += 1

    def shutdown(self) -> None:
        from jupyter_core.utils import run_sync

        km, kc, self.km, self.kc, self.pid = self.km, self.kc, None, None, None
        try:
            if kc is not None:
                kc.stop_channels()
            if km is not None and km.has_kernel:
                run_sync(km.shutdown_kernel)(now=True)
        except Exception as exc:  # a kernel that is already gone
            log.debug("warm kernel shutdown: %s", exc)
        finally:
            if km is not None:
                try:
                    run_sync(km.cleanup_resources)()
                except Exception:
                    pass
            if self._folder is not None:
                shutil.rmtree(self._folder, ignore_errors=True)
                self._folder = None

    def restart(self, reason: str) -> None:
        log.info("restarting the warm kernel: %s", reason)
        self.restart_reasons.append(reason)
        self.shutdown()

    def ensure_started(self) -> None:
        if self.km is not None and not self.is_alive():
            self.restart("the kernel died")
        if self.km is None:
            self.start()

    # --- requests ----------------------------------------------------------------------------

    def call(self, function: str, *args: Any, timeout: float = HELPER_TIMEOUT) -> dict[str, Any]:
        """Call `kernel_side.<function>(*args)` in the kernel; its dict answer (plain literals)."""
        from jupyter_core.utils import run_sync

        expression = f"__import__({KERNEL_SIDE!r}, fromlist=['_']).{function}(*{tuple(args)!r})"
        # silent: no output, no history, the execution counter does not move, no name is bound
        msg_id = self.kc.execute("", silent=True, store_history=False, user_expressions={"r": expression})
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WarmKernelError(f"the kernel did not answer {function}() in {timeout:.0f} s")
            reply = run_sync(self.kc.get_shell_msg)(timeout=remaining)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        result = reply["content"].get("user_expressions", {}).get("r", {})
        if reply["content"].get("status") != "ok" or result.get("status") != "ok":
            detail = result.get("evalue") or reply["content"].get("evalue") or reply["content"]
            raise WarmKernelError(f"{function}() failed in the kernel: {result.get('ename', '')} {detail}")
        return ast.literal_eval(result["data"]["text/plain"])

    # --- notebooks ---------------------------------------------------------------------------

    def execute(self, nb_man: Any, cwd: str | None = None, **client_kwargs: Any) -> Any:
        """Run the managed notebook's cells in this kernel, then clean the kernel."""
        from papermill.clientwrap import PapermillNotebookClient

        self.ensure_started()
        self.call("prepare", cwd)
        client = PapermillNotebookClient(nb_man, km=self.km, **client_kwargs)
        client.kc = self.kc  # the running client: nbclient starts none and shuts nothing down
        clean = False
        try:
            client.execute(cleanup_kc=False)
            self.notebooks += 1
            failed = any(cell.get("metadata", {}).get("papermill", {}).get("exception")
                         for cell in nb_man.nb.cells)
            if failed:
                self.restart("the notebook raised an error")
            else:
                answer = self.call("clean")
                if answer["dirty"]:
                    self.preload += [m for m in answer["learned"] if m not in self.preload]
                    self.restart("; ".join(answer["dirty"]))
            clean = True
        finally:
            if not clean:  # timeout, dead kernel, interrupted: nothing of it may reach the next notebook
                self.restart("the notebook did not finish")
        return nb_man.nb


_local = threading.local()
_all: list[WarmKernel] = []
_all_lock = threading.Lock()


def get_warm_kernel(kernel_name: str = "python3", preload: Sequence[str] | None = None) -> WarmKernel:
    """This thread's warm kernel for `kernel_name` (made, not started, on first use)."""
    kernels: dict[str, WarmKernel] = _local.__dict__.setdefault("kernels", {})
    name = kernel_name or "python3"
    if name not in kernels:
        kernel = WarmKernel(name, DEFAULT_PRELOAD if preload is None else preload)
        kernels[name] = kernel
        with _all_lock:
            _all.append(kernel)
    return kernels[name]


def shutdown_warm_kernels() -> None:
    """Shut every warm kernel of this process down (also run at exit).

    Kernels made in other threads are shut down from here; their thread's event loop is not
    needed for that (the kernel manager kills the process).
    """
    with _all_lock:
        kernels = list(_all)
        _all.clear()
    for kernel in kernels:
        kernel.shutdown()
    _local.__dict__.pop("kernels", None)


atexit.register(shutdown_warm_kernels)


class WarmKernelEngine(Engine):
    """papermill engine `warm`: papermill's nbclient execution, in this thread's warm kernel."""

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, log_output: bool = False,
                                 stdout_file: Any = None, stderr_file: Any = None, start_timeout: float = 60,
                                 execution_timeout: float | None = None, preload: Sequence[str] | None = None,
                                 **kwargs: Any) -> Any:
        import papermill.engines as pm_engines

        kwargs.pop("input_path", None)
        kwargs.pop("config", None)  # kernel manager settings: the warm kernel has its own
        kwargs.pop("startup_timeout", None)
        timeout = execution_timeout if execution_timeout else kwargs.pop("timeout", None)
        kwargs.pop("timeout", None)
        kernel = get_warm_kernel(kernel_name, preload)
        kernel.startup_timeout = start_timeout
        return kernel.execute(nb_man, cwd=os.getcwd(), timeout=timeout, startup_timeout=start_timeout,
                              kernel_name=kernel_name, log=pm_engines.logger, log_output=log_output,
                              stdout_file=stdout_file, stderr_file=stderr_file, **kwargs)


def register() -> None:
    """Make `engine_name="warm"` work without the installed entry point (a plain checkout)."""
    from papermill.engines import papermill_engines

    if ENGINE_NAME not in papermill_engines._engines:
        papermill_engines.register(ENGINE_NAME, WarmKernelEngine)


register()
