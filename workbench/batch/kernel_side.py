"""The in-kernel half of the warm-kernel engine (`engine.py`): imported INSIDE a warm kernel.

    baseline(["workbench.render"])   once, after the kernel started: import, then snapshot
    prepare("/some/cwd")             before each notebook: working directory of the run
    clean()                          after each notebook: reset, restore, report what leaked

State lives in this module, not in the user namespace, so `%reset` does not erase it. Every
call is made by the engine with `silent=True, store_history=False`: nothing is displayed, the
execution counter does not move, and the user namespace gets no names.

What `clean()` does (the isolation argument is in docs.md, "Warm kernels"):
  * `shell.reset(new_session=False)`: the user namespace, `Out`/`_`/`__`, `In`, the display
    hook's cache and aliases go; `shell.execution_count = 1`, so a notebook's execution counts
    do not depend on what ran before it;
  * matplotlib figures are closed (when matplotlib was imported at all);
  * the decimal context (precision, rounding, traps), the `random` state, the warning filters,
    `os.environ`, `sys.path`, the working directory and the `sys.modules` entries of modules
    that do not come from an installed location (a notebook's own helper modules) are put back;
  * it REPORTS, for the engine to restart the kernel, what it cannot undo: a watched module
    (workbench.*, the preloaded ones) whose global bindings changed (monkeypatching), a thread
    that was not there at the baseline (it could print into the next notebook), a module from
    outside the installed locations that was already there at the baseline and got reloaded.
"""

from __future__ import annotations

import decimal
import gc
import os
import random
import sys
import sysconfig
import threading
import warnings
from typing import Any

__all__ = ["baseline", "clean", "prepare"]

_state: dict[str, Any] = {}
_KERNEL_PACKAGES = ("IPython", "ipykernel", "traitlets", "zmq", "tornado", "jupyter_client", "comm")


def _watched(prefixes: tuple[str, ...]) -> dict[str, int]:
    """Fingerprint of each watched module: the identity of every global it binds."""
    prints: dict[str, int] = {}
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(prefixes):
            continue
        try:
            names = vars(module)
        except TypeError:
            continue
        prints[name] = hash((id(module), tuple(sorted((k, id(v)) for k, v in list(names.items())
                                                      if k not in ("__warningregistry__",)))))
    return prints


def _installed_roots() -> tuple[str, ...]:
    paths = {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    paths.add(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the workbench package
    return tuple(os.path.realpath(p) + os.sep for p in paths)


def _installed(name: str, module: Any) -> bool:
    """From the Python installation or workbench (library code), not made by a notebook."""
    if name in sys.builtin_module_names:
        return True
    roots = _state["roots"]
    file = getattr(module, "__file__", None)
    if file:
        return os.path.realpath(file).startswith(roots)
    spec = getattr(module, "__spec__", None)
    if spec is not None and spec.origin in ("built-in", "frozen"):
        return True
    paths = list(getattr(module, "__path__", None) or [])  # a namespace package
    return bool(paths) and all(os.path.realpath(p).startswith(roots) for p in paths)


def baseline(preload: list[str]) -> dict[str, Any]:
    """Import the heavy modules once, then remember what a clean kernel looks like."""
    import importlib

    for name in preload:
        importlib.import_module(name)
    # the kernel's own packages change as it works (IPython imports lazily during a reset)
    prefixes = tuple(sorted({"workbench", *(p for p in preload if not p.startswith(_KERNEL_PACKAGES))}))
    from IPython import get_ipython

    shell = get_ipython()
    # the names a fresh kernel's namespace has that IPython's reset does not put back
    # (`_`, `__`, `___`, `__doc__`, `__spec__`, ...): plain values, restored after each reset
    plain = (str, int, type(None))
    _state.update(
        namespace={k: v for k, v in shell.user_ns.items() if isinstance(v, plain)},
        namespace_keys=set(shell.user_ns),
        hidden=set(shell.user_ns_hidden),
        decimal=decimal.getcontext().copy(),
        random=random.getstate(),
        warnings=list(warnings.filters),
        prefixes=prefixes,
        roots=_installed_roots(),
        cwd=os.getcwd(),
        environ=dict(os.environ),
        path=list(sys.path),
        modules=set(sys.modules),
        threads={t.ident for t in threading.enumerate()},
        fingerprint=_watched(prefixes),
    )
    # What exists now is the clean kernel: move it out of the collector's sight, so the
    # collections of every clean() (and of IPython's reset) only scan what notebooks made.
    gc.collect()
    gc.freeze()
    return {"pid": os.getpid(), "modules": len(sys.modules)}


def prepare(cwd: str | None) -> dict[str, Any]:
    if cwd:
        os.chdir(cwd)
    return {"pid": os.getpid()}


def _restore_environ(saved: dict[str, str]) -> None:
    for key in set(os.environ) - set(saved):
        del os.environ[key]
    for key, value in saved.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


def _restore_decimal(saved: decimal.Context) -> None:
    """Mutate the current context back (a notebook usually mutates it: getcontext().prec = 6)."""
    context = decimal.getcontext()
    for name in ("prec", "rounding", "Emin", "Emax", "capitals", "clamp"):
        setattr(context, name, getattr(saved, name))
    context.traps = dict(saved.traps)
    context.clear_flags()


def clean() -> dict[str, Any]:
    """Back to the baseline; the list of leaks that only a kernel restart can undo."""
    from IPython import get_ipython

    shell = get_ipython()
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")
    shell.reset(new_session=False)
    shell.execution_count = 1
    dirty: list[str] = []
    for key, value in _state["namespace"].items():
        shell.user_ns.setdefault(key, value)
        if key in _state["hidden"]:
            shell.user_ns_hidden.setdefault(key, value)
    if set(shell.user_ns) != _state["namespace_keys"]:
        dirty.append(f"the namespace differs from a fresh kernel's: {sorted(set(shell.user_ns) ^ _state['namespace_keys'])}")

    _restore_decimal(_state["decimal"])
    random.setstate(_state["random"])
    warnings.filters[:] = _state["warnings"]
    warnings._filters_mutated()  # type: ignore[attr-defined]
    os.chdir(_state["cwd"])
    _restore_environ(_state["environ"])
    sys.path[:] = _state["path"]
    for name in set(sys.modules) - _state["modules"]:
        module = sys.modules.get(name)
        if module is not None and not _installed(name, module):
            del sys.modules[name]  # a notebook's own module: imported afresh by the next notebook
    missing = sorted(_state["modules"] - set(sys.modules))
    dirty += [f"module {name} was removed from sys.modules" for name in missing[:5]]
    now = _watched(_state["prefixes"])
    changed = sorted(name for name, value in _state["fingerprint"].items() if now.get(name, value) != value)
    dirty += [f"module {name} was modified" for name in changed]
    # A watched module imported by the notebook itself has no clean fingerprint to compare with:
    # the engine adds it to its preload list and restarts, so the next baseline includes it.
    learned = sorted(set(now) - set(_state["fingerprint"]))
    dirty += [f"module {name} was imported by the notebook" for name in learned]
    new_threads = [t for t in threading.enumerate() if t.ident not in _state["threads"] and t.is_alive()]
    dirty += [f"thread {t.name} is still running" for t in new_threads]
    gc.collect()
    return {"dirty": dirty, "learned": learned, "pid": os.getpid()}
