"""Import the human-editable table files: validate everything, then upsert in one transaction.

Flow: read files as text rows -> parse each cell by its column kind -> check rows against each
other (duplicates, one owner per account, ranges) -> check them against the stored data
(unknown customers, accounts owned elsewhere, reference data of closed months: pricebooks,
tax and FX rates, customers' pricebooks, currencies and jurisdictions; accounts whose usage is in
a locked period: `closed_months`) -> only if no error was found, write every table in one
transaction. Any error: nothing is written. A parsed row is a `table_records.Record`.
"""

from __future__ import annotations

import difflib

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from workbench.billing.core.money import Money, is_known_currency, minor_unit, round_minor
from workbench.billing.core.problems import Problem, Severity, errors
from workbench.billing.core.lifecycle import Status
from workbench.billing.core.usage import aws_account_id_issue
from workbench.billing.store.models import (Account, AuditEvent, CreditEntry, Customer, CustomerVendor, FxRate, Invoice,
                                            PricebookRule, Setting, TaxRate)
from workbench.billing.store.closed_months import (AccountChange, account_changes, check_account_locks,
                                                   check_closed_reference, reference_customers)
from workbench.billing.store.in_lists import chunks
from workbench.billing.store.periods import few
from workbench.billing.store.table_bindings import BINDINGS, reseller_key
from workbench.billing.store.table_files import TableRows, read_table_files
from workbench.billing.store.table_formats import TABLE_FORMATS
from workbench.billing.store.table_records import Record, changes_store
from workbench.billing.store.table_values import BadValue, Value, parse_cell
from workbench.billing.store import audit
from workbench.billing.store.workspace import Workspace


@dataclass(frozen=True, slots=True)
class TableCount:
    table: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class ImportSummary:
    counts: tuple[TableCount, ...] = ()

    @property
    def changed(self) -> int:
        return sum(c.inserted + c.updated for c in self.counts)

    def count(self, table: str) -> TableCount:
        for c in self.counts:
            if c.table == table:
                return c
        return TableCount(table)

    def __str__(self) -> str:
        if not self.counts:
            return "nothing imported"
        return "\n".join(f"{c.table}: {c.inserted} new, {c.updated} changed, {c.unchanged} unchanged" for c in self.counts)


def import_tables(
    ws: Workspace, paths: Iterable[Path], *, actor: str | None = None
) -> tuple[ImportSummary, tuple[Problem, ...]]:
    """Upsert the table files (CSV files or .xlsx workbooks, one sheet per table) into `ws`.

    Returns what changed and every problem found. With any error nothing is written.
    """
    tables, problems = read_table_files(paths)
    problems = _explain_delimiters(tables, problems)
    records, parse_problems = _parse(tables)
    problems += parse_problems
    problems += _check_rows(records)
    named_customers = {
        values.get("customer_id", "").strip() for t in tables if t.format.name == "customers" for _, values in t.rows
    }
    with ws.session() as session:
        # The customers' locks first (generation's, `locking.lock_customers`), then every check on
        # what is committed under them, then the write in the same transaction: a run that stores
        # drafts between the closed-month checks and the write would lock its months with drafts
        # priced from the data this import replaces.
        locked = check_account_locks(ws, session, account_changes(session, records), again="import the file again",
                                      reach=lambda: reference_customers(session, records))
        problems += _check_against_store(session, records, named_customers)
        problems += locked  # after the store's problems of the same row, as before
        if errors(problems):
            session.rollback()  # the customer locks taken for the check leave nothing behind
            return ImportSummary(), _ordered(problems)
        problems += _versions_leaving_out_rules(session, records)  # warnings of a good import, as below
        summary = _write(session, records, actor)
    return summary, _ordered([*problems, *_rules_naming_no_usage(ws, records), *_logo_not_found(ws, records)])


def _logo_not_found(ws: Workspace, records: Sequence[Record]) -> list[Problem]:
    """A reseller logo the statements will not find: every PDF would fail (LogoError) and every
    email go without its PDF. A warning at import, where the analyst can still put it right."""
    from workbench.billing.store.workspace import LOGO_FOLDERS, logo_candidates

    problems = []
    for r in (r for r in records if r.table == "reseller" and r.values.get("logo_file")):
        logo = str(r.values["logo_file"])
        if any(c.is_file() for c in logo_candidates(ws.root, logo)):
            continue
        looked = (f"under {ws.root} in {', '.join(LOGO_FOLDERS)}" if not Path(logo).expanduser().is_absolute()
                  else "there")
        problems.append(r.problem(
            "logo-not-found", f"the logo file {logo!r} is not found (looked {looked}): statements cannot be printed",
            f"copy it into {ws.imports_dir} (or give an absolute path in logo_file)", Severity.WARNING))
    return problems


