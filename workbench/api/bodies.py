"""JSON request bodies are taken as written: a key given twice in one object is refused (422).

Python's `json` (and so FastAPI) keeps the last of a repeated key without a word: a grant of
`{"amount": "10.00", "amount": "1000.00"}` granted 1000.00. An integrator's bug or a tampered
body is better refused than guessed at, so `refuse_repeated_keys` is a dependency of the whole
app (`create_app`), which makes it run for every route there is or will be: on a route that
takes a body, it reads the body again keeping every pair of every object, and answers 422
`duplicate-key` with one problem per repeated key, named with its path (`body amount`,
`body customers.0.x`), nested objects and objects inside lists too.

A body that is not JSON is left to FastAPI, which reports it as before (`invalid-json`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from fastapi import Request

from workbench.api.errors import ApiError
from workbench.billing.core.problems import Problem

__all__ = ["refuse_repeated_keys", "repeated_keys"]

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
MAX_PROBLEMS = 20  # repeated keys named one by one; an answer stays small whatever the body holds


class _Pairs:
    """A JSON object as written: every (key, value) pair in order, a repeated key each time."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs


def repeated_keys(body: bytes) -> list[tuple[tuple[str | int, ...], int]]:
    """Each key given more than once in one object of the JSON `body`: (its path, how many
    times), in the order of the document. Empty when no key repeats, or when `body` is not JSON."""
    try:
        document = json.loads(body, object_pairs_hook=_Pairs)
    except (ValueError, RecursionError):  # not JSON (UnicodeDecodeError is a ValueError too)
        return []
    found: dict[tuple[str | int, ...], int] = {}
    # (path, value, which occurrence of its key this is): a depth-first walk, in document order
    todo: list[tuple[tuple[str | int, ...], Any, int]] = [((), document, 1)]
    while todo:  # no recursion: a body that json could nest to its own limit must not fail here
        path, value, occurrence = todo.pop()
        if occurrence > 1:  # named where it is given again
            found[path] = max(occurrence, found.get(path, 0))
        if isinstance(value, _Pairs):
            seen: Counter[str] = Counter()
            pairs = []
            for key, item in value.pairs:  # every occurrence, the first too: it may repeat keys of its own
                seen[key] += 1
                pairs.append(((*path, key), item, seen[key]))
            todo.extend(reversed(pairs))
        elif isinstance(value, list):
            todo.extend(((*path, i), item, 1) for i, item in reversed(list(enumerate(value))))
    return list(found.items())


def _where(path: Sequence[str | int]) -> str:
    """`body amount`, `body customers.0`, as the API's other body problems name a place; a key
    that is not plain letters, digits, `_` or `-` is quoted (`body "a.b"`)."""
    return "body " + ".".join(str(p) if isinstance(p, int) or _PLAIN_KEY.match(p) else json.dumps(p) for p in path)


async def refuse_repeated_keys(request: Request) -> None:
    """For routes with a body only: 415 for a body not sent as JSON, 422 `duplicate-key` for a
    body that gives a key twice in one object (the first `MAX_PROBLEMS`, then how many more)."""
    if getattr(request.scope.get("route"), "body_field", None) is None:
        return
    body = await request.body()  # starlette keeps the body: the route reads it again
    if body and not _is_json(request.headers.get("content-type", "")):
        raise ApiError(415, "unsupported-media-type",
                       f"the body was sent as {request.headers.get('content-type') or 'no Content-Type'!r}: "
                       "this endpoint reads JSON only", fix="send the JSON object with Content-Type: application/json")
    repeated = repeated_keys(body)
    if repeated:
        fix = "send each key once per object"
        problems = [Problem(
            "duplicate-key",
            f"{_where(path)}: the key {json.dumps(path[-1])} is given {times} times in the same object; "
            "the request was refused rather than one of the values picked",
            fix=fix) for path, times in repeated[:MAX_PROBLEMS]]
        if len(repeated) > MAX_PROBLEMS:
            problems.append(Problem("duplicate-key", f"... and {len(repeated) - MAX_PROBLEMS} more repeated keys",
                                    fix=fix))
        raise ApiError(422, "duplicate-key", "the request body gives a key more than once", problems=problems)


def _is_json(content_type: str) -> bool:
    """application/json, or a JSON-based type (application/problem+json), any parameters aside."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))
