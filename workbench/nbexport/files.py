"""Write exported statements to disk atomically.

A batch that dies mid-write must not leave a half PDF under the final name: each file is
written to a temporary name in the same folder, flushed to disk, then renamed over the target
(`os.replace` is atomic within a filesystem).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

import nbformat
from nbconvert.exporters import Exporter
from nbformat import NotebookNode

from workbench.atomic_files import write_atomic

from .statement_csv import StatementCSVExporter
from .statement_html import StatementHTMLExporter
from .statement_pdf import StatementPDFExporter

__all__ = ["EXPORTERS", "write_atomic", "export_statement"]

# format name -> exporter class; the same classes the nbconvert entry points name.
EXPORTERS: dict[str, type[Exporter]] = {
    "html": StatementHTMLExporter,
    "pdf": StatementPDFExporter,
    "csv": StatementCSVExporter,
}


_local = threading.local()


def _exporter(fmt: str, config: Any) -> Exporter:
    """A per-thread exporter per format: building one compiles its templates (~0.1 s)."""
    if config is not None:
        return EXPORTERS[fmt](config=config)
    cache: dict[str, Exporter] = _local.__dict__.setdefault("exporters", {})
    if fmt not in cache:
        cache[fmt] = EXPORTERS[fmt]()
    return cache[fmt]



def export_statement(
    notebook: str | os.PathLike[str] | NotebookNode,
    out_dir: str | os.PathLike[str],
    formats: Iterable[str] = ("pdf", "csv"),
    *,
    basename: str | None = None,
    config: Any = None,
) -> dict[str, Path]:
    """Export an executed notebook as statement files in `out_dir`; returns format -> path.

    `basename` defaults to the notebook's file name without `.ipynb` (required for a node).
    Formats: "html", "pdf", "csv". Nothing is written for a format whose export failed; the
    first error is raised after the formats before it were written.
    """
    if isinstance(notebook, NotebookNode):
        nb = notebook
        if basename is None:
            raise ValueError("basename is required when exporting a notebook node")
    else:
        source = Path(notebook)
        nb = nbformat.read(source, as_version=4)  # type: ignore[no-untyped-call]
        basename = basename or source.stem
    unknown = [f for f in formats if f not in EXPORTERS]
    if unknown:
        raise ValueError(f"unknown statement format(s) {unknown}; known: {sorted(EXPORTERS)}")
    target_dir = Path(out_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for fmt in formats:
        resources = {"metadata": {"name": basename}}
        output, _ = _exporter(fmt, config).from_notebook_node(nb, resources=resources)
        written[fmt] = write_atomic(target_dir / f"{basename}.{fmt}", cast(bytes | str, output))
    return written
