"""Every error leaves the API as `{"problems": [Problem, ...]}`: never a stack trace.

    ApiError(status, code, message, fix=...)    raised by routes and dependencies
    RequestValidationError                      422: bad JSON, wrong types, bad path parameters
    starlette HTTPException                     404 unknown route, 405 wrong method
    UsageUnavailable                            409 "usage-unavailable": stored usage is gone, import it again
    anything else                               500 "internal-error" (the trace goes to the log)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from workbench.billing.core.problems import Problem
from workbench.billing.store.usage_files import UsageUnavailable

__all__ = ["ApiError", "install_error_handlers", "problem_response"]

log = logging.getLogger("workbench.api")
UNREADABLE_BODY = "There was an error parsing the body"  # FastAPI's 400 when json.loads fails otherwise than on syntax


class ApiError(Exception):
    """An answer other than success, with the HTTP status and one problem (or several)."""

    def __init__(self, status: int, code: str, message: str, *, fix: str | None = None,
                 problems: Sequence[Problem] = (), headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.problems = tuple(problems) or (Problem(code, message, fix=fix),)
        self.headers = headers


def problem_response(status: int, problems: Sequence[Problem], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"problems": [p.to_dict() for p in problems]}, status_code=status, headers=headers)


def _where(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        kind, rest = parts[0], parts[1:]
        return f"{kind} {'.'.join(rest)}" if rest else kind
    return ".".join(parts)


def _validation_problems(errors: Sequence[Any]) -> list[Problem]:
    problems = []
    for error in errors:
        kind = str(error.get("type", ""))
        where = _where(error.get("loc", ()))
        if kind == "json_invalid":
            detail = error.get("ctx", {}).get("error", "")
            problems.append(Problem("invalid-json", f"the request body is not valid JSON ({detail})".replace(" ()", ""),
                                    fix="send a JSON object with Content-Type: application/json"))
        elif kind == "missing" and where == "body":
            problems.append(Problem("missing-body", "this request needs a JSON body",
                                    fix="send a JSON object with Content-Type: application/json"))
        else:
            problems.append(Problem("invalid-request", f"{where}: {error.get('msg', 'invalid value')}"))
    return problems


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return problem_response(exc.status, exc.problems, exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(422, _validation_problems(exc.errors()))


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not-found", 405: "method-not-allowed", 413: "body-too-large"}
    message = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = "no such endpoint: see /docs or /openapi.json"
    if exc.status_code == 400 and message == UNREADABLE_BODY:  # FastAPI could not decode it: not JSON to us
        return problem_response(422, [Problem(
            "invalid-json", "the request body could not be read as JSON: it is not UTF-8 text, or it holds a number "
            "of thousands of digits or arrays and objects nested too deeply",
            fix="send a JSON object in UTF-8 with Content-Type: application/json")])
    return problem_response(exc.status_code, [Problem(codes.get(exc.status_code, "http-error"), message)],
                            dict(exc.headers) if exc.headers else None)


async def _usage_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UsageUnavailable)
    return problem_response(409, [exc.problem()])


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(500, [Problem("internal-error", "the server failed on this request; the details are in its log",
                                          fix="tell the workspace's administrator the time of the request")])


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(UsageUnavailable, _usage_unavailable)
    app.add_exception_handler(Exception, _internal_error)
