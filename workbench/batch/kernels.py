"""Where the month end's notebooks run: kernels on IPC sockets in a folder of their own
(`kernel_config`, `new_kernel_folder`), and papermill writing under a temp name
(`execute_notebook`), renamed once whole.

TCP ports picked at random can collide between parallel kernel starts (papermill issue 511) and
listen on the network; IPC sockets cannot, as long as each kernel has its own path
(jupyter_client's default, `kernel-ipc-N` in the working directory, is shared by every kernel
started there, and parallel kernels then read each other's messages). A killed run leaves its
socket folders behind: the next start removes those of processes no longer running.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from traitlets.config import Config

__all__ = [
    "CELL_TIMEOUT_SECONDS",
    "ENGINES",
    "KERNEL_DIR_PREFIX",
    "execute_notebook",
    "ipc_config",
    "kernel_config",
    "new_kernel_folder",
    "sweep_dead_kernel_dirs",
    "temp_name",
]

ENGINES = ("warm", "cold")  # a kernel kept warm per worker (engine.py), or one started per notebook
CELL_TIMEOUT_SECONDS = 300
KERNEL_DIR_PREFIX = "wb-kernel-"


def temp_name(folder: Path, name: str, suffix: str = ".tmp") -> Path:
    """A hidden name in `folder` to write `name` under before the rename (`output_folders`
    removes such leftovers)."""
    return folder / f".{name}.{secrets.token_hex(6)}{suffix}"


def sweep_dead_kernel_dirs(tmp: Path) -> None:
    """Remove socket folders of processes that no longer run (a killed month end leaves them)."""
    for folder in tmp.glob(f"{KERNEL_DIR_PREFIX}*"):
        pid_text = folder.name[len(KERNEL_DIR_PREFIX):].split("-", 1)[0]
        if not pid_text.isdigit() or not folder.is_dir():
            continue
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:  # someone else's live process
            pass


def new_kernel_folder() -> Path:
    """A socket folder of this process's own under the temp directory (the caller removes it);
    the folders of dead processes are swept first."""
    tmp = Path(tempfile.gettempdir())
    sweep_dead_kernel_dirs(tmp)
    return Path(tempfile.mkdtemp(prefix=f"{KERNEL_DIR_PREFIX}{os.getpid()}-", dir=tmp))


def ipc_config(folder: Path) -> Config:
    """A KernelManager's config for a kernel on IPC sockets in `folder`."""
    return Config({"KernelManager": {"transport": "ipc", "ip": str(folder / "k")}})


@contextmanager
def kernel_config() -> Iterator[Config]:
    """Kernel over IPC sockets in a folder of its own, removed afterwards."""
    folder = new_kernel_folder()
    try:
        yield ipc_config(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def execute_notebook(notebook: Path, folder: Path, number: str, ws_root: Path, engine: str = "warm") -> object:
    """Run papermill for invoice `number` into a temp name; rename to <number>.ipynb, or
    <number>.failed.ipynb on error.

    `engine`: "warm" runs in this thread's warm kernel (`engine.py`), "cold" starts a kernel for
    this notebook alone (papermill's own engine). Returns the executed notebook node.
    """
    import papermill

    temp = temp_name(folder, number, ".tmp.ipynb")  # papermill wants an .ipynb name
    final = folder / f"{number}.ipynb"
    failed = folder / f"{number}.failed.ipynb"
    parameters = {"workspace": str(ws_root), "invoice": number, "customer": "", "vendor": "",
                  "period": "", "display_currency": ""}
    common = dict(parameters=parameters, kernel_name="python3", progress_bar=False,
                  request_save_on_cell_execute=False, execution_timeout=CELL_TIMEOUT_SECONDS)
    try:
        if engine == "warm":
            from .engine import ENGINE_NAME, register

            register()
            nb = papermill.execute_notebook(str(notebook), str(temp), engine_name=ENGINE_NAME, **common)
        else:
            with kernel_config() as config:
                nb = papermill.execute_notebook(str(notebook), str(temp), config=config, **common)
    except Exception:
        # kept as a record of the failed run, under its own name, when papermill wrote it whole;
        # a notebook it could not write out (a full disk) would be an empty or cut-off file
        if _whole_notebook(temp):
            os.replace(temp, failed)
        else:
            temp.unlink(missing_ok=True)
        raise
    except BaseException:  # interrupted (Ctrl-C, SIGTERM): no record of a run that was stopped
        temp.unlink(missing_ok=True)
        raise
    os.replace(temp, final)
    failed.unlink(missing_ok=True)
    return nb


def _whole_notebook(path: Path) -> bool:
    """The file is a complete notebook (JSON with its cells): papermill's write was not cut short."""
    try:
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
    except (OSError, ValueError):
        return False
    return isinstance(document, dict) and isinstance(document.get("cells"), list)
