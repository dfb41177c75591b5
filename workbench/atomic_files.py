"""One way to write a file whole or not at all, for every layer (the store's manifests, the
exporters' statements, the renderer's PDFs); it imports nothing of the workbench.

The file is written under a hidden temporary name beside the target (so the final rename stays on
one file system), flushed to disk, then `os.replace`d over the target: a reader sees the old file
or the new one, never half of one. If writing fails, the temporary file is removed and an
existing target is left exactly as it was.

Mode: what a plain `open(path, "w")` would give. A new file gets 0666 less the process's umask
(0644 under the usual umask 022, 0600 under 077); a replaced file keeps its mode. (`mkstemp`
would force 0600 and a fixed 0644 would ignore the umask: a CSV and the PDF beside it would then
differ.)
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "write_atomic"]


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside `path` (an empty file already there) to write; on success it
    replaces `path`, on error it vanishes."""
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    # os.open applies the umask like a plain open() would
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield temporary
        if target.exists():
            os.chmod(temporary, target.stat().st_mode & 0o777)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write `data` (text is UTF-8) to `path` atomically (`atomic_path`) and return `path`."""
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(target) as temporary, open(temporary, "wb") as f:
        f.write(payload)
    return target
