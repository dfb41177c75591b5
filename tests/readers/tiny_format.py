"""A made-up vendor format for the plug-in tests, and a package that publishes it.

`TINY` ("tiny-usage"): a reseller portal's daily AWS usage export of five columns, without AWS's
invoice ids, so it declares it carries none: its reports are final 10 business days after the
month, as Azure's are, not when invoice ids arrive as a CUR's are.

    Day,Account,Product,Amount,Currency
    2025-10-01,111111111111,Compute,1.50,USD

`publish(folder)` makes `folder` hold what an installed plug-in is to importlib.metadata: this
module as `tiny_reports.py` and a `tiny_reports-0.1.dist-info` directory whose entry point, in
the group `workbench.report_formats`, names `tiny_reports:TINY`. With `folder` on sys.path (or
PYTHONPATH, for another process) every process finds the format.

Imported as `readers.tiny_format` from any test folder (tests/ is on sys.path); it imports
nothing but workbench, so it runs as the plug-in's module too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from workbench.billing.core.usage import Vendor
from workbench.billing.readers import ReportFormat, StageContext, Staging
from workbench.billing.readers.source import Probe

COLUMNS = ("Day", "Account", "Product", "Amount", "Currency")


def _recognises(found: Probe) -> bool:
    return len(found.columns) == len(COLUMNS) and all(found.has(c) for c in COLUMNS)


def _stage(ctx: StageContext) -> Staging:
    t, v = ctx.raw.text, ctx.raw.value
    return Staging(f"""
SELECT 'aws' AS vendor, 'portal-1' AS billing_account_id, {t('Account')} AS sub_account_id,
  CAST(NULL AS VARCHAR) AS sub_account_name, {v('Day')} AS billing_period_text, {v('Day')} AS charge_start_text,
  CAST(NULL AS VARCHAR) AS charge_end_text, 'usage' AS charge_category, {t('Product')} AS service,
  {t('Product')} AS product_type, {t('Product')} AS sku, {t('Product')} AS description,
  '1' AS quantity_text, CAST(NULL AS VARCHAR) AS unit, {v('Amount')} AS cost_text, upper({t('Currency')}) AS currency,
  'AWS' AS publisher, FALSE AS is_marketplace, FALSE AS is_free_tier, CAST(NULL AS VARCHAR) AS invoice_id,
  __source_row AS source_row, 0 AS line_order
FROM {ctx.raw.name}""")


TINY = ReportFormat(name="tiny-usage", vendor=Vendor.AWS, recognises=_recognises, required=COLUMNS, stage=_stage,
                    cost_column="Amount", currency_column="Currency", carries_invoice_ids=False)

PACKAGE = "tiny_reports"


def publish(folder: Path, entry_points: str = f"tiny-usage = {PACKAGE}:TINY") -> Path:
    """Write the plug-in package into `folder` (made if missing) and return `folder`.
    `entry_points`: the lines of its `[workbench.report_formats]` section."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(__file__, folder / f"{PACKAGE}.py")
    info = folder / f"{PACKAGE}-0.1.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {PACKAGE.replace('_', '-')}\nVersion: 0.1\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[workbench.report_formats]\n{entry_points}\n", encoding="utf-8")
    return folder
