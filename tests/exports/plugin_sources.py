"""Exporter plug-ins as their authors write them, to install with the `exporter_plugin` fixture
(tests/conftest.py): `exporter_plugin(*jsonl())`, `exporter_plugin(*BROKEN)`, ...

The JSON-lines plug-in is the example of the exports' docs.md, taken from it as printed there:
the tests run the code a plug-in author copies."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import workbench.billing.exports

DOCS = Path(workbench.billing.exports.__file__).with_name("docs.md")


def docs_example() -> tuple[str, str]:
    """The plug-in module and the entry point line of docs.md's "Plug-ins" section."""
    section = DOCS.read_text(encoding="utf-8").partition("\n## Plug-ins\n")[2]
    blocks = re.findall(r"\n\n((?:    .*\n|\n)+)", section)
    [module] = [textwrap.dedent(b) for b in blocks if b.lstrip().startswith("import ")]
    [point] = re.findall(r'^    (\S+ = "[^"]+")', section, flags=re.MULTILINE)
    return module, point


def jsonl() -> tuple[str, dict[str, str], dict[str, str]]:
    """The docs' example as a package: jsonl = "acme_billing.jsonl:JsonLinesExporter"."""
    module, point = docs_example()
    name, _, value = point.partition(" = ")
    package, _, _ = value.strip('"').partition(":")
    return "acme-billing", {name: value.strip('"')}, {package.replace(".", "/") + ".py": module,
                                                       package.partition(".")[0] + "/__init__.py": ""}


PDF = ("acme-pdf", {"pdf": "acme_pdf:PdfExporter"}, {"acme_pdf.py": '''
from pathlib import Path


class PdfExporter:
    name = "pdf"
    suffix = "-acme.pdf"
    media_type = "application/pdf"

    def write(self, invoice, out: Path) -> Path:
        out.write_bytes(b"%PDF-1.4 acme plug-in\\n")
        return out
'''})

BROKEN = ("broken-exporter", {"broken": "no_such_module:Exporter"}, {})

TEXT = ("acme-text", {"txt": "acme_text:TextExporter"}, {"acme_text.py": '''
from pathlib import Path


class TextExporter:
    name = "txt"
    suffix = ".txt"
    media_type = "text/plain"

    def write(self, invoice, out: Path) -> Path:
        out.write_text(f"{invoice.number} {invoice.total} {invoice.currency}\\n", encoding="utf-8")
        return out


class CsvLookalike(TextExporter):
    name = "csv"


text = TextExporter()
not_an_exporter = object()
'''})
