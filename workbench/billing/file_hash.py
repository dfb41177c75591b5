"""`file_sha256`: a file's sha256, read in blocks (a vendor export or a detailed CSV may be large).

Light on purpose (the standard library only), so that hashing a file loads nothing else: the month
end and the statement PDF's freshness check (`render.current`) use it without the vendor-file import
and DuckDB behind `store.report_import` (which hashes each vendor file with it), and so do
`integrity.verify` and the import itself.
"""

from __future__ import annotations

import hashlib
import os

__all__ = ["file_sha256"]


def file_sha256(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()
