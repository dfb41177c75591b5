"""`workbench customers` and `workbench pricebooks`: the reference tables (customers, their
accounts and vendor profiles, pricebooks, support plans, tax and FX rates, credits), imported
from table files and exported to them.

Also how a file given to the wrong import is told apart: `_tables_in` / `_table_hint` (a table
file given to `workbench import`) and `_report_hint` (a vendor report given to `customers import`).

Registered on the `workbench` group by `workbench.cli._register_extensions`.
"""

from __future__ import annotations

import dataclasses
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from workbench.billing.core.money import money_text, plain
from workbench.billing.core.problems import Problem, ProblemsError
from workbench.cli_common import (
    NOT_ALLOWED,
    OK,
    REFUSED,
    VENDORS,
    _has_errors,
    _open,
    _print_json,
    _report,
    _table,
    json_option,
)
from workbench.cli_params import VENDOR

__all__ = ["_table_hint", "customers", "pricebooks"]


def _import_tables(directory: str, files: tuple[str, ...], as_json: bool) -> None:
    from workbench.billing.store.table_import import import_tables

    ws = _open(directory)
    summary, problems = import_tables(ws, [Path(f) for f in files])
    problems = tuple(_report_hint(directory, files, p) for p in problems)
    if as_json:
        _print_json({"imported": None if _has_errors(problems) else summary.counts, "problems": problems})
    else:
        _report(problems)
        if _has_errors(problems):
            click.echo("nothing was imported: fix the problems above and import again", err=True)
        else:
            click.echo(str(summary))
    sys.exit(REFUSED if _has_errors(problems) else OK)


def _table_hint(directory: str, refused: Any) -> Any:
    """A file `import` refused that holds a reference table: its refusal says to import it with
    `customers import` (the vendor formats' fix is no help there)."""
    if refused.status.value != "refused" or not refused.problems:
        return refused
    tables = _tables_in(refused.path)
    if not tables:
        return refused
    what = f"the {tables[0]} table" if len(tables) == 1 else f"the tables {', '.join(tables)}"
    fix = (f"{refused.path.name} holds {what}, not a vendor report: import it with "
           f"`workbench customers import {shlex.quote(directory)} {shlex.quote(str(refused.path))}`")
    first, *rest = refused.problems
    return dataclasses.replace(refused, problems=(dataclasses.replace(first, fix=fix), *rest))


def _tables_in(path: Path) -> list[str]:
    """The reference tables a file holds, by its header (a CSV whose columns are a table's: all
    it requires, none it does not know) or its sheets' names (a workbook)."""
    import csv

    from workbench.billing.store.table_files import XLSX_SUFFIXES
    from workbench.billing.store.table_formats import FORMATS_BY_NAME, TABLE_FORMATS

    if path.suffix.lower() in XLSX_SUFFIXES:
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True)
        except Exception:  # not a workbook after all: the import's own problem says what it is
            return []
        try:
            sheets = book.sheetnames
        finally:
            book.close()  # a read-only workbook keeps its file open until closed
        return [n for n in sheets if n.strip().lower() in FORMATS_BY_NAME]
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            columns = {c.strip().lower() for c in next(csv.reader(handle), [])}
    except (OSError, UnicodeDecodeError, csv.Error):
        return []
    fits = [t for t in TABLE_FORMATS
            if columns <= set(t.column_names) and {c.name for c in t.columns if c.required} <= columns]
    return [max(fits, key=lambda t: len(columns & set(t.column_names))).name] if fits else []


def _report_hint(directory: str, files: Sequence[str], problem: Problem) -> Problem:
    """A file the table import does not know that is a vendor report: the refusal says to import
    it with `workbench import` (recognised as the readers recognise a report, by its header)."""
    if problem.code != "unknown-table" or problem.file is None:
        return problem
    given = next((f for f in files if Path(f).name == problem.file), None)
    if given is None:
        return problem
    import duckdb

    from workbench.billing.readers import detect_format

    with duckdb.connect() as con:
        found = detect_format(con, Path(given))
    if found is None:
        return problem
    return dataclasses.replace(problem, fix=f"{problem.file} is a vendor billing export ({found}), not a table: "
                                            f"import it with `workbench import {shlex.quote(directory)} {shlex.quote(given)}`")