def _rules_naming_no_usage(ws: Workspace, records: Sequence[Record]) -> list[Problem]:
    """A service, product type or SKU rule naming nothing the vendor's imported reports have:
    most likely a spelling its export does not use (AWS: AmazonEC2, not "Amazon EC2"; case
    counts), and it prices nothing, silently, at the default markup. A warning (the service may
    simply not be used yet), with the names the reports use that come nearest."""
    from workbench.billing.store.usage_queries import RULE_SCOPES, usage_terms

    rules = [r for r in records if r.table == "pricebooks" and r.values.get("scope") in RULE_SCOPES]
    problems: list[Problem] = []
    for vendor in sorted({str(r.values["vendor"]) for r in rules}):
        terms = usage_terms(ws, vendor)
        if not terms:
            continue  # no usage of the vendor yet: nothing to compare with
        for r in (r for r in rules if r.values["vendor"] == vendor):
            scope, match = str(r.values["scope"]), str(r.values["match"])
            if match in terms[scope]:
                continue
            near = _nearest(match, terms[scope])
            label = scope.replace("_", " ")
            problems.append(r.problem(
                "rule-matches-no-usage",
                f"{vendor} {label} rule {match!r} of {r.values['pricebook']} names no {label} of the imported "
                f"{vendor} reports: it prices nothing",
                (f"the reports spell it {', '.join(repr(t) for t in near)}; rules match exactly, case included" if near
                 else f"check the name against the {vendor} reports' (`workbench pricebooks terms DIR --vendor "
                      f"{vendor} --scope {scope}` lists them); rules match exactly, case included"),
                Severity.WARNING))
    return problems


def _nearest(name: str, known: Collection[str]) -> list[str]:
    """The names of `known` that `name` most likely means: those that differ only in case, else
    up to three close spellings (the fix of a warning about a name nothing answers to)."""
    same = sorted(k for k in known if k.casefold() == name.casefold())
    return same or difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.6)


def _ordered(problems: list[Problem]) -> tuple[Problem, ...]:
    return tuple(sorted(problems, key=lambda p: (p.file or "", p.row if p.row is not None else -1)))


def _explain_delimiters(tables: Sequence[TableRows], problems: list[Problem]) -> list[Problem]:
    """A header that is one column holding semicolons (or tabs) is a file saved with the wrong
    delimiter: its missing-columns problem says so, and the problems that follow from it alone
    (that one unknown column, cells beyond it) are left out."""
    for table in tables:
        if len(table.header) != 1:
            continue
        only = table.header[0]
        label = "semicolons" if ";" in only else "tabs" if "\t" in only else None
        fmt = table.format
        missing = [c.name for c in fmt.columns if c.required and c.name not in table.header]
        if label is None or not missing:
            continue
        problems = [p for p in problems if p.file != table.source]
        problems.append(Problem(
            "missing-columns",
            f"{fmt.name} needs the column(s) {', '.join(missing)}; the header is one column separated by "
            f"{label}, not commas: {only[:120]!r}",
            file=table.source, row=0,
            fix=f"save it as 'CSV UTF-8 (comma delimited)', with ',' between columns; the header must be: "
                f"{','.join(fmt.column_names)}",
        ))
    return problems


