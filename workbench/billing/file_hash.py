"""`file_sha256`: a file's sha256, read in blocks (a vendor export or a detailed CSV may be large).

Light on purpose (the standard library only), so that hashing a file loads nothing else: the month
end and the statement PDF's freshness check (`render.current`) use it without the vendor-file import
and DuckDB behind `store.report_import` (which hashes each vendor file with it), and so do
`integrity.verify` and the import itself.
"""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import threading

__all__ = ["Stopped", "file_sha256"]

BLOCK = 1 << 22  # 4 MiB: read and hashed in a few milliseconds, the longest a `stop` waits


class Stopped(Exception):
    """Work on a file given up because its `stop` event was set before the work was done."""


def file_sha256(path: str | os.PathLike[str], stop: threading.Event | None = None) -> str:
    """`stop`: looked at before each block; once set, the hash gives up (raises `Stopped`), so that
    an import stopped midway does not read the rest of a multi-GB file first."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while stop is None or not stop.is_set():
            block = handle.read(BLOCK)
            if not block:
                return digest.hexdigest()
            digest.update(block)
    raise Stopped(os.fspath(path))
