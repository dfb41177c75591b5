"""`create_app(ws)`: the billing API over one workspace, with its OpenAPI description.

    /openapi.json            the OpenAPI 3.1 description (no key needed)
    /docs, /redoc            Swagger UI 5 and ReDoc, their scripts served by this process
                             (the assets the `fastapi-offline` package ships): no CDN, no network
    /v1/health               liveness (no key needed)
    /v1/...                  the API (a key in every request)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from workbench.api import credits, customers, downloads, invoices
from workbench.api.bodies import refuse_repeated_keys
from workbench.api.errors import install_error_handlers
from workbench.api.limits import DEFAULT_MAX_BODY_BYTES, BodySizeLimit
from workbench.billing.store.workspace import Workspace

__all__ = ["API_VERSION", "create_app"]

API_VERSION = "1.0.0"
DOCS_ASSETS = "/docs/assets"

DESCRIPTION = """\
Invoices of a workbench workspace for integrations: a customer portal, an accounting system, a script.

**Keys.** Every `/v1` call needs a key from `workbench api-key create DIR --scope read|write|customer`,
sent as `Authorization: Bearer wbk_...` or `X-API-Key: wbk_...`. `read`: every GET; `write`: read plus
generation, status changes, deletions and credit grants (each recorded in the audit trail with the key id);
`customer`: that customer's issued invoices (never drafts), credits and profile.

**Money** is an exact decimal string (`"238.44"`), never a JSON number.

**Retries.** Every POST takes an optional `Idempotency-Key` header (1-255 visible ASCII characters, e.g. a
UUID made for the request): sent again with the same request, the first answer comes back (same status and
body, `Idempotent-Replayed: true`) and nothing is done twice; with another request, 422
`idempotency-key-reused`; while the first still runs, 409 `idempotency-key-in-use` with `Retry-After` (a key
held without an answer for 10 minutes, its server stopped, is free again). Only successful answers are kept,
per API key, for good. The same request is the same method, path (`/v1/invoices/23/status` and
`/v1/invoices/AWS-202510-00001/status` are two) and JSON body.

**Errors** have the body `{"problems": [{"code", "message", "fix", ...}]}`: 400 a Content-Length that is not
a number, 401 no or bad key, 403 scope too small, 404 not found (also another customer's invoice), 409 not
allowed in the invoice's state or period already billed, 413 body over the limit, 415 a body not sent as
`Content-Type: application/json`, 422 bad input: a body that is not JSON or cannot be read as JSON (not
UTF-8, nested too deeply: `invalid-json`), a body that gives a key twice in one object (`duplicate-key`, one
problem per repeated key with its path, e.g. `body amount`, the first 20: the API does not pick one of the
values), a wrong field. A generation that made nothing answers with the run itself (`{range, invoices: [],
already_billed, problems}`): 409 when the customers' period is billed already (`already_billed` names the
invoices covering exactly the range), 422 when a customer besides those could not be invoiced.
"""


def create_app(
    ws: Workspace,
    *,
    today: Callable[[], dt.date] = dt.date.today,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    """The API over `ws`. `today` sets issue and due dates and resolves `mtd`/`last-month`."""
    app = FastAPI(
        title="workbench billing API", version=API_VERSION, description=DESCRIPTION,
        docs_url=None, redoc_url=None,  # FastAPI's own pages load their scripts from a CDN: served below instead
        # on the app, not on each route: every route taking a body, now and later, refuses repeated keys
        dependencies=[Depends(refuse_repeated_keys)],
        openapi_tags=[
            {"name": "customers", "description": "customers and their vendor profiles"},
            {"name": "vendor reports", "description": "imported vendor billing reports and periods"},
            {"name": "invoices", "description": "generate, read, approve, void, delete, download"},
            {"name": "credits", "description": "credit balances, ledger and grants"},
            {"name": "service"},
        ],
    )
    app.state.workspace = ws
    app.state.today = today
    install_error_handlers(app)

    @app.get("/v1/health", tags=["service"])
    def health() -> dict[str, str]:
        """Liveness: answers without a key."""
        return {"status": "ok", "version": API_VERSION}

    app.mount(DOCS_ASSETS, StaticFiles(directory=_swagger_assets()), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} - docs",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js", swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": False},
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} - reference",
                              redoc_js_url=f"{DOCS_ASSETS}/redoc.standalone.js",
                              redoc_favicon_url=f"{DOCS_ASSETS}/favicon.png", with_google_fonts=False)

    for module in (customers, invoices, downloads, credits):
        app.include_router(module.router)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    return app


def _swagger_assets() -> str:
    import fastapi_offline

    return str(Path(fastapi_offline.__file__).parent / "static")