def _parse(tables: Sequence[TableRows]) -> tuple[list[Record], list[Problem]]:
    """Each row's cells as values. The cells of a table whose header lacks a required column are
    checked, but it gives no records: its rows cannot be keyed or checked against each other
    (`read_table_files` reported the missing columns). An optional key column left out of the
    header (pricebooks' `match`) keys by its default."""
    records: list[Record] = []
    problems: list[Problem] = []
    for table in tables:
        whole = all(c.name in table.header for c in table.format.columns if c.required)
        present = frozenset(h for h in table.header if h in table.format.column_names)
        absent_keys = {c.name: parse_cell(c, "") for c in table.format.columns
                       if not c.required and c.name in table.format.key and c.name not in present}
        for row, texts in table.rows:
            if row in table.damaged:  # reported by `read_table_files`: its cells are shifted
                continue
            values: dict[str, Value] = dict(absent_keys)
            row_problems: list[Problem] = []
            customer = texts.get("customer_id", "").strip() or None
            for column in table.format.columns:
                if column.name not in present:
                    continue
                try:
                    values[column.name] = parse_cell(column, texts.get(column.name, ""))
                except BadValue as bad:
                    row_problems.append(Problem(bad.code, bad.message, table.source, row, customer, bad.fix))
            if row_problems:
                # the cells that parsed are checked too: a row tells every problem it has at once
                problems += row_problems + _check_ranges(Record(table.format.name, table.source, row, values, present))
            elif whole:
                records.append(Record(table.format.name, table.source, row, values, present))
    return records, problems


def _check_rows(records: Sequence[Record]) -> list[Problem]:
    problems: list[Problem] = []
    by_key: dict[tuple[str, tuple[Value, ...]], list[Record]] = defaultdict(list)
    reseller_rows = [r for r in records if r.table == "reseller"]
    for extra in reseller_rows[1:]:
        problems.append(extra.problem("reseller-rows", "reseller has more than one row", "keep one row: the reseller's own profile"))
    for r in records:
        if r.table != "reseller":
            by_key[(r.table, r.key)].append(r)
        problems += _check_ranges(r)
    for (table, key), same in by_key.items():
        first = same[0]
        for later in same[1:]:
            where = f"row {first.row} of {first.source}"
            if table == "customers":
                problems.append(
                    later.problem("duplicate-customer", f"customer ID {key[0]} appears twice (also {where})", "give each customer one row and a unique customer_id")
                )
            elif table == "accounts" and later.customer_id != first.customer_id:
                problems.append(
                    later.problem(
                        "account-two-customers",
                        f"{key[0]} account {key[1]} is mapped to customer {later.customer_id} here and to {first.customer_id} in {where}",
                        "an account belongs to exactly one customer: keep the right row",
                    )
                )
            else:
                shown = ", ".join(f"{k}={v}" for k, v in zip(BINDINGS[table].format.key, key))
                problems.append(
                    later.problem("duplicate-row", f"{table} has two rows for {shown} (also {where})", "keep one of them")
                )
    return problems


def _check_ranges(r: Record) -> list[Problem]:
    v = r.values
    found: list[Problem] = []

    def number(name: str) -> Decimal | None:
        value = v.get(name)
        return value if isinstance(value, Decimal) else None

    if r.table == "pricebooks":
        scope, match = v.get("scope"), v.get("match", "")
        if scope == "default" and match:
            found.append(r.problem("bad-match", f"a default rule matches everything, but match is {match!r}", "leave match empty for scope default"))
        if scope is not None and scope != "default" and not match:
            found.append(r.problem("bad-match", f"a {scope} rule needs the {scope} it applies to in match", f"write the vendor's {scope} name in match, e.g. AmazonEC2"))
        markup = number("markup_percent")
        if markup is not None and markup < -100:
            found.append(r.problem("bad-percent", f"markup_percent {markup} is a discount of more than 100%", "write a discount as a negative percent between -100 and 0"))
    elif r.table == "support_plans":
        for name in ("percent", "monthly_minimum"):
            amount = number(name)
            if amount is not None and amount < 0:
                found.append(r.problem("negative-amount", f"{name} {amount} is negative", f"write {name} as 0 or more"))
    elif r.table == "tax_rates":
        rate = number("rate_percent")
        if rate is not None and rate < 0:
            found.append(r.problem("negative-amount", f"rate_percent {rate} is negative", "write the tax rate as a percent, e.g. 9.975"))
    elif r.table == "fx_rates":
        rate = number("rate")
        if rate is not None and rate <= 0:
            found.append(r.problem("bad-fx-rate", f"rate {rate} is not positive",
                                   f"write how many {v.get('to_currency') or 'to_currency'} one "
                                   f"{v.get('from_currency') or 'from_currency'} buys, e.g. 1.3521"))
        if v.get("from_currency") and v.get("from_currency") == v.get("to_currency"):
            found.append(r.problem("bad-fx-rate", f"from_currency and to_currency are both {v['from_currency']}", "a rate converts between two different currencies"))
    elif r.table == "accounts" and v.get("vendor") == "aws":
        account = str(v.get("account_id") or "")
        issue = aws_account_id_issue(account) if account else None  # empty: reported as missing
        if issue is not None:  # exactly 12 digits: 1.23457E+11 stands for a million accounts
            found.append(r.problem("aws-account-id", f"aws account_id {account} {issue[0]}", issue[1]))
    elif r.table == "credits":
        amount, currency = number("amount"), str(v.get("currency") or "")
        if amount is not None and amount <= 0:
            found.append(r.problem("bad-credit", f"credit amount {amount} is not positive", "write the granted amount as a positive number; the workbench records its use on invoices"))
        elif amount is not None and is_known_currency(currency) and round_minor(amount, currency) != amount:
            digits = minor_unit(currency)
            # the amount as written, not rounded: its extra decimals are what is wrong
            found.append(r.problem("bad-credit", f"credit amount {amount} {currency} has more decimals than {currency} has ({digits})",
                                   f"write the amount granted in whole {currency} minor units, e.g. {round_minor(amount, currency)}"))
    return found


