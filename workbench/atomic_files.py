"""One way to write a file whole or not at all, for every layer (the store's manifests, the
exporters' statements, the renderer's PDFs); it imports nothing of the workbench."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write `data` (text is UTF-8) to `path` through a temporary file beside it, fsynced, then
    `os.replace`: a reader sees the old file or the new one, never half of one."""
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    # os.open applies the umask like a plain open() would (mkstemp would force 0600).
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return target