def _export_tables(directory: str, target: str, overwrite: bool) -> None:
    from workbench.billing.store.table_export import export_tables

    ws = _open(directory)
    try:
        written = export_tables(ws, Path(target), overwrite=overwrite)
    except ProblemsError as refused:  # files with other content there: edits not imported yet?
        _report(refused.problems)
        click.echo("nothing was written", err=True)
        sys.exit(REFUSED)
    except OSError as exc:  # a file where a folder should be, no permission, a full disk
        raise click.BadParameter(f"cannot write {exc.filename or target}: {exc.strerror}", param_hint="TARGET") from None
    for path in written:
        click.echo(str(path))


EXPORT_HELP = """Export all reference tables to TARGET (a folder of CSVs, or a .xlsx file).

    A table file already in TARGET that differs from the workspace's table (edits not imported
    yet, as a rule) is not replaced: the export names it, writes nothing and exits 3; import it
    first, or pass --overwrite."""

overwrite_option = click.option("--overwrite", is_flag=True,
                                help="Replace table files in TARGET that differ from the workspace's tables.")


TABLE_FILES_HELP = """\b
Table files are recognised by name (CSV) or sheet name (.xlsx): reseller, customers,
customer_vendors, accounts, pricebooks, support_plans, tax_rates, fx_rates, credits.
All files are checked before anything is stored: one problem and nothing changes.
Formats: workbench/billing/store/docs.md."""


@click.group(short_help="Customers, accounts and other table files.")
def customers() -> None:
    """Customers, their vendor accounts, pricebooks and invoice currencies."""


@customers.command("list")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@json_option
def customers_list(directory: str, as_json: bool) -> None:
    """List customers with their accounts and vendor profiles."""
    from sqlalchemy import select

    from workbench.billing.store import models as m

    ws = _open(directory)
    with ws.session() as s:
        rows = []
        for c in s.scalars(select(m.Customer).order_by(m.Customer.customer_id)):
            rows.append({
                "customer_id": c.customer_id, "name": c.name, "contact_email": c.contact_email,
                "tax_jurisdiction": c.tax_jurisdiction,
                "vendors": {v.vendor: {"pricebook": v.pricebook, "invoice_currency": v.invoice_currency} for v in c.vendors},
                "accounts": sorted(f"{a.vendor}:{a.account_id}" for a in c.accounts),
            })
    if as_json:
        _print_json(rows)
        return
    _table([(r["customer_id"], r["name"], r["tax_jurisdiction"],
             " ".join(f"{v}:{p['pricebook']}/{p['invoice_currency']}" for v, p in sorted(r["vendors"].items())),
             len(r["accounts"])) for r in rows],
           ["id", "name", "tax", "vendor profiles", "accounts"])


@customers.command("import", help="Import customers and any other table files.\n\n" + TABLE_FILES_HELP)
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@json_option
def customers_import(directory: str, files: tuple[str, ...], as_json: bool) -> None:
    _import_tables(directory, files, as_json)


@customers.command("remove-account", short_help="Unmap a vendor account from its customer.")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.argument("vendor", type=VENDOR)
@click.argument("account_id")
def customers_remove_account(directory: str, vendor: str, account_id: str) -> None:
    """Forget which customer owns VENDOR account ACCOUNT_ID (e.g. `aws 123456789012`; VENDOR as
    accounts.csv takes it, Amazon for aws too).

    For an account that moved to another customer: remove it, then import the accounts.csv that
    maps it to the new owner; its usage is unassigned until it is mapped again. Refused while the
    account has usage in a period its customer has invoices for (delete the drafts or void the
    issued invoices first). Recorded in the audit trail."""
    from workbench.billing.store.table_import import remove_account

    owner, problems = remove_account(_open(directory), vendor, account_id)
    if _has_errors(problems):
        _report(problems)
        click.echo("nothing was changed", err=True)
        sys.exit(REFUSED)
    if owner is None:
        click.echo(f"no {vendor} account {account_id} is mapped to a customer: nothing changed", err=True)
        sys.exit(NOT_ALLOWED)
    click.echo(f"{vendor} account {account_id} no longer belongs to customer {owner}")