def _check_against_store(session: Session, records: Sequence[Record], named_customers: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    stored_customers = set(session.scalars(select(Customer.customer_id)))
    known_customers = stored_customers | named_customers
    for r in records:
        if r.table in ("customer_vendors", "accounts", "credits") and r.customer_id not in known_customers:
            problems.append(
                r.problem("unknown-customer", f"customer {r.customer_id} does not exist", "add the customer to customers.csv, or fix the customer_id")
            )
    problems += _check_account_owners(session, [r for r in records if r.table == "accounts"])
    problems += check_closed_reference(session, records)
    problems += _check_credits_in_use(session, [r for r in records if r.table == "credits"])
    problems += _check_credit_currencies(session, records)
    problems += _check_pricebooks_exist(session, records)
    problems += _check_jurisdictions_known(session, records)
    return problems


def _check_account_owners(session: Session, accounts: Sequence[Record]) -> list[Problem]:
    problems: list[Problem] = []
    vendors = {r.values["vendor"] for r in accounts}
    if not vendors:
        return problems
    stored = {(a.vendor, a.account_id): a.customer_id for a in session.scalars(select(Account).where(Account.vendor.in_(vendors)))}
    for r in accounts:
        owner = stored.get((str(r.values["vendor"]), str(r.values["account_id"])))
        if owner is not None and owner != r.customer_id:
            problems.append(
                r.problem(
                    "account-two-customers",
                    f"{r.values['vendor']} account {r.values['account_id']} already belongs to customer {owner}",
                    f"an account belongs to exactly one customer: fix the customer_id, or if the account really moved, "
                    f"remove it from {owner} first (`workbench customers remove-account DIR {r.values['vendor']} {r.values['account_id']}`)",
                )
            )
    return problems


def _check_credits_in_use(session: Session, credits: Sequence[Record]) -> list[Problem]:
    """A credit grant may change, but never below what invoices already use: the balance of its
    customer, currency and kind (grants, less what invoices applied, plus what voids gave back)
    must stay at or above zero with the new grants."""
    if not credits:
        return []
    customers = {r.customer_id for r in credits}
    entries = list(session.scalars(select(CreditEntry).where(CreditEntry.customer_id.in_(customers))))
    grants = {(e.customer_id, e.credit_id): e for e in entries if e.invoice_id is None}
    balance: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)  # (customer, currency, kind)
    for e in entries:  # exact text on SQLite: summed in Python
        balance[(e.customer_id, e.currency, e.kind)] += e.amount
    touched: dict[tuple[str, str, str], list[Record]] = defaultdict(list)
    for r in credits:
        v = r.values
        if not isinstance(v.get("amount"), Decimal):
            continue  # reported by the row's own checks
        key = (r.customer_id, str(v["currency"]), str(v.get("kind") or "general"))
        balance[key] += v["amount"]  # type: ignore[operator]
        keys = {key}
        old = grants.get((r.customer_id, str(v["credit_id"])))
        if old is not None:  # the grant it replaces leaves its own balance
            balance[(old.customer_id, old.currency, old.kind)] -= old.amount
            keys.add((old.customer_id, old.currency, old.kind))
        for k in keys:
            touched[k].append(r)
    problems: list[Problem] = []
    for (customer, currency, kind), rows in sorted(touched.items()):
        short = balance[(customer, currency, kind)]
        if short >= 0:
            continue
        applied = sorted({e.invoice_id for e in entries if e.invoice_id is not None and e.amount < 0
                          and (e.customer_id, e.currency, e.kind) == (customer, currency, kind)})
        # a void invoice gave its credit back: it uses none
        numbers = sorted(session.scalars(select(Invoice.number).where(
            Invoice.id.in_(applied), Invoice.status != Status.VOID.value))) if applied else []
        for r in rows:
            problems.append(r.problem(
                "credit-in-use",
                f"customer {customer}'s {kind} credit in {currency} would be {Money(-short, currency)} short of what "
                f"invoices already use ({', '.join(numbers) or 'none'})",
                "keep the grant at least as large as it is used, or delete or void those invoices first "
                "(their credit returns to the balance), then import again"))
    return problems


