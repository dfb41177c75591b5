"""The billing API: a FastAPI app over one workspace, with API keys. See docs.md.

    from workbench.api import create_app
    app = create_app(open_workspace(path))      # uvicorn.run(app, host="127.0.0.1", port=8870)

The names are loaded on first use (`workbench.lazy`), so that the `workbench` command line
(which registers `workbench api` and `workbench api-key` from `workbench.api.cli`) imports
neither FastAPI nor the key store.
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING

from workbench.lazy import lazy_exports as _lazy_exports

_EXPORTS: dict[str, str] = {
    "API_VERSION": "app", "create_app": "app",
    **{name: "keys" for name in ("ApiKeyError", "IssuedKey", "KeyInfo", "Principal", "authenticate", "create_key",
                                 "list_keys", "revoke_key")},
}
__all__ = [  # the keys of _EXPORTS (a test checks that each one loads)
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
__getattr__, __dir__ = _lazy_exports(__name__, _EXPORTS, globals())

if _TYPE_CHECKING:  # what type checkers and readers see
    from workbench.api.app import API_VERSION, create_app
    from workbench.api.keys import (ApiKeyError, IssuedKey, KeyInfo, Principal, authenticate, create_key, list_keys,
                                    revoke_key)
