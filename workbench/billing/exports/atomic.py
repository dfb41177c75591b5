"""Write a file all at once or not at all: `workbench.atomic_files.atomic_path`, the writer the
statement PDFs and the output manifests use too, so an export gets the mode they get.

The exporter writes to a hidden temporary name in the target's directory (so the final rename
stays on one file system), flushes it to disk, then `os.replace`s the target. If writing fails,
the temporary file is removed and an existing target is left exactly as it was. A new file gets
the mode a plain `open()` would give (0666 less the umask); a replaced file keeps its mode.
"""

from __future__ import annotations

from workbench.atomic_files import atomic_path

__all__ = ["atomic_path"]