def _check_credit_currencies(session: Session, records: Sequence[Record]) -> list[Problem]:
    """A credit in none of its customer's invoice currencies pays only through an exchange rate
    into one of them (generation converts it at the rate of the invoice's period). With no such
    rate in any period, stored or imported with it, it would pay nothing: a warning, not a refusal
    (the rate may come later)."""
    credits = [r for r in records if r.table == "credits" and r.customer_id and isinstance(r.values.get("currency"), str)]
    if not credits:
        return []
    customers = sorted({str(r.customer_id) for r in credits})
    invoiced: dict[str, set[str]] = defaultdict(set)
    for chunk in chunks(customers):
        for cv in session.scalars(select(CustomerVendor).where(CustomerVendor.customer_id.in_(chunk))):
            invoiced[cv.customer_id].add(cv.invoice_currency)
    for r in records:
        if r.table == "customer_vendors" and r.customer_id:
            invoiced[str(r.customer_id)].add(str(r.values.get("invoice_currency")))
    paths = {(f, t) for f, t in session.execute(select(FxRate.from_currency, FxRate.to_currency).distinct())}
    paths |= {(str(r.values.get("from_currency")), str(r.values.get("to_currency"))) for r in records if r.table == "fx_rates"}
    problems = []
    for r in credits:
        currency, wanted = str(r.values["currency"]), sorted(invoiced.get(str(r.customer_id), set()))
        if not wanted or currency in wanted or any((currency, to) in paths for to in wanted):
            continue
        problems.append(r.problem(
            "credit-currency-unused",
            f"credit {r.values.get('credit_id')} is in {currency}, but customer {r.customer_id} is invoiced in "
            f"{', '.join(wanted)} and no fx_rates row converts {currency} to {' or '.join(wanted)}: no invoice can use it",
            f"add '<period>,{currency},{wanted[0]},<rate>' to fx_rates.csv for the months it should pay (generation "
            f"converts it at the rate of the invoice's period), or grant it in {wanted[0]}",
            Severity.WARNING))
    return problems


