"""Exports replace a file all at once: a failure half-way leaves the previous file untouched."""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from .helpers import StoreInvoice

from workbench.billing.core.money import D
from workbench.billing.exports import SourceRow, export_invoice
from workbench.atomic_files import write_atomic
from workbench.billing.exports.atomic import atomic_path

LINES = """
position | kind  | section | service  | sku     | description | quantity | unit  | vendor_cost | markup_percent | amount | amount_rounded
1        | usage | Storage | AmazonS3 | Storage | Amazon S3   | 10       | GB-Mo | 2           | 0              | 2      | 2.00
"""


def usage(count: int, fail_after: int | None = None) -> Iterator[SourceRow]:
    for i in range(count):
        if i == fail_after:
            raise OSError("usage store went away")
        yield SourceRow(1, "cur.csv", i + 1, "111122223333", dt.datetime(2025, 10, 1), "AmazonS3", "Storage", "S3",
                        D("1"), "GB-Mo", D("0.2"), D("0"), D("1"), D("0.2"))


@pytest.mark.parametrize("fmt", ["detailed-csv", "xlsx"])
def test_failure_mid_stream_keeps_the_previous_file_and_leaves_no_temp(
    store_invoice: StoreInvoice, tmp_path: Path, fmt: str
) -> None:
    good = store_invoice(LINES, subtotal="2.00", total="2.00", source_rows=lambda: usage(10))
    previous = export_invoice(good, fmt, tmp_path)
    before = previous.read_bytes()
    failing = replace(good, source_rows=lambda: usage(10, fail_after=5))

    with pytest.raises(OSError, match="usage store went away"):
        export_invoice(failing, fmt, tmp_path)

    assert previous.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [previous.name]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_success_replaces_the_file_and_keeps_its_permissions(store_invoice: StoreInvoice, tmp_path: Path) -> None:
    few = store_invoice(LINES, subtotal="2.00", total="2.00", source_rows=lambda: usage(1))
    umask = os.umask(0o022)
    try:
        path = export_invoice(few, "detailed-csv", tmp_path)
        pdf = write_atomic(tmp_path / f"{few.number}.pdf", b"%PDF-1.7 old")  # the statement PDF's writer
        assert (mode(path), mode(pdf)) == (0o644, 0o644)
        os.chmod(path, 0o640)
        os.chmod(pdf, 0o640)

        export_invoice(replace(few, source_rows=lambda: usage(3)), "detailed-csv", tmp_path)
        write_atomic(pdf, b"%PDF-1.7 new")
    finally:
        os.umask(umask)

    assert len(path.read_text(encoding="utf-8").splitlines()) == 1 + 1 + 3
    assert (mode(path), mode(pdf)) == (0o640, 0o640)  # as open(path, "w") would leave them
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([path.name, pdf.name])


@pytest.mark.parametrize(("umask", "expected"), [(0o077, 0o600), (0o027, 0o640), (0o002, 0o664)])
def test_every_new_document_gets_the_mode_a_plain_open_gives(store_invoice: StoreInvoice, tmp_path: Path,
                                                             umask: int, expected: int) -> None:
    """`umask 077; workbench invoices export ... --format csv --format pdf` made the CSV 0644 (a
    fixed mode) and the PDF 0600: every file of an invoice now follows the umask, like open()."""
    invoice = store_invoice(LINES, subtotal="2.00", total="2.00", source_rows=lambda: usage(2))
    previous = os.umask(umask)
    try:
        written = [export_invoice(invoice, fmt, tmp_path) for fmt in ("csv", "detailed-csv", "xlsx")]
        written.append(write_atomic(tmp_path / f"{invoice.number}.pdf", b"%PDF-1.7"))
        with open(tmp_path / "plain.txt", "w") as plain:
            plain.write("what open() gives")
    finally:
        os.umask(previous)

    assert mode(tmp_path / "plain.txt") == expected
    assert {p.name: mode(p) for p in written} == {
        "AWS-2025-10-00001.csv": expected, "AWS-2025-10-00001-detailed.csv": expected,
        "AWS-2025-10-00001.xlsx": expected, "AWS-2025-10-00001.pdf": expected,
    }


def test_atomic_path_writes_beside_the_target(tmp_path: Path) -> None:
    target = tmp_path / "a.csv"
    with atomic_path(target) as temporary:
        assert temporary.parent == tmp_path and temporary.name.startswith(".a.csv.")
        assert not target.exists()
        temporary.write_text("x", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "x"
    assert not temporary.exists()
