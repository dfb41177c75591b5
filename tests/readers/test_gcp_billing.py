"""Google Cloud billing export (CSV with dotted headers, JSON lines) with credits as rows."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import duckdb

from reader_tables import as_table, expected
from workbench.billing.readers import open_report, read_report

COLUMNS = ("billing_account_id, sub_account_id, sub_account_name, billing_period, charge_period_start, "
           "charge_category, service, sku, description, quantity, unit, billed_cost, currency, is_free_tier, "
           "source_row")

CSV = '''
billing_account_id,service.id,service.description,sku.id,sku.description,usage_start_time,usage_end_time,project.id,project.name,cost,currency,usage.amount,usage.unit,invoice.month,cost_type,credits
0A1B2C-000000-000001,6F81-5844-456A,Compute Engine,2E27-4F75-95CD,E2 Instance Core,2023-11-01 00:00:00 UTC,2023-11-01 01:00:00 UTC,shop-prod,Shop,0.123456789,USD,3600,seconds,202311,regular,"[{""name"":""Sustained usage discount"",""amount"":-0.012345678,""type"":""SUSTAINED_USAGE_DISCOUNT""},{""name"":""Free tier"",""amount"":-0.000000001,""type"":""FREE_TIER""}]"
0A1B2C-000000-000001,6F81-5844-456A,Compute Engine,2E27-4F75-95CD,E2 Instance Core,2023-11-01 01:00:00 UTC,2023-11-01 02:00:00 UTC,shop-dev,Shop dev,0.5,USD,3600,seconds,202311,regular,[]
0A1B2C-000000-000001,,Invoice,,Tax,2023-11-30 00:00:00 UTC,2023-12-01 00:00:00 UTC,,,0.07,USD,,,202311,tax,
'''

ROWS = """
0A1B2C-000000-000001 | shop-prod | Shop | 2023-11 | 2023-11-01 00:00 | usage | Compute Engine | 2E27-4F75-95CD | E2 Instance Core | 3600 | seconds | 0.123456789 | USD | no | 1
0A1B2C-000000-000001 | shop-prod | Shop | 2023-11 | 2023-11-01 00:00 | credit | Compute Engine | 2E27-4F75-95CD | Sustained usage discount | - | - | -0.012345678 | USD | no | 1
0A1B2C-000000-000001 | shop-prod | Shop | 2023-11 | 2023-11-01 00:00 | credit | Compute Engine | 2E27-4F75-95CD | Free tier | - | - | -0.000000001 | USD | yes | 1
0A1B2C-000000-000001 | shop-dev | Shop dev | 2023-11 | 2023-11-01 01:00 | usage | Compute Engine | 2E27-4F75-95CD | E2 Instance Core | 3600 | seconds | 0.5 | USD | no | 2
0A1B2C-000000-000001 | 0A1B2C-000000-000001 | - | 2023-11 | 2023-11-30 00:00 | tax | Invoice | - | Tax | - | - | 0.07 | USD | no | 3
"""

TOTALS = [
    ("0A1B2C-000000-000001", Decimal("0.07")),
    ("shop-dev", Decimal("0.5")),
    # cost + credits: 0.123456789 - 0.012345678 - 0.000000001
    ("shop-prod", Decimal("0.11111111")),
]


def totals(con: duckdb.DuckDBPyConnection) -> list[tuple[str, Decimal]]:
    return con.execute("SELECT sub_account_id, sum(billed_cost) FROM canonical_usage GROUP BY 1 ORDER BY 1").fetchall()


def test_gcp_csv_with_credits(con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    result = read_report(con, write("gcp.csv", CSV))
    assert (result.format, result.vendor, result.problems, result.row_count) == ("gcp-billing-export", "gcp", (), 5)
    assert as_table(con, "canonical_usage", COLUMNS) == expected(ROWS)
    assert totals(con) == TOTALS


JSONL = '''
{"billing_account_id":"0A1B2C-000000-000001","service":{"id":"6F81-5844-456A","description":"Compute Engine"},"sku":{"id":"2E27-4F75-95CD","description":"E2 Instance Core"},"usage_start_time":"2023-11-01T00:00:00Z","usage_end_time":"2023-11-01T01:00:00Z","project":{"id":"shop-prod","name":"Shop"},"cost":0.123456789,"currency":"USD","usage":{"amount":3600,"unit":"seconds"},"invoice":{"month":"202311"},"cost_type":"regular","credits":[{"name":"Sustained usage discount","amount":-0.012345678,"type":"SUSTAINED_USAGE_DISCOUNT"},{"name":"Free tier","amount":-1e-9,"type":"FREE_TIER"}]}
{"billing_account_id":"0A1B2C-000000-000001","service":{"id":"6F81-5844-456A","description":"Compute Engine"},"sku":{"id":"2E27-4F75-95CD","description":"E2 Instance Core"},"usage_start_time":"2023-11-01T01:00:00Z","usage_end_time":"2023-11-01T02:00:00Z","project":{"id":"shop-dev","name":"Shop dev"},"cost":0.5,"currency":"USD","usage":{"amount":3600,"unit":"seconds"},"invoice":{"month":"202311"},"cost_type":"regular","credits":[]}
{"billing_account_id":"0A1B2C-000000-000001","service":{"id":"","description":"Invoice"},"sku":{"id":"","description":"Tax"},"usage_start_time":"2023-11-30T00:00:00Z","usage_end_time":"2023-12-01T00:00:00Z","project":null,"cost":0.07,"currency":"USD","usage":null,"invoice":{"month":"202311"},"cost_type":"tax"}
'''


def test_gcp_jsonl_with_credits(con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]) -> None:
    result = read_report(con, write("gcp.jsonl", JSONL))
    assert (result.format, result.problems, result.row_count) == ("gcp-billing-export", (), 5)
    assert as_table(con, "canonical_usage", COLUMNS) == expected(ROWS)
    assert totals(con) == TOTALS


def test_a_kept_jsonl_parse_is_read_instead_of_the_lines(con: duckdb.DuckDBPyConnection,
                                                         write: Callable[[str, str], Path], tmp_path: Path) -> None:
    """The needed key paths of every line, extracted once into parquet (`parsed`), read back the
    same: the lines themselves are not parsed again."""
    path, parsed = write("gcp.jsonl", JSONL), tmp_path / "gcp.jsonl.columns.parquet"
    with open_report(con, path, parsed=parsed) as report:
        assert report.select is not None and report.problems == ()
        first = con.execute(f"SELECT * EXCLUDE (source_file) FROM ({report.select})").fetchall()
    assert parsed.is_file()
    lines = path.read_text(encoding="utf-8").strip().splitlines()
    path.write_text(lines[0] + "\n", encoding="utf-8")  # the other lines are gone; the parse has them
    with open_report(con, path, parsed=parsed) as report:
        assert report.select is not None
        again = con.execute(f"SELECT * EXCLUDE (source_file) FROM ({report.select})").fetchall()
    assert again == first and len(first) == 5


def test_gcp_jsonl_numbers_never_pass_through_double(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    # 0.1 + 0.2 style values and 18 significant digits: a DOUBLE would change both.
    line = ('{"billing_account_id":"A","service":{"description":"BigQuery"},"sku":{"id":"S"},'
            '"usage_start_time":"2023-11-01T00:00:00Z","project":{"id":"p"},"cost":123456.789012345678,'
            '"currency":"USD","invoice":{"month":"202311"},"cost_type":"regular",'
            '"credits":[{"name":"Promo","amount":-0.300000001,"type":"PROMOTION"}]}\n')
    path = tmp_path / "gcp.jsonl.gz"
    path.write_bytes(gzip.compress(line.encode()))
    result = read_report(con, path)
    assert result.problems == ()
    assert con.execute("SELECT billed_cost FROM canonical_usage").fetchall() == [
        (Decimal("123456.789012345678"),), (Decimal("-0.300000001"),)]


MARKETPLACE_JSONL = '''
{"billing_account_id":"0A1B2C-000000-000001","service":{"id":"A1E8-BE35-7EBC","description":"Bluefin Analytics (Google Cloud Marketplace)"},"sku":{"id":"8F31-0C2B-6A17","description":"Bluefin seat"},"usage_start_time":"2023-11-02T00:00:00Z","usage_end_time":"2023-11-03T00:00:00Z","project":{"id":"shop-prod","name":"Shop"},"transaction_type":"THIRD_PARTY_RESELLER","seller_name":"Bluefin Analytics LLC","cost":50,"currency":"USD","usage":{"amount":1,"unit":"seat"},"invoice":{"month":"202311"},"cost_type":"regular","credits":[{"name":"Promotion","amount":-5,"type":"PROMOTION"}]}
{"billing_account_id":"0A1B2C-000000-000001","service":{"id":"6F81-5844-456A","description":"Compute Engine"},"sku":{"id":"2E27-4F75-95CD","description":"E2 Instance Core"},"usage_start_time":"2023-11-01T01:00:00Z","usage_end_time":"2023-11-01T02:00:00Z","project":{"id":"shop-prod","name":"Shop"},"transaction_type":"GOOGLE","seller_name":"Google","cost":0.5,"currency":"USD","usage":{"amount":3600,"unit":"seconds"},"invoice":{"month":"202311"},"cost_type":"regular","credits":[]}
'''


def test_a_marketplace_sellers_line_and_its_credit_are_marketplace(con: duckdb.DuckDBPyConnection,
                                                                    write: Callable[[str, str], Path]) -> None:
    """`transaction_type` THIRD_PARTY_RESELLER: a Google Cloud Marketplace product, passed through
    at 0 margin and only when the invoice includes marketplace fees; GOOGLE: Google's own."""
    result = read_report(con, write("gcp.jsonl", MARKETPLACE_JSONL))
    assert (result.problems, result.row_count) == ((), 3)
    assert as_table(con, "canonical_usage", "charge_category, billed_cost, publisher, is_marketplace") == expected("""
        usage | 50 | Bluefin Analytics LLC | yes
        credit | -5 | Bluefin Analytics LLC | yes
        usage | 0.5 | Google | no
    """)


