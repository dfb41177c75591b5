"""`Idempotency-Key`: a POST sent again with the same key gets the first answer; nothing is done twice.

A client that times out cannot tell whether its request was done: retried, a credit granted
without a `credit_id` was granted twice. Every POST (credit grant, generation, status change)
takes an optional header `Idempotency-Key` (1 to 255 visible ASCII characters, e.g. a UUID the
client makes once per request and sends again with each retry of it):

    new key                              the request runs; a 2xx answer is kept with the key
    same key, same request               that answer again, status and body, with the header
                                         `Idempotent-Replayed: true`; nothing runs
    same key, another request            422 `idempotency-key-reused` (another body or endpoint)
    same key, the first still running    409 `idempotency-key-in-use`: retry in a moment
    the first was refused (4xx) or 5xx   nothing kept (nothing was done): the key may be sent again

"The same request" is the same method, path and JSON body, the order of keys and white space
aside. Keys belong to the API key that sent them: two clients cannot see or block each other's.
Kept answers are kept for good (table `idempotency_keys`): a key is never taken for another
request, and a retry months later still gets the first answer instead of a second grant.

Once, also at the same moment: the key is claimed first, in a transaction of its own, as a row
under a unique (API key, Idempotency-Key) constraint with a random claim token and no answer yet.
Of two requests at once one inserts it and runs; the other finds it, or fails to insert it and
then finds it, and answers 409. The answer is then written into the row, where the claim is
still the request's own:

- a credit grant writes it in the grant's transaction (`Claim.record`): the credit and the kept
  answer commit together or not at all;
- generation and status changes write it right after their own transaction. If the server
  stopped in between, the row stays claimed without an answer; after `CLAIM_LEASE` a request
  with the key takes the claim over and runs again, which does nothing twice there: the period
  is billed (409 `period-locked`, naming the invoice), the status already changed (409).

A grant still running when its claim is taken over (past the lease) is rolled back, 409.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.responses import Response
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from workbench.api.auth import Caller, workspace
from workbench.api.errors import ApiError
from workbench.billing.store import models as m
from workbench.billing.store.models import utcnow
from workbench.billing.store.workspace import Workspace

__all__ = ["CLAIM_LEASE", "REPLAYED_HEADER", "Claim", "Idempotency", "Once", "replayable"]

log = logging.getLogger("workbench.api")

CLAIM_LEASE = dt.timedelta(minutes=10)  # longer than any request runs; then a stopped server's claim is free
STILL_RUNNING = dt.timedelta(seconds=30)  # a key held longer may belong to a request that died: say so
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = r"^[!-~]{1,255}$"  # visible ASCII, from ! to ~

KeyHeader = Annotated[str | None, Header(
    alias="Idempotency-Key", pattern=KEY_PATTERN, max_length=255,
    description="optional: 1-255 visible ASCII characters (a UUID, say) chosen for this request and sent again "
                "with each retry of it. The same key with the same request answers the first answer again "
                f"(`{REPLAYED_HEADER}: true`) without doing anything; with another body or endpoint, 422 "
                "`idempotency-key-reused`; while the first still runs, 409 `idempotency-key-in-use`. Only a "
                "successful answer is kept, for good, per API key.")]


def replayable(status: int, description: str) -> dict[int | str, dict[str, object]]:
    """The OpenAPI entry of a POST's success answer, with the header a replayed answer has."""
    return {status: {"description": description, "headers": {REPLAYED_HEADER: {
        "description": "`true` when this is the kept answer to an earlier request with the same Idempotency-Key",
        "schema": {"type": "string", "enum": ["true"]}}}}}


@dataclass
class Claim:
    """A request's hold on its Idempotency-Key (none without a key): where its answer goes."""

    ws: Workspace | None = None
    record_id: int = 0
    token: str = ""
    recorded: bool = False

    def record(self, session: Session, response: Response) -> None:
        """Keep a successful `response` as the key's answer inside the caller's transaction, so
        that they commit together. 409 (the transaction rolls back) if the claim was taken over."""
        if self.ws is None or not 200 <= response.status_code < 300:
            return
        if not _answer(session, self, response):
            raise ApiError(409, "idempotency-key-in-use", "this request ran past its hold on its Idempotency-Key and "
                           "another request with the key took it over: nothing was done here",
                           fix="send the request again with the same key: it gets that request's answer")
        self.recorded = True

    def complete(self, response: Response) -> None:
        """Keep the answer of work that has committed. The work is done whatever happens here, so
        the client gets its answer all the same: a failure to keep it (the database busy past its
        timeout, say) is logged, and a retry finds the key held until `CLAIM_LEASE`, then runs
        again, which does nothing twice (see the module's docstring)."""
        if self.ws is None or self.recorded:
            return
        try:
            with self.ws.session() as session:
                kept = _answer(session, self, response)
        except SQLAlchemyError:
            log.warning("the answer of a done request could not be kept with its Idempotency-Key (record %s)",
                        self.record_id, exc_info=True)
            return
        if not kept:
            log.warning("an Idempotency-Key claim was taken over before its answer was kept (record %s)",
                        self.record_id)

    def release(self) -> None:
        """No answer to keep (refused, or failed): free the key for a new attempt."""
        if self.ws is None:
            return
        try:
            with self.ws.session() as session:
                session.execute(delete(m.IdempotencyRecord).where(
                    m.IdempotencyRecord.id == self.record_id, m.IdempotencyRecord.claim == self.token,
                    m.IdempotencyRecord.status_code.is_(None)))
        except SQLAlchemyError:  # the request's own error matters more; the lease frees the key
            log.warning("could not release an Idempotency-Key claim (record %s)", self.record_id, exc_info=True)


