"""Damaged copies of real vendor files, for the readers' and the import's refusal tests."""

from __future__ import annotations

import struct
from pathlib import Path

import duckdb


def damaged_parquet(sample: Path, folder: Path) -> Path:
    """`sample` (a CSV) as parquet, its footer (schema) intact and every data page overwritten: it
    is recognised from the schema, and fails only when the rows are read."""
    good = folder / "good.parquet"
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT * FROM read_csv('{sample}', all_varchar = true)) TO '{good}' (FORMAT parquet)")
    data = bytearray(good.read_bytes())
    footer = struct.unpack("<i", data[-8:-4])[0]
    for i in range(4, len(data) - 8 - footer):
        data[i] ^= 0x5A
    damaged = folder / "cur-2023-11.parquet"
    damaged.write_bytes(bytes(data))
    return damaged
