"""The command line from `init` to an exported CSV, run as a user would, in subprocesses."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from workbench.billing.core.money import D, money_text

from .conftest import cur_rows, write_tables
from .worked_example import CUR, TABLES


def workbench(*args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "workbench.cli", *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == expect, f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done


def customers_workspace(tmp_path: Path) -> str:
    """A workspace made and given the worked example's tables, as an analyst does: its folder."""
    ws = str(tmp_path / "ws")
    workbench("init", ws)
    workbench("customers", "import", ws, *map(str, write_tables(tmp_path, TABLES)))
    return ws


def october_workspace(tmp_path: Path) -> str:
    """`customers_workspace` with the worked example's October CUR imported."""
    ws = customers_workspace(tmp_path)
    report = tmp_path / "cur-2025-10.csv"
    report.write_text(cur_rows(CUR, "2025-10"))
    workbench("import", ws, str(report))
    return ws


def test_init_to_exported_csv(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    workbench("init", ws, "--name", "Maple")
    tables = write_tables(tmp_path, TABLES)
    imported = json.loads(workbench("customers", "import", ws, *map(str, tables), "--json").stdout)
    assert imported["problems"] == []

    report = tmp_path / "cur-2025-10.csv"
    report.write_text(cur_rows(CUR, "2025-10"))
    first = json.loads(workbench("import", ws, str(report), "--json").stdout)
    assert [f["status"] for f in first["files"]] == ["imported"]
    assert [(u["account_id"], u["cost"]) for u in first["unassigned"]] == [("444444444444", "3.5")]
    again = json.loads(workbench("import", ws, str(report), "--json").stdout)
    assert [f["status"] for f in again["files"]] == ["unchanged"]

    # Gamma (100003) has no pricebook: done in part, exit 1, the seed's message on stderr
    gen = workbench("generate", ws, "--vendor", "aws", "--range", "2025-10", "--include-marketplace",
                    "--apply-credits", "--today", "2025-11-20", "--json", expect=1)
    doc = json.loads(gen.stdout)
    assert [(i["customer_id"], i["total"], i["currency"]) for i in doc["invoices"]] == [
        ("100001", "238.44", "CAD"), ("100002", "41.26", "USD")]
    assert any(p["message"] == "The customer with ID #100003 does not have the currency USD enabled" for p in doc["problems"])

    # the period is locked now: part of it asked for again is refused for Beta, exit 3
    part = workbench("generate", ws, "--vendor", "aws", "--range", "2025-10-01..2025-10-20", "--customers", "100002",
                     "--today", "2025-11-20", expect=3)
    assert "customer 100002: aws 2025-10-01..2025-10-20 is already billed for #100002" in part.stderr

    listed = json.loads(workbench("invoices", "list", ws, "--status", "draft", "--json").stdout)
    acme = next(i for i in listed if i["customer_id"] == "100001")
    workbench("invoices", "approve", ws, acme["number"], "--today", "2025-11-21")
    workbench("invoices", "delete", ws, acme["number"], expect=4)  # issued: only drafts can be deleted
    beta = next(i for i in listed if i["customer_id"] == "100002")
    workbench("invoices", "approve", ws, beta["number"], "--today", "2025-11-21")
    workbench("invoices", "status", ws, beta["number"], "--to", "closed", "--reason", "paid by wire 2025-12-04")
    trail = workbench("audit", ws, "--invoice", beta["number"]).stdout
    assert "invoice.status open -> closed" in trail and "paid by wire 2025-12-04" in trail

    out = tmp_path / "out"
    files = json.loads(workbench("invoices", "export", ws, acme["number"], "--out", str(out), "--json").stdout)["files"]
    assert sorted(Path(f).name for f in files) == sorted(
        [f"{acme['number']}.csv", f"{acme['number']}-detailed.csv", f"{acme['number']}.xlsx"])
    # the PDF too: the statement as the customer sees it, Open now, with the CSV's total
    [pdf] = json.loads(workbench("invoices", "export", ws, acme["number"], "--format", "pdf", "--out", str(out),
                                 "--json").stdout)["files"]
    text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True, check=True).stdout
    shown_total = money_text(D(acme["total"]), "CAD")  # the statement groups thousands; the CSV does not
    assert acme["number"] in text and shown_total in text and "DRAFT" not in text
    with open(out / f"{acme['number']}.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["Product Type", "Description", "Amount", "Currency", "Invoice Number"]
    assert rows[-1][1:] == ["Total", acme["total"], "CAD", acme["number"]]

    shown = json.loads(workbench("invoices", "show", ws, acme["number"], "--json").stdout)
    assert (shown["status"], shown["total"]) == ("open", "238.44")
    # every amount as the statement prints it, with the currency's minor digits
    printed = {r["role"]: r["amount"] for r in shown["rows"] if r["role"] in ("subtotal", "total")}
    assert (shown["subtotal"], shown["total"]) == (printed["subtotal"], printed["total"])
    assert all(len(shown[k].rpartition(".")[2]) == 2 for k in ("subtotal", "tax_total", "total"))
    assert workbench("invoices", "show", ws, "NOPE-1", expect=4).stderr.startswith("no invoice")

    # the workspace loses its copy of the vendor file and the rows: the detailed CSV says what to do
    for stored in (Path(ws) / "usage").rglob("cur-2025-10.csv"):
        stored.unlink()
    for stored in (Path(ws) / "usage").rglob("*.parquet"):
        if not stored.name.endswith(".summary.parquet"):
            stored.unlink()
    lost = workbench("invoices", "export", ws, acme["number"], "--format", "detailed-csv", "--out", str(out), expect=3)
    assert "import cur-2025-10.csv again" in lost.stderr and "Traceback" not in lost.stderr
    restored = json.loads(workbench("import", ws, str(report), "--json").stdout)
    assert [(f["status"], [p["code"] for p in f["problems"]]) for f in restored["files"]] == [
        ("unchanged", ["source-restored"])]
    workbench("invoices", "export", ws, acme["number"], "--format", "detailed-csv", "--out", str(out))


def test_help_answers_the_question() -> None:
    text = workbench("generate", "--help").stdout
    for words in ("--range", "last-month", "--apply-credits", "--include-marketplace", "locks the period"):
        assert words in text


def test_generate_again_after_a_fix_bills_only_the_rest(tmp_path: Path) -> None:
    """Gamma fails (no pricebook); the analyst adds its row and runs the same command again, as the
    fix says: Gamma is billed, Acme and Beta are left with the drafts they have, and the run is
    done (exit 0), not "2 customer(s) failed"."""
    ws = october_workspace(tmp_path)
    month = ("generate", ws, "--vendor", "aws", "--range", "2025-10", "--today", "2025-11-20")
    first = json.loads(workbench(*month, "--json", expect=1).stdout)
    assert [(i["customer_id"], i["number"]) for i in first["invoices"]] == [
        ("100001", "AWS-202510-00001"), ("100002", "AWS-202510-00002")]

    fix = tmp_path / "fix" / "customer_vendors.csv"
    fix.parent.mkdir()
    fix.write_text("customer_id,vendor,pricebook,invoice_currency\n100003,aws,Standard,USD\n")
    workbench("customers", "import", ws, str(fix))
    again = workbench(*month)
    assert [line.split()[:2] for line in again.stdout.splitlines()[2:]] == [["AWS-202510-00003", "100003"]]
    assert again.stderr.splitlines()[-3:] == [
        "2 customer(s) already billed for aws 2025-10, left as they are: AWS-202510-00001, AWS-202510-00002",
        f"  see them with `workbench invoices list {ws} --vendor aws --range 2025-10`; to price one again, delete its "
        f"draft (`workbench invoices delete {ws} NUMBER`) or void it if issued, then generate again",
        "1 draft invoice(s) for aws 2025-10; 2 already billed; 0 customer(s) failed",
    ]

    # once more: nothing new, nothing failed; the JSON names the invoices each customer has
    third = json.loads(workbench(*month, "--json").stdout)
    assert third["invoices"] == [] and third["already_billed"] == [
        {"customer_id": c, "number": f"AWS-202510-0000{n}", "status": "draft"} for n, c in enumerate(("100001", "100002", "100003"), 1)]
    assert {p["customer_id"] for p in third["problems"] if p["code"] == "period-locked"} == {"100001", "100002", "100003"}


def test_customers_export_keeps_edits_not_imported_yet(tmp_path: Path) -> None:
    ws = customers_workspace(tmp_path)
    out = tmp_path / "tables"
    workbench("customers", "export", ws, str(out))
    (out / "accounts.csv").write_text((out / "accounts.csv").read_text().replace("acme-prod", "acme-production"))
    refused = workbench("customers", "export", ws, str(out), expect=3)
    assert refused.stdout == "" and refused.stderr.splitlines()[0] == (
        f"{out / 'accounts.csv'}: the file there differs from the workspace's accounts table: not replaced")
    assert refused.stderr.splitlines()[-1] == "nothing was written"
    assert "acme-production" in (out / "accounts.csv").read_text()
    workbench("pricebooks", "export", ws, str(out), "--overwrite")
    assert "acme-production" not in (out / "accounts.csv").read_text()


def test_help_loads_no_database_dataframe_or_query_engine() -> None:
    """`workbench --help` imports the commands, not what they use (0.1 s instead of 1 s)."""
    script = ("import sys; from workbench.cli import main; "
              "print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'duckdb', 'pandas', 'pyarrow', "
              "'openpyxl', 'jinja2', 'fastapi', 'distributed', 'papermill'}))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    for command in (["--help"], ["month-end", "--help"], ["notify", "--help"], ["api-key", "--help"]):
        assert workbench(*command).returncode == 0


def test_a_folder_that_is_not_a_workspace_is_a_usage_error_in_every_command(tmp_path: Path) -> None:
    """Exit 2, as any bad argument, with what to do: not 1, which scripts read as "done in part"."""
    folder = str(tmp_path)
    (tmp_path / "notes.txt").write_text("not a workspace\n")
    for command in (["invoices", "list", folder], ["month-end", folder, "--period", "2025-10"],
                    ["notify", "outbox", folder], ["api-key", "list", folder], ["init", folder]):
        done = workbench(*command, expect=2)
        assert "Error: Invalid value for DIR" in done.stderr, done.stderr
        assert "workbench init" in done.stderr or "not empty and is not a workspace" in done.stderr, done.stderr


def test_demo_never_fills_a_directory_that_holds_anything(tmp_path: Path) -> None:
    """The demo's reseller profile, FX rates, customers and reports would land in a real workspace."""
    ws = str(tmp_path / "ws")
    workbench("init", ws, "--name", "Maple")
    before = sorted(p.name for p in (tmp_path / "ws").rglob("*"))
    refused = workbench("demo", ws, expect=2)
    assert "is a workspace: the demo builds a new workspace" in refused.stderr and "Traceback" not in refused.stderr
    assert sorted(p.name for p in (tmp_path / "ws").rglob("*")) == before
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("hi\n")
    refused = workbench("demo", str(tmp_path / "notes"), expect=2)
    assert "is not empty: the demo builds a new workspace" in refused.stderr and "Traceback" not in refused.stderr


def test_a_workspace_whose_database_is_missing_is_refused_not_recreated(tmp_path: Path) -> None:
    """A shared folder that lost its workbench.db must not get a new empty one: verify would pass
    and invoice numbers would start again at 00001."""
    ws = tmp_path / "ws"
    workbench("init", str(ws))
    (ws / "workbench.db").unlink()
    for command in (["invoices", "list", str(ws)], ["verify", str(ws)]):
        refused = workbench(*command, expect=2)
        assert "database workbench.db is missing: restore it" in refused.stderr
    assert not (ws / "workbench.db").exists()


def test_a_database_server_that_does_not_answer_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    ws = tmp_path / "ext"
    ws.mkdir()
    (ws / "workspace.json").write_text(json.dumps({"kind": "workbench-workspace", "format_version": 1, "name": "",
                                                   "database": "external"}))
    refused = workbench("--db", "postgresql://someone:secret@127.0.0.1:1/billing", "invoices", "list", str(ws), expect=3)
    assert refused.stderr.startswith("Error: cannot open the workspace's database: ")
    assert "Nothing was done" in refused.stderr and "Traceback" not in refused.stderr and "secret" not in refused.stderr
    missing = workbench("invoices", "list", str(ws), expect=2)
    assert "pass its URL with --db URL" in missing.stderr
    own = tmp_path / "own"
    workbench("init", str(own))
    # --db on the command line names other data than the workspace's own: refused, not run on its own
    named = workbench("--db", "postgresql://someone:secret@127.0.0.1:1/billing", "invoices", "list", str(own), expect=2)
    assert f"Error: {own} keeps its data in its own workbench.db, not in the database --db names" in named.stderr
    # the environment's URL is a team's setting for its shared workspaces: ignored here, and said so
    ignored = subprocess.run([sys.executable, "-m", "workbench.cli", "invoices", "list", str(own)], capture_output=True,
                             text=True, timeout=120,
                             env={**os.environ, "WORKBENCH_DB_URL": "postgresql://someone:secret@127.0.0.1:1/billing"})
    assert ignored.returncode == 0, ignored.stderr
    assert f"warning: {own} keeps its data in its own workbench.db: WORKBENCH_DB_URL is ignored" in ignored.stderr
    assert "warning" not in workbench("invoices", "list", str(own)).stderr


def test_a_damaged_workspace_database_is_one_line_and_stays_as_it_was(tmp_path: Path) -> None:
    # a copy cut short (a full disk, a half-finished sync) or another file saved over it: it was
    # 90 lines of SQLAlchemy traceback
    from .conftest import SAMPLES

    ws = tmp_path / "ws"
    workbench("init", str(ws))
    whole = (ws / "workbench.db").read_bytes()
    for damaged in (whole[: len(whole) // 2], b"not a database at all\n"):
        (ws / "workbench.db").write_bytes(damaged)
        for args in (["invoices", "list", str(ws)], ["import", str(ws), str(SAMPLES / "azure-ea-cost-2023-09.csv")]):
            refused = workbench(*args, expect=3)
            [line] = refused.stderr.splitlines()
            assert line.startswith("Error: the workspace's database cannot be read: ")
            assert line.endswith("Nothing was done; restore its workbench.db from a backup of the workspace folder "
                                 "(a database server: ask its administrator)")
        assert (ws / "workbench.db").read_bytes() == damaged


def test_an_account_that_moved_to_another_customer(tmp_path: Path) -> None:
    """accounts.csv cannot hand an account from one customer to another in one step (an account
    belongs to exactly one customer): the refusal says which command frees it, and that command
    exists."""
    ws = customers_workspace(tmp_path)
    moved = tmp_path / "moved"
    moved.mkdir()
    accounts = moved / "accounts.csv"
    accounts.write_text("customer_id,vendor,account_id,account_name\n100002,aws,333333333333,gamma-now-beta\n")
    refused = json.loads(workbench("customers", "import", ws, str(accounts), "--json", expect=3).stdout)
    [problem] = refused["problems"]
    assert (problem["code"], problem["row"]) == ("account-two-customers", 1)
    assert "workbench customers remove-account DIR aws 333333333333" in problem["fix"]

    done = workbench("customers", "remove-account", ws, "aws", "333333333333")
    assert done.stdout.strip() == "aws account 333333333333 no longer belongs to customer 100003"
    workbench("customers", "remove-account", ws, "aws", "333333333333", expect=4)  # nothing left to remove
    assert json.loads(workbench("customers", "import", ws, str(accounts), "--json").stdout)["problems"] == []
    listed = {c["customer_id"]: c["accounts"] for c in json.loads(workbench("customers", "list", ws, "--json").stdout)}
    assert "aws:333333333333" in listed["100002"] and "aws:333333333333" not in listed["100003"]
    trail = json.loads(workbench("audit", ws, "--json").stdout)
    assert any(e["action"] == "account.remove" and e["entity_id"] == "aws/333333333333" for e in trail)


def test_an_account_with_usage_in_a_generated_period_stays_with_its_customer(tmp_path: Path) -> None:
    """remove-account is refused (exit 3) while the account's usage is on a draft or issued
    invoice of its customer, and says which invoice holds it."""
    ws = october_workspace(tmp_path)
    workbench("generate", ws, "--vendor", "aws", "--range", "2025-10", "--today", "2025-11-20", expect=1)  # Gamma: no pricebook
    refused = workbench("customers", "remove-account", ws, "aws", "222222222222", expect=3)
    assert refused.stderr.splitlines() == [
        "customer 100002: aws account 222222222222 has usage in 2025-10, locked for customer(s) 100002 (Beta Ltd) by "
        "invoice(s) AWS-202510-00002 (draft): removing it from customer 100002 would change the usage those invoices "
        "were priced from",
        "  fix: delete the draft invoice(s) AWS-202510-00002 first, then remove the account again; or keep the account "
        "with customer 100002",
        "nothing was changed"]
    listed = {c["customer_id"]: c["accounts"] for c in json.loads(workbench("customers", "list", ws, "--json").stdout)}
    assert listed["100002"] == ["aws:222222222222"]


def test_approve_all_drafts_by_vendor_and_range_and_never_preliminary_unasked(tmp_path: Path) -> None:
    ws = customers_workspace(tmp_path)
    october, november = tmp_path / "cur-2025-10.csv", tmp_path / "cur-2025-11.csv"
    october.write_text(cur_rows(CUR, "2025-10"))
    november.write_text(cur_rows(CUR, "2025-11", invoice_id=""))  # AWS has not issued November yet
    workbench("import", ws, str(october), str(november))
    workbench("generate", ws, "--vendor", "aws", "--range", "2025-10", "--customers", "100001,100002", "--today", "2025-12-02")
    workbench("generate", ws, "--vendor", "aws", "--range", "2025-11", "--customers", "100002", "--today", "2025-12-02")

    def drafts() -> list[tuple[str, bool]]:
        listed = json.loads(workbench("invoices", "list", ws, "--status", "draft", "--json").stdout)
        return sorted((i["period"], i["preliminary"]) for i in listed)

    assert drafts() == [("2025-10", False)] * 2 + [("2025-11", True)]
    done = workbench("invoices", "approve", ws, "--all-drafts", "--range", "2025-10", "--today", "2025-12-02")
    assert "approving 2 draft(s)" in done.stderr
    assert drafts() == [("2025-11", True)]

    # verify names what it cannot verify instead of "0 of 0 match"
    draft = json.loads(workbench("invoices", "list", ws, "--status", "draft", "--json").stdout)[0]["number"]
    issued = next(i for i in json.loads(workbench("invoices", "list", ws, "--json").stdout) if i["status"] != "draft")
    assert workbench("verify", ws, issued["number"]).stdout == f"{issued['number']}: ok\n"
    assert workbench("verify", ws, str(issued["id"])).stdout == f"{issued['number']}: ok\n"  # by id too
    refused = workbench("verify", ws, draft, "AWS-209912-00001", expect=4).stderr
    assert "nothing verified: no invoice 'AWS-209912-00001'" in refused
    refused = workbench("verify", ws, draft, issued["number"], expect=4).stderr
    assert f"nothing verified: {draft} is Draft: only issued invoices (Open, Past Due, Closed) are sealed" in refused

    held = workbench("invoices", "approve", ws, "--all-drafts", "--today", "2025-12-02", "--json", expect=4)
    assert "left as drafts, priced from preliminary usage" in held.stderr
    assert "nothing approved: the 1 draft(s) selected are priced from preliminary usage" in held.stderr
    assert json.loads(held.stdout) == []
    assert drafts() == [("2025-11", True)]
    november_draft = json.loads(workbench("invoices", "list", ws, "--status", "draft", "--json").stdout)[0]["number"]
    issued = workbench("invoices", "approve", ws, "--all-drafts", "--include-preliminary", "--today", "2025-12-02")
    assert drafts() == []
    # issued as asked, with what it binds: the final November report is refused while it stands
    assert (f"warning: customer 100002: {november_draft} (Beta Ltd) is issued from preliminary aws usage for 2025-11: "
            "the vendor has not finalised that month\n"
            f"  fix: if the vendor's final report differs, void {november_draft}, then import the report and generate "
            f"again (while {november_draft} stands, the final report is refused as a whole: it would change a billed "
            "month)") in issued.stderr
    trail = json.loads(workbench("audit", ws, "--invoice", november_draft, "--json").stdout)
    assert [e["details"] for e in trail if e["action"] == "invoice.status"][0] == {
        "from": "draft", "to": "open", "preliminary": True}
    assert "invoice.status draft -> open (preliminary usage)" in workbench("audit", ws, "--invoice", november_draft).stdout
    workbench("invoices", "approve", ws, "--vendor", "aws", expect=2)  # a filter without --all-drafts
    # every unknown number at once, and nothing approved
    typo = workbench("invoices", "approve", ws, "AWS-202510-0001", "AWS-202599-00001", expect=4)
    assert "no invoices 'AWS-202510-0001', 'AWS-202599-00001': see `workbench invoices list`" in typo.stderr


def test_reports_lists_which_file_prices_each_month(tmp_path: Path) -> None:
    from .conftest import SAMPLES

    ws = str(tmp_path / "ws")
    workbench("init", ws)
    first = SAMPLES / "azure-ea-cost-2023-09.csv"
    corrected = tmp_path / "azure-ea-cost-2023-09-v2.csv"
    lines = first.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    corrected.write_text("".join(lines[:-1]), encoding="utf-8")  # the vendor dropped a row
    workbench("import", ws, str(first))
    workbench("import", ws, str(corrected))

    def listed(*flags: str) -> list[tuple[str, str, int, str | None]]:
        doc = json.loads(workbench("reports", ws, *flags, "--json").stdout)
        return [(r["period"], r["file"], r["rows"], r["replaced_by"]) for r in doc]

    assert listed() == [("2023-09", corrected.name, 26, None)]
    assert listed("--all") == [("2023-09", first.name, 27, corrected.name), ("2023-09", corrected.name, 26, None)]
    text = workbench("reports", ws, "--all").stdout
    assert f"replaced by {corrected.name}" in text and "current" in text


def test_a_pricebook_rule_naming_no_imported_usage_is_a_warning_with_the_reports_spelling(tmp_path: Path) -> None:
    """'Amazon EC2' and 'amazons3' price nothing (rules match the report exactly): the import
    stores them but says so, with the names the report uses; `pricebooks terms` lists them."""
    ws = october_workspace(tmp_path)

    rules = tmp_path / "pricebooks.csv"
    rules.write_text("pricebook,effective_from,vendor,scope,match,markup_percent\n"
                     "Standard,2025-10,aws,default,,15\n"
                     "Standard,2025-10,aws,service,Amazon EC2,10\n"
                     "Standard,2025-10,aws,service,amazons3,12\n"
                     "Standard,2025-10,aws,service,AmazonRDS,8\n"
                     "Standard,2025-10,aws,product_type,Storage,11\n")
    doc = json.loads(workbench("pricebooks", "import", ws, str(rules), "--json").stdout)
    assert doc["imported"] is not None  # stored: warnings only
    warned = [(p["row"], p["message"], p["fix"]) for p in doc["problems"] if p["code"] == "rule-matches-no-usage"]
    assert [(row, message) for row, message, _ in warned] == [
        (2, "aws service rule 'Amazon EC2' of Standard names no service of the imported aws reports: it prices nothing"),
        (3, "aws service rule 'amazons3' of Standard names no service of the imported aws reports: it prices nothing")]
    assert warned[0][2].startswith("the reports spell it 'AmazonEC2'")
    assert warned[1][2].startswith("the reports spell it 'AmazonS3'")

    terms = json.loads(workbench("pricebooks", "terms", ws, "--vendor", "aws", "--json").stdout)
    assert [t["name"] for t in terms][:2] == ["AmazonEC2", "prod-abc123"]  # costliest first
    assert {t["name"]: t["cost"] for t in terms}["AmazonS3"] == "20.5"


def test_a_workspace_kept_busy_past_the_timeout_says_so_not_check_the_url(tmp_path: Path, monkeypatch) -> None:
    """Another process holds SQLite's write lock (a long table import) for longer than the busy
    timeout (30 s; 1 s here): the command says the workspace is busy and to run it again, not
    'check the database URL and that its server is running'."""
    import sqlite3

    from click.testing import CliRunner

    from workbench.billing.store import migrate
    from workbench.cli import main

    ws = tmp_path / "ws"
    workbench("init", str(ws))
    monkeypatch.setattr(migrate, "SQLITE_BUSY_TIMEOUT_S", 1)
    holder = sqlite3.connect(ws / "workbench.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        busy = CliRunner().invoke(main, ["invoices", "list", str(ws)])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert busy.exit_code == 3, busy.output
    assert "the workspace's database is busy: another workbench command" in busy.output
    assert "over 1 s. Nothing was done; run this again" in busy.output and "URL" not in busy.output
    assert workbench("invoices", "list", str(ws)).returncode == 0


def test_a_zero_invoice_issued_before_the_final_report_can_be_voided_so_the_final_report_imports(tmp_path: Path) -> None:
    """Beta's October is issued from AWS's preliminary report and paid in full by a 100 USD credit:
    0.00, Closed as it is issued. The final report is refused while it stands ("void the issued
    invoice(s)"), and voiding it is what lifts the lock (it said "an invoice in Closed cannot
    become Void"). A Closed invoice with something paid stays final."""
    ws = customers_workspace(tmp_path)
    (tmp_path / "credits").mkdir()
    workbench("customers", "import", ws, *map(str, write_tables(tmp_path / "credits", {"credits": """
        customer_id,credit_id,date,amount,currency,kind,earned_on,memo
        100002,C-2,2025-09-15,100.00,USD,general,azure,Azure commitment credit
    """})))
    beta_rows = [r for r in CUR if r["account"] == "222222222222"]
    preliminary, final = tmp_path / "cur-2025-10-preliminary.csv", tmp_path / "cur-2025-10.csv"
    preliminary.write_text(cur_rows(beta_rows, "2025-10", invoice_id=""))  # AWS has not issued October yet
    final.write_text(cur_rows(beta_rows, "2025-10"))
    workbench("import", ws, str(preliminary))
    workbench("generate", ws, "--vendor", "aws", "--range", "2025-10", "--customers", "100002", "--apply-credits",
              "--today", "2025-11-03")
    [draft] = json.loads(workbench("invoices", "list", ws, "--json").stdout)
    number = draft["number"]
    assert (draft["total"], draft["preliminary"]) == ("0.00", True)

    approved = workbench("invoices", "approve", ws, number, "--today", "2025-11-03")
    assert approved.stdout == f"{number}: Closed (nothing is due)\n"  # it said "Closed" only: why, and not Open?
    # where a due date would be, the analyst reads what the statement says (it printed "due 2025-12-03")
    assert "issued 2025-11-03, nothing due, pricebook" in workbench("invoices", "show", ws, number).stdout
    listed = workbench("invoices", "list", ws).stdout.splitlines()
    assert [line.split()[-2:] for line in listed if line.startswith(number)] == [["nothing", "due"]]
    refused = workbench("import", ws, str(final), expect=3).stderr
    assert f"{number} (closed)" in refused and f"void the issued invoice(s) {number}" in refused

    voided = workbench("invoices", "status", ws, number, "--to", "void", "--reason", "final report", "--today",
                       "2025-11-10")
    assert voided.stdout == (  # what followed, as the invoices page says it before its confirm click
        f"{number}: Void\n"
        "  the credits it applied come back to Beta Ltd: 36.51 USD\n"
        "  its period, 2025-10, is freed: a corrected invoice can be generated for it; its month-end folder moves "
        "under output/2025-10/void/\n")
    assert [f["status"] for f in json.loads(workbench("import", ws, str(final), "--json").stdout)["files"]] == [
        "replaced"]  # the preliminary report, by the final one
    trail = workbench("audit", ws, "--invoice", number).stdout
    assert "invoice.status closed -> void" in trail and "final report" in trail
    returned = [e for e in json.loads(workbench("audit", ws, "--json").stdout) if e["action"] == "credit.return"]
    # the credit it took (usage 11.51 + support 25.00, before tax) is back on Beta's balance
    assert [(e["reason"], e["details"]["amount"]) for e in returned] == [(f"{number} voided", "36.51")]

    # generated again from the final report: the credit pays it again, and it is a 0.00 invoice again
    workbench("generate", ws, "--vendor", "aws", "--range", "2025-10", "--customers", "100002", "--apply-credits",
              "--today", "2025-11-10")
    [again] = json.loads(workbench("invoices", "list", ws, "--status", "draft", "--json").stdout)
    assert (again["total"], again["preliminary"]) == ("0.00", False)

    # a Closed invoice with something paid is final: its refusal says so, and lists no target
    november = tmp_path / "cur-2025-11.csv"
    november.write_text(cur_rows(beta_rows, "2025-11"))
    workbench("import", ws, str(november))
    workbench("generate", ws, "--vendor", "aws", "--range", "2025-11", "--customers", "100002", "--today", "2025-12-02")
    [paid] = json.loads(workbench("invoices", "list", ws, "--range", "2025-11", "--json").stdout)
    assert paid["total"] == "41.26"  # no credit asked for
    assert workbench("invoices", "approve", ws, paid["number"], "--today", "2025-12-02").stdout == f"{paid['number']}: Open\n"
    workbench("invoices", "status", ws, paid["number"], "--to", "closed", "--reason", "paid by wire")
    refused = workbench("invoices", "status", ws, paid["number"], "--to", "void", expect=4).stderr
    assert (f"{paid['number']}: an invoice in Closed cannot become Void (allowed from Closed: none; it was paid, and a "
            "paid invoice is final)") in refused