def _versions_leaving_out_rules(session: Session, records: Sequence[Record]) -> list[Problem]:
    """A pricebook version is the rules of its month, whole (`reference.load_pricebook`): rules
    of the version before it that it does not repeat no longer apply from its month, and without
    a default rule whatever no rule matches goes at cost. Written to add one rule, such a version
    silently drops the others, so a version this import adds to or changes that leaves out rules
    of the version before it is a warning, naming them."""
    stored_rules = BINDINGS["pricebooks"].stored_by_key(session) if any(r.table == "pricebooks" for r in records) else {}
    touched = sorted({(str(r.values["pricebook"]), str(r.values["vendor"]), str(r.values["effective_from"]))
                      for r in records if r.table == "pricebooks" and changes_store(stored_rules, r)})
    problems: list[Problem] = []
    for pricebook, vendor in sorted({(p, v) for p, v, _ in touched}):
        rules: dict[str, dict[tuple[str, str], Decimal]] = defaultdict(dict)  # month -> (scope, match) -> markup
        for stored in session.scalars(select(PricebookRule).where(PricebookRule.pricebook == pricebook,
                                                                   PricebookRule.vendor == vendor)):
            rules[stored.effective_from][(stored.scope, stored.match or "")] = stored.markup_percent
        for r in records:  # the import upserts: its rows join or replace the stored rows of their month
            if r.table == "pricebooks" and (r.values["pricebook"], r.values["vendor"]) == (pricebook, vendor):
                rules[str(r.values["effective_from"])][(str(r.values["scope"]), str(r.values.get("match") or ""))] = \
                    r.values["markup_percent"]  # type: ignore[assignment]
        for month in sorted(m for p, v, m in touched if (p, v) == (pricebook, vendor)):
            before = max((m for m in rules if m < month), default=None)
            if before is None:
                continue
            mine, theirs = rules[month], rules[before]
            left_out = sorted(k for k in theirs if k not in mine and k[0] != "default")
            no_default = ("default", "") in theirs and ("default", "") not in mine
            if not (left_out or no_default):
                continue
            parts = ([f"has no default rule (its {before} version's was {theirs[('default', '')]:+} %)"] if no_default else []) + \
                    ([f"leaves out {len(left_out)} rule(s) of its {before} version "
                      f"({few([f'{scope} {match} {theirs[(scope, match)]:+} %' for scope, match in left_out], 3)})"]
                     if left_out else [])
            first = next(r for r in records if r.table == "pricebooks" and (r.values["pricebook"], r.values["vendor"],
                                                                             r.values["effective_from"]) == (pricebook, vendor, month))
            problems.append(Problem(
                "pricebook-version-incomplete",
                f"{pricebook} ({vendor}) {month} {' and '.join(parts)}: from {month} "
                f"{'lines no rule matches are billed at cost' if ('default', '') not in mine else 'those lines get the default markup'}",
                first.source, first.row, None,
                f"a version replaces the previous one whole: repeat in {month} the rules of {before} you keep",
                Severity.WARNING))
    return problems


def _check_jurisdictions_known(session: Session, records: Sequence[Record]) -> list[Problem]:
    """A customer's tax jurisdiction that the tax table does not know ('CA-ONT' for 'CA-ON'):
    its invoices would have no tax, which generation says per invoice, weeks later. A warning at
    import, with the nearest jurisdictions the table knows; none while the workspace keeps no tax
    table at all (no tax, or its rates not imported yet)."""
    named = [r for r in records if r.table == "customers" and r.values.get("tax_jurisdiction")]
    if not named:
        return []
    known = {str(j) for j in session.scalars(select(TaxRate.jurisdiction).distinct())}
    known |= {str(r.values["jurisdiction"]) for r in records if r.table == "tax_rates"}
    if not known:
        return []
    problems = []
    for r in named:
        jurisdiction = str(r.values["tax_jurisdiction"])
        if jurisdiction in known:
            continue
        near = _nearest(jurisdiction, known)
        problems.append(r.problem(
            "unknown-tax-jurisdiction",
            f"tax jurisdiction {jurisdiction!r} of customer {r.customer_id} has no rates in the tax table: "
            "its invoices would have no tax",
            (f"did you mean {' or '.join(repr(k) for k in near)}? Fix the customer's tax_jurisdiction in customers.csv; "
             if near else "") + "if it is a jurisdiction of its own, add its taxes to tax_rates.csv (0 % for none)",
            Severity.WARNING))
    return problems


def _check_pricebooks_exist(session: Session, records: Sequence[Record]) -> list[Problem]:
    assigned = [r for r in records if r.table == "customer_vendors"]
    if not assigned:
        return []
    defined: set[tuple[object, object]] = {(p, v) for p, v in session.execute(select(PricebookRule.pricebook, PricebookRule.vendor).distinct())}
    defined |= {(r.values["pricebook"], r.values["vendor"]) for r in records if r.table == "pricebooks"}
    return [
        r.problem(
            "pricebook-undefined",
            f"pricebook {r.values['pricebook']} has no rules for {r.values['vendor']} yet",
            "add its rules to pricebooks.csv before generating invoices",
            Severity.WARNING,
        )
        for r in assigned
        if (r.values["pricebook"], r.values["vendor"]) not in defined
    ]


# every table whose changes go to the audit trail (all of them: each shows on invoices or decides
# them, and an audit event is also what tells a preheated dashboard to catch up), with its entity
AUDITED = {"reseller": "reseller", "customers": "customer", "pricebooks": "pricebook", "support_plans": "pricebook",
           "credits": "credit", "customer_vendors": "customer", "accounts": "customer", "tax_rates": "tax_rate",
           "fx_rates": "fx_rate"}


