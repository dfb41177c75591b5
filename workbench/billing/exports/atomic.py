"""Write a file all at once or not at all.

The exporter writes to a hidden temporary name in the target's directory (so the final rename
stays on one file system), flushes it to disk, then `os.replace`s the target. If writing fails,
the temporary file is removed and an existing target is left exactly as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "NEW_FILE_MODE"]

NEW_FILE_MODE = 0o644  # mkstemp creates 0600; an export is an ordinary document


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces `target`, on error it vanishes."""
    target = Path(target)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
        mode = target.stat().st_mode & 0o777 if target.exists() else NEW_FILE_MODE
        os.chmod(temporary, mode)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
