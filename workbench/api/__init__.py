"""The billing API: a FastAPI app over one workspace, with API keys. See docs.md.

    from workbench.api import create_app
    app = create_app(open_workspace(path))      # uvicorn.run(app, host="127.0.0.1", port=8870)

`create_app` is loaded on first use, so that the `workbench` command line (which registers
`workbench api` and `workbench api-key` from `workbench.api.cli`) does not import FastAPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.api.keys import ApiKeyError, IssuedKey, KeyInfo, Principal, authenticate, create_key, list_keys, revoke_key

if TYPE_CHECKING:
    from workbench.api.app import API_VERSION, create_app

__all__ = [
    "API_VERSION",
    "ApiKeyError",
    "IssuedKey",
    "KeyInfo",
    "Principal",
    "authenticate",
    "create_app",
    "create_key",
    "list_keys",
    "revoke_key",
]


def __getattr__(name: str) -> Any:
    if name in ("create_app", "API_VERSION"):
        from workbench.api import app

        return getattr(app, name)
    raise AttributeError(f"module 'workbench.api' has no attribute {name!r}")
