"""Package exports loaded on first use (PEP 562), so that importing a package, or one of its
submodules, does not import every module behind its public names: `workbench --help`, a kernel
that only shows invoices and a month-end worker start faster.

    _EXPORTS = {"open_workspace": "workspace", ...}          # name -> submodule holding it
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
    if TYPE_CHECKING:                                       # what type checkers and readers see
        from .workspace import open_workspace
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: dict[str, str],
                 namespace: dict[str, Any]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level `__getattr__` and `__dir__` of `package`: a name of `exports` is imported
    from its submodule when first asked for, then kept in the package's `namespace`."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *exports})

    return __getattr__, __dir__
