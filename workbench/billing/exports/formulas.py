"""Keep vendor text from running as a spreadsheet formula (CSV / formula injection).

Descriptions come from vendor files and, for marketplace products, from third-party sellers. A
text cell that begins with `=`, `+`, `-`, `@`, tab or carriage return is read as a formula by
Excel and LibreOffice when the CSV is opened, so such text gets a leading apostrophe (the OWASP
advice). Only text columns go through here; amounts are numbers and keep their minus sign.
"""

from __future__ import annotations

__all__ = ["defuse"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text