@dataclass(frozen=True)
class Idempotency:
    """A POST as its Idempotency-Key sees it: who sent it, the key (or None) and what was sent."""

    ws: Workspace
    key_id: str
    key: str | None
    method: str
    path: str
    fingerprint: str

    def answer(self, work: Callable[[Claim], Response]) -> Response:
        """`work(claim)`'s answer, run once per key: a retry gets the kept answer instead."""
        if self.key is None:
            return work(Claim())
        claimed = self._claim()
        if isinstance(claimed, Response):
            return claimed
        try:
            response = work(claimed)
        except BaseException:
            claimed.release()
            raise
        if 200 <= response.status_code < 300:
            claimed.complete(response)
        else:
            claimed.release()
        return response

    def _claim(self) -> Claim | Response:
        assert self.key is not None
        for _ in range(3):
            try:
                with self.ws.session() as session:
                    found = _stored(session, self.key_id, self.key)
                    if found is None:
                        row = m.IdempotencyRecord(key_id=self.key_id, idempotency_key=self.key, method=self.method,
                                                  path=self.path, fingerprint=self.fingerprint,
                                                  claim=secrets.token_hex(16), claimed_at=utcnow())
                        session.add(row)
                        session.flush()  # the unique constraint decides between two requests at once
                        return Claim(self.ws, row.id, row.claim)
                    if found.fingerprint != self.fingerprint:
                        other = "another body" if (found.method, found.path) == (self.method, self.path) \
                            else f"another request ({found.method} {found.path})"
                        raise ApiError(422, "idempotency-key-reused",
                                       f"Idempotency-Key {self.key!r} was sent before with {other}: a key stands "
                                       "for one request, and this one was not done",
                                       fix="send a new key with a new request; to retry, send the same request again")
                    if found.status_code is not None:
                        return Response(found.response, status_code=found.status_code, media_type="application/json",
                                        headers={REPLAYED_HEADER: "true"})
                    if utcnow() - found.claimed_at < CLAIM_LEASE:
                        raise self._in_use(found.claimed_at)
                    token = secrets.token_hex(16)  # its server stopped before answering: take it over
                    if session.execute(update(m.IdempotencyRecord).where(
                            m.IdempotencyRecord.id == found.id, m.IdempotencyRecord.claim == found.claim,
                            m.IdempotencyRecord.status_code.is_(None)).values(
                            claim=token, claimed_at=utcnow())).rowcount == 1:  # type: ignore[attr-defined]
                        return Claim(self.ws, found.id, token)
            except IntegrityError:
                continue  # another request inserted the key first: look again
        raise self._in_use(utcnow())

    def _in_use(self, claimed_at: dt.datetime) -> ApiError:
        """409 while the key is held: a request that holds it briefly is running; one that has
        held it long may have died with its server, and the key is free when the lease ends."""
        held = max(utcnow() - claimed_at, dt.timedelta(0))
        if held < STILL_RUNNING:
            return ApiError(409, "idempotency-key-in-use", f"a request with Idempotency-Key {self.key!r} is still running",
                            fix="send it again in a moment: it then gets that request's answer",
                            headers={"Retry-After": "1"})
        left = int((CLAIM_LEASE - held).total_seconds()) + 1
        return ApiError(
            409, "idempotency-key-in-use",
            f"a request with Idempotency-Key {self.key!r} has held it for {int(held.total_seconds())} s without an "
            "answer: it is still running, or its server stopped before answering",
            fix=f"send it again in {left} s: it then gets that request's answer, or, if that request never "
                "finished, runs (what it already did is not done twice)",
            headers={"Retry-After": str(left)})


def _stored(session: Session, key_id: str, key: str) -> m.IdempotencyRecord | None:
    return session.scalar(select(m.IdempotencyRecord).where(m.IdempotencyRecord.key_id == key_id,
                                                            m.IdempotencyRecord.idempotency_key == key))


def _answer(session: Session, claim: Claim, response: Response) -> bool:
    """Write `response` into the claimed row, if the claim is still ours; whether it was."""
    done = session.execute(update(m.IdempotencyRecord).where(
        m.IdempotencyRecord.id == claim.record_id, m.IdempotencyRecord.claim == claim.token,
        m.IdempotencyRecord.status_code.is_(None)).values(
        status_code=response.status_code, response=bytes(response.body).decode("utf-8"), completed_at=utcnow()))
    return bool(done.rowcount)  # type: ignore[attr-defined]


def _fingerprint(method: str, path: str, body: bytes) -> str:
    """Of method, path and the body's JSON: key order and white space do not make another request."""
    try:
        text = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    except (ValueError, RecursionError):
        text = body
    return hashlib.sha256(f"{method} {path}\n".encode() + text).hexdigest()


async def idempotency(request: Request, principal: Caller, key: KeyHeader = None) -> Idempotency:
    if len(request.headers.getlist("idempotency-key")) > 1:
        raise ApiError(422, "idempotency-key-repeated", "the request has more than one Idempotency-Key header",
                       fix="send one Idempotency-Key per request")
    path = request.url.path  # the POSTs take no query parameters: a query is not part of the request
    fingerprint = _fingerprint(request.method, path, await request.body()) if key is not None else ""
    return Idempotency(workspace(request), principal.key_id, key, request.method, path, fingerprint)


Once = Annotated[Idempotency, Depends(idempotency)]