def _key_text(r: Record) -> str:
    return "/".join("" if v is None else str(v) for v in r.key)


def _jsonable(value: object) -> object:
    return value if value is None or isinstance(value, (str, int, bool)) else str(value)


def _write(session: Session, records: Sequence[Record], actor: str | None = None) -> ImportSummary:
    """Upsert every record, table by table: each table's stored rows are read once (by key),
    then its new rows, its changed rows and their audit events are written in one batched
    statement each (no query, no ORM object, no autoflush per row: 20,000 customers took 760 s)."""
    actor = actor or audit.current_actor()
    counts: list[TableCount] = []
    with session.no_autoflush:
        for fmt in TABLE_FORMATS:
            mine = [r for r in records if r.table == fmt.name]
            if not mine:
                continue
            events: list[dict[str, Any]] = []
            outcomes: list[str] = []
            if fmt.name == "reseller":
                outcomes = [_write_reseller(session, r) for r in mine]
            else:
                outcomes = _upsert(session, fmt.name, mine)
            for r, outcome in zip(mine, outcomes):
                if outcome != "unchanged" and fmt.name in AUDITED:
                    events.append(audit.event_row(
                        f"{fmt.name}.{outcome}", AUDITED[fmt.name], _key_text(r), actor=actor,
                        details={k: _jsonable(v) for k, v in r.values.items()},
                        reason=f"imported from {r.source}, row {r.row}"))
            if events:
                session.execute(insert(AuditEvent), events)
            session.flush()  # customers reach the database before the rows that refer to them
            counts.append(TableCount(fmt.name, outcomes.count("inserted"), outcomes.count("updated"),
                                     outcomes.count("unchanged")))
    return ImportSummary(tuple(counts))


def _upsert(session: Session, table: str, mine: Sequence[Record]) -> list[str]:
    """Insert the records of `table` not stored yet, update the stored ones whose file columns
    differ (columns absent from the file keep their stored values); each record's outcome."""
    binding = BINDINGS[table]
    stored = binding.stored_by_key(session)
    # columns left out of the file take their default ("" / none / 0) in a new row
    defaults = {c.name: parse_cell(c, "") for c in binding.format.columns if not c.required}
    new_rows: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    outcomes: list[str] = []
    for r in mine:
        found = stored.get(r.key)
        if found is None:
            values = {c: v for c, v in defaults.items() if c not in r.present} | r.values
            new_rows.append({binding.attribute(c): v for c, v in values.items()})
            outcomes.append("inserted")
            continue
        changed = {binding.attribute(c): r.values[c] for c in r.present if found[binding.attribute(c)] != r.values[c]}
        if changed:
            changes.append(binding.primary_key(found) | changed)
        outcomes.append("updated" if changed else "unchanged")
    if new_rows:
        session.execute(insert(binding.model), new_rows)
    if changes:
        session.execute(update(binding.model), changes)  # by primary key, batched by the columns set
    return outcomes


def _write_reseller(session: Session, r: Record) -> str:
    outcomes = set()
    for c in sorted(r.present):
        text = "" if r.values[c] is None else str(r.values[c])
        stored = session.get(Setting, reseller_key(c))
        if stored is None:
            session.add(Setting(key=reseller_key(c), value=text))
            outcomes.add("inserted")
        elif stored.value != text:
            stored.value = text
            outcomes.add("updated")
    return "inserted" if "inserted" in outcomes else "updated" if outcomes else "unchanged"


def remove_account(
    ws: Workspace, vendor: str, account_id: str, *, actor: str | None = None
) -> tuple[str | None, tuple[Problem, ...]]:
    """Forget which customer owns an account (before mapping it to another): the customer it
    belonged to (None when no customer had it), and the problems that refused it (the account
    has usage in a period locked for that customer). Audited."""
    with ws.session() as session:
        stored = session.get(Account, (vendor, account_id))
        if stored is None:
            return None, ()
        owner = stored.customer_id
        problems = check_account_locks(ws, session, [AccountChange(vendor, account_id, owner, None)],
                                        again="remove the account again")
        if errors(problems):
            session.rollback()
            return owner, tuple(problems)
        session.delete(stored)
        audit.record(session, "account.remove", "account", f"{vendor}/{account_id}", actor=actor,
                     details={"customer_id": owner})
        return owner, ()