BAD_JSONL = '''
{"billing_account_id":"A","service":{"description":"BigQuery"},"sku":{"id":"S"},"usage_start_time":"2023-11-01T00:00:00Z","project":{"id":"p"},"cost":1.5,"currency":"USD","invoice":{"month":"202311"},"cost_type":"regular","credits":[{"name":"Promo","amount":"abc","type":"PROMOTION"},{"name":"CUD","amount":null,"type":"COMMITTED_USAGE_DISCOUNT"}]}
{"billing_account_id":"A","service":{"description":"BigQuery"},"sku":{"id":"S"},"usage_start_time":null,"project":{"id":"p"},"cost":2,"currency":"USD","invoice":{"month":"202311"},"cost_type":"regular","credits":[{"name":"Promo","amount":-1,"type":"PROMOTION"},{"name":"CUD","amount":-0.5,"type":"COMMITTED_USAGE_DISCOUNT"}]}
'''


def test_a_bad_credit_amount_is_named_as_one_and_a_row_s_problem_is_said_once(
    con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]
) -> None:
    # the credit's "abc" was "the cost (cost) is not a number", pointing at a cost that was fine;
    # the second row's empty date was said three times, once for it and once for each credit
    result = read_report(con, write("gcp.jsonl", BAD_JSONL))
    assert [(p.code, p.row, p.message) for p in result.problems] == [
        ("missing-cost", 1, "the amount of a credit listed in the row is empty"),
        ("non-numeric-cost", 1, "the amount of a credit listed in the row is not a number: 'abc'"),
        ("missing-date", 2, "the usage start date is empty"),
    ]


def test_rows_past_the_shown_ones_are_counted_as_rows_not_as_a_row_and_its_credits(
    con: duckdb.DuckDBPyConnection, write: Callable[[str, str], Path]
) -> None:
    # 25 rows without a usage date, each with two credits: 75 staged rows, 25 vendor rows
    header, first, *_ = CSV.strip().splitlines()
    undated = first.replace("2023-11-01 00:00:00 UTC", "", 1)
    result = read_report(con, write("gcp.csv", "\n".join([header, *[undated] * 25]) + "\n"))
    assert [p.row for p in result.problems] == [*range(1, 21), None]
    assert result.problems[-1].message == "... and 5 more rows like these"