@customers.command("export", help=EXPORT_HELP)
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.argument("target", type=click.Path())
@overwrite_option
def customers_export(directory: str, target: str, overwrite: bool) -> None:
    _export_tables(directory, target, overwrite)


@click.group(short_help="Pricebook rules and support plans, by version.")
def pricebooks() -> None:
    """Pricebooks: markup / discount rules and support plans, by version."""


@pricebooks.command("list")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@json_option
def pricebooks_list(directory: str, as_json: bool) -> None:
    """List pricebook rules by pricebook, version and vendor."""
    from sqlalchemy import select

    from workbench.billing.store import models as m

    ws = _open(directory)
    with ws.session() as s:
        rules = [
            {"pricebook": r.pricebook, "effective_from": r.effective_from, "vendor": r.vendor, "scope": r.scope,
             "match": r.match, "markup_percent": r.markup_percent}
            for r in s.scalars(select(m.PricebookRule).order_by(m.PricebookRule.pricebook, m.PricebookRule.effective_from,
                                                                m.PricebookRule.vendor, m.PricebookRule.scope, m.PricebookRule.match))
        ]
        support = [
            {"pricebook": p.pricebook, "effective_from": p.effective_from, "vendor": p.vendor, "percent": p.percent,
             "monthly_minimum": p.monthly_minimum}
            for p in s.scalars(select(m.SupportPlan).order_by(m.SupportPlan.pricebook, m.SupportPlan.effective_from))
        ]
    if as_json:
        _print_json({"rules": rules, "support_plans": support})
        return
    _table([tuple(r.values()) for r in rules], ["pricebook", "from", "vendor", "scope", "match", "markup %"])
    if support:
        click.echo()
        _table([tuple(p.values()) for p in support], ["pricebook", "from", "vendor", "support %", "monthly minimum"])


@pricebooks.command("terms")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--vendor", type=VENDORS, required=True)
@click.option("--scope", type=click.Choice(["service", "product_type", "sku"]), default="service", show_default=True)
@json_option
def pricebooks_terms(directory: str, vendor: str, scope: str, as_json: bool) -> None:
    """The names a pricebook rule of SCOPE can match for VENDOR: every service (product type,
    SKU) in the imported reports, spelled as they are, with rows and vendor cost, costliest first
    (rounded to the currency's minor unit; exact with --json).

    Rules match exactly, case included: AWS services are product codes (AmazonEC2), Azure's meter
    categories, Google's service names; SKUs are AWS product/sku, Azure MeterId, Google sku.id."""
    from workbench.billing.store.usage_queries import usage_term_costs

    ws = _open(directory)
    terms = usage_term_costs(ws, vendor, scope)
    if as_json:
        _print_json([{"name": t.name, "currency": t.currency, "rows": t.rows, "cost": plain(t.cost)} for t in terms])
        return
    if not terms:
        click.echo(f"no {vendor} usage imported yet: `workbench import` a report first", err=True)
        return
    _table([(t.name, f"{t.rows:,}", money_text(t.cost, t.currency), t.currency) for t in terms], [scope, "rows", "vendor cost", "cur"])


@pricebooks.command("import", help="Import pricebooks.csv / support_plans.csv (or any table files).\n\n"
                    "A change taking effect in a month already billed (locked) is refused.\n\n" + TABLE_FILES_HELP)
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@json_option
def pricebooks_import(directory: str, files: tuple[str, ...], as_json: bool) -> None:
    _import_tables(directory, files, as_json)


@pricebooks.command("export", help=EXPORT_HELP)
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.argument("target", type=click.Path())
@overwrite_option
def pricebooks_export(directory: str, target: str, overwrite: bool) -> None:
    _export_tables(directory, target, overwrite)
