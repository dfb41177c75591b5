"""Where the files shipped beside the package are: notebooks and templates.

One lookup for all of them, first folder holding the marker file wins:

1. the folder an environment variable names (`$WORKBENCH_NOTEBOOKS`; `$WORKBENCH_TEMPLATES/<sub>`);
2. the source checkout (`<repo>/notebooks`, `<repo>/templates/<sub>`): an editable install runs
   from it;
3. the data files of an installed wheel (`<prefix>/share/workbench/...`, pyproject's
   `data-files`) for `sys.prefix` and the interpreter's data path.

So `workbench month-end`, `workbench serve` and the emails work alike from a checkout and from
`pip install .` (what the README asks of Dask workers). Light: the CLI imports it for --help.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path

__all__ = ["NotShipped", "find", "places"]

_REPO = Path(__file__).resolve().parent.parent


class NotShipped(FileNotFoundError):
    """The shipped folder is in none of the places searched."""


def places(kind: str, env: str) -> list[Path]:
    """Where to look for `kind` ("notebooks", "templates/email"), in order."""
    found: list[Path] = []
    override = os.environ.get(env)
    if override:
        sub = Path(kind).relative_to("templates") if kind.startswith("templates/") else Path()
        found.append(Path(override).expanduser() / sub)
    found.append(_REPO / kind)
    for prefix in dict.fromkeys([sys.prefix, sysconfig.get_path("data")]):
        found.append(Path(prefix) / "share" / "workbench" / kind)
    return found


def find(kind: str, marker: str, env: str) -> Path:
    """The first folder of `places(kind, env)` holding `marker`, or `NotShipped` naming them all."""
    searched = places(kind, env)
    for folder in searched:
        if (folder / marker).is_file():
            return folder.resolve()
    listed = "\n  ".join(str(p) for p in searched)
    raise NotShipped(f"{marker!r} not found; looked in:\n  {listed}\n"
                     f"Set {env} to the folder holding it, or install workbench with its data files.")
