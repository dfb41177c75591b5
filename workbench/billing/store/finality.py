"""When a vendor's numbers for a month are final.

Each report format declares whether it carries the vendor's invoice ids
(`readers.ReportFormat.carries_invoice_ids`: the AWS CUR formats do):
- Formats that carry them, and files of any format whose invoice ids are filled (FOCUS
  `InvoiceId`): a period is final when every row has an invoice id. AWS fills `bill/InvoiceId`
  when it issues the month's invoice, so a CUR without any is not final yet.
- Files without invoice ids of the other formats (Azure cost exports, Google billing export,
  FOCUS without InvoiceId): final when the file was imported at least
  `FINAL_AFTER_BUSINESS_DAYS` full business days (Monday-Friday; public holidays are not known
  and count as business days) after the month ended. The vendors finalise 5-10 business days
  after month close.
"""

from __future__ import annotations

import datetime as dt

from workbench.billing.store.periods import month_start, next_month

FINAL_AFTER_BUSINESS_DAYS = 10


def carries_invoice_ids(format: str, vendor: str, rows_with_invoice_id: int) -> bool:
    """Whether invoice ids decide the report's finality: its format declares it carries them, or
    its rows have some. A format name this process does not know (canonical tables stored by
    `store_usage_table` under a name of their own) counts as carrying them for AWS, as a CUR does."""
    from workbench.billing.readers.registry import by_name

    try:
        declared = bool(by_name(format).carries_invoice_ids)
    except KeyError:
        declared = vendor == "aws"
    return declared or rows_with_invoice_id > 0


def business_days_elapsed(period: str, today: dt.date) -> int:
    """Whole Monday-Friday days from the first day after `period` up to, not including, `today`."""
    day = month_start(next_month(period))
    count = 0
    while day < today:
        count += day.weekday() < 5
        day += dt.timedelta(days=1)
    return count


def is_final(
    *, format: str, vendor: str, period: str, row_count: int, rows_with_invoice_id: int, today: dt.date
) -> bool:
    if carries_invoice_ids(format, vendor, rows_with_invoice_id):
        return row_count > 0 and rows_with_invoice_id == row_count
    return business_days_elapsed(period, today) >= FINAL_AFTER_BUSINESS_DAYS
