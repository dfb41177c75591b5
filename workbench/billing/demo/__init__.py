"""Deterministic demo data: a reseller's workspace tables and its vendors' reports in their real formats.

`write_demo_dataset` writes the demo workspace input (used by `workbench demo DIR`);
`write_aws_cur` writes an AWS CUR of any size for benchmarks (10 million rows, flat memory).
"""

from __future__ import annotations

from ._aws import CurFormat, write_aws_cur
from ._formats import AWS_CUR2_COLUMNS, AWS_CUR_LEGACY_COLUMNS, AZURE_EA_COLUMNS, GCP_EXPORT_FIELDS
from .dataset import DemoFiles, ExpectedTotals, default_months, write_demo_dataset

__all__ = [
    "AWS_CUR2_COLUMNS",
    "AWS_CUR_LEGACY_COLUMNS",
    "AZURE_EA_COLUMNS",
    "CurFormat",
    "DemoFiles",
    "ExpectedTotals",
    "GCP_EXPORT_FIELDS",
    "default_months",
    "write_aws_cur",
    "write_demo_dataset",
]
