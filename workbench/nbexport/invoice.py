"""The machine-readable invoice that the invoice notebook displays.

The notebook displays one output whose bundle carries `INVOICE_MIMETYPE`:

    {"number": "INV-0042", "currency": "EUR",
     "lines":  [{"section": "Compute", "description": "...", "amount": "12.34"}, ...],
     "totals": [{"label": "Subtotal", "amount": "..."}, ..., {"label": "Total", "amount": "..."}]}

A totals row may also carry a `section` (e.g. "Tax" for a tax row below the subtotal).

Amounts are decimal strings and stay strings here: they are checked, never re-formatted, so a
CSV shows exactly the figures the notebook computed. `find_invoice` reads and checks it and
reports every problem in one `InvoiceOutputError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from nbformat import NotebookNode

__all__ = [
    "INVOICE_MIMETYPE",
    "InvoiceLine",
    "InvoiceTotal",
    "Invoice",
    "InvoiceOutputError",
    "iter_invoice_payloads",
    "parse_invoice",
    "find_invoice",
]

INVOICE_MIMETYPE = "application/vnd.workbench.invoice+json"

# Plain decimal notation only: no exponent, no thousands separator, no currency sign.
_AMOUNT = re.compile(r"[+-]?\d+(\.\d+)?")


class InvoiceOutputError(ValueError):
    """The notebook has no usable invoice output; the message lists every problem."""


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    section: str
    description: str
    amount: str


@dataclass(frozen=True, slots=True)
class InvoiceTotal:
    label: str
    amount: str
    section: str = ""


@dataclass(frozen=True, slots=True)
class Invoice:
    number: str
    currency: str
    lines: tuple[InvoiceLine, ...]
    totals: tuple[InvoiceTotal, ...]


def iter_invoice_payloads(nb: NotebookNode) -> Iterator[tuple[int, Any]]:
    """(cell index, payload) of every output carrying the invoice mimetype, in notebook order."""
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            data = output.get("data") or {}
            if INVOICE_MIMETYPE in data:
                yield index, data[INVOICE_MIMETYPE]


def _text(record: Mapping[str, Any], key: str, where: str, problems: list[str]) -> str:
    value = record.get(key)
    if not isinstance(value, str):
        problems.append(f"{where}.{key}: expected a string, got {type(value).__name__}")
        return ""
    return value


def _amount(record: Mapping[str, Any], where: str, problems: list[str]) -> str:
    value = record.get("amount")
    if not isinstance(value, str):
        # A float here has already lost exactness; refuse it rather than guess.
        problems.append(
            f"{where}.amount: expected a decimal string, got {type(value).__name__} {value!r}"
        )
        return ""
    if not _AMOUNT.fullmatch(value):
        problems.append(f"{where}.amount: {value!r} is not a plain decimal like '1234.57'")
    return value


def _records(payload: Mapping[str, Any], key: str, problems: list[str]) -> list[Mapping[str, Any]]:
    value = payload.get(key)
    if not isinstance(value, list):
        problems.append(f"{key}: expected a list, got {type(value).__name__}")
        return []
    records: list[Mapping[str, Any]] = []
    for i, item in enumerate(value):
        if isinstance(item, Mapping):
            records.append(item)
        else:
            problems.append(f"{key}[{i}]: expected an object, got {type(item).__name__}")
            records.append({})
    return records


def parse_invoice(payload: Any) -> Invoice:
    """Check one invoice payload (a dict, or its JSON text) and return it as values."""
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except json.JSONDecodeError as exc:
            raise InvoiceOutputError(f"invoice output is not valid JSON: {exc}") from exc
    if not isinstance(payload, Mapping):
        raise InvoiceOutputError(
            f"invoice output must be a JSON object, got {type(payload).__name__}"
        )
    problems: list[str] = []
    number = _text(payload, "number", "invoice", problems)
    currency = _text(payload, "currency", "invoice", problems)
    lines = tuple(
        InvoiceLine(
            section=_text(rec, "section", f"lines[{i}]", problems),
            description=_text(rec, "description", f"lines[{i}]", problems),
            amount=_amount(rec, f"lines[{i}]", problems),
        )
        for i, rec in enumerate(_records(payload, "lines", problems))
    )
    totals = tuple(
        InvoiceTotal(
            label=_text(rec, "label", f"totals[{i}]", problems),
            amount=_amount(rec, f"totals[{i}]", problems),
            section=_text(rec, "section", f"totals[{i}]", problems) if "section" in rec else "",
        )
        for i, rec in enumerate(_records(payload, "totals", problems))
    )
    if not totals and isinstance(payload.get("totals"), list):
        problems.append("totals: empty, expected at least a Total row")
    if problems:
        raise InvoiceOutputError("invalid invoice output:\n  " + "\n  ".join(problems))
    return Invoice(number=number, currency=currency, lines=lines, totals=totals)


def find_invoice(nb: NotebookNode) -> Invoice:
    """The notebook's single invoice output, checked; `InvoiceOutputError` otherwise."""
    found = list(iter_invoice_payloads(nb))
    if not found:
        raise InvoiceOutputError(
            f"no output with mimetype {INVOICE_MIMETYPE!r} in this notebook: the invoice "
            "notebook must display the machine-readable invoice (was it executed?)"
        )
    if len(found) > 1:
        cells = ", ".join(str(index) for index, _ in found)
        raise InvoiceOutputError(
            f"{len(found)} outputs with mimetype {INVOICE_MIMETYPE!r} (cells {cells}); "
            "expected exactly one"
        )
    return parse_invoice(found[0][1])
