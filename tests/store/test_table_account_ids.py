"""An AWS account id in accounts.csv is exactly 12 digits; anything else is refused with how to write it.

A spreadsheet that re-saved accounts.csv wrote the ids as numbers: 123456789012 as 1.23457E+11
(its digits lost: the million ids from 123456500000 to 123457499999 all read alike, so two
customers' accounts could be assigned as one), 012345678901 as 12345678901 or 012345678901.0.
Other vendors' ids are not AWS's: they are left as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from workbench.billing.store import Workspace, import_tables

Writer = Callable[[Path, str, str], Path]
Dump = Callable[[Workspace], tuple[bytes, str]]

TYPE_AS_TEXT = ("type the 12-digit id as text (format the column as Text first), or copy it from the vendor's "
                "original (the AWS console, the CUR), not from a file a spreadsheet re-saved")
FROM_THE_CONSOLE = ("copy the id from the AWS console or the vendor's report (lineItem/UsageAccountId), with the "
                    "column formatted as text")

CASES = {
    "scientific notation": ("1.23457E+11", "aws account_id 1.23457E+11 is a number in scientific notation, as a "
                            "spreadsheet writes a 12-digit id when it re-saves the file: the id's digits are lost, "
                            "and two accounts may be written alike", TYPE_AS_TEXT),
    "a trailing .0": ("012345678901.0", "aws account_id 012345678901.0 ends in .0, as a spreadsheet writes an id it "
                      "read as a number when it re-saves the file",
                      "write it as 012345678901, with the column formatted as text, or copy it from the vendor's "
                      "original (the AWS console, the CUR)"),
    "13 digits": ("1234567890123", "aws account_id 1234567890123 has 13 digits; an AWS account id has exactly 12",
                  FROM_THE_CONSOLE),
    "as the console shows it": ("1234-5678-9012", "aws account_id 1234-5678-9012 is written in groups, as the AWS "
                                "console shows it", "write it as 123456789012: 12 digits, nothing between them"),
    "not an id": ("acme-prod", "aws account_id acme-prod is not an AWS account id, which is 12 digits",
                  FROM_THE_CONSOLE),
}


@pytest.mark.parametrize("case", list(CASES))
def test_an_aws_account_id_that_is_not_12_digits_is_refused(base: Workspace, tmp_path: Path, write: Writer,
                                                             db_dump: Dump, case: str) -> None:
    account, message, fix = CASES[case]
    before = db_dump(base)
    summary, problems = import_tables(base, [write(tmp_path, "accounts.csv", f"""
        customer_id,vendor,account_id,account_name
        C001,aws,333333333333,acme-dev
        C002,aws,{account},globex-dev
        """)])
    assert [(p.code, p.file, p.row, p.customer_id, p.message, p.fix) for p in problems] == [
        ("aws-account-id", "accounts.csv", 2, "C002", message, fix)]
    assert summary.changed == 0 and db_dump(base) == before


def test_two_accounts_re_saved_alike_are_both_refused(base: Workspace, tmp_path: Path, write: Writer) -> None:
    """222222211111 and 222222233333 are both 2.22222E+11 once re-saved: neither may be assigned."""
    _, problems = import_tables(base, [write(tmp_path, "accounts.csv", """
        customer_id,vendor,account_id,account_name
        C001,aws,2.22222E+11,acme-dev
        C002,aws,2.22222E+11,globex-dev
        """)])
    assert [(p.code, p.row) for p in problems] == [("aws-account-id", 1), ("aws-account-id", 2),
                                                   ("account-two-customers", 2)]


def test_other_vendors_ids_are_theirs(base: Workspace, tmp_path: Path, write: Writer) -> None:
    summary, problems = import_tables(base, [write(tmp_path, "accounts.csv", """
        customer_id,vendor,account_id,account_name
        C001,azure,6f8e2c1a-0000-4000-8000-000000000001,acme-sub
        C002,gcp,globex-prod-123,globex
        C001,aws,012345678901,acme-zero
        """)])
    assert problems == () and summary.count("accounts").inserted == 3
