"""Voila as `workbench serve` runs it: `python -m workbench.voila_app ARGS` takes Voila's own arguments.

The one difference from `python -m voila`: each page loads only the JupyterLab extensions it uses.
Voila hands every page every federated extension installed in the environment, and a browser
downloads, parses and runs all of them before the first widget appears. `jupyterlab-plotly` alone
is 4.7 MB of JavaScript (plotly.js, 48% of all a billing page loaded) and only the usage explorer
draws plotly charts; on the 500-customer bench page (`bench/dashboard.py`) it cost the browser
~0.6 s of CPU per visit (4.9 -> 4.3 s, on two cores shared with Voila and the kernels).
`page_config` (Voila's `VoilaConfiguration.page_config_hook`, called for a visitor's page and for
a preheated kernel's alike) takes it off the other pages.

A callable cannot be given on Voila's command line, hence this entry point rather than a flag.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from workbench.serve import NOTEBOOKS

# extension name -> the notebooks (file names) that use it; any other page goes without it
ONLY_ON: dict[str, frozenset[str]] = {
    "jupyterlab-plotly": frozenset({NOTEBOOKS["usage"]}),  # its mime renderer draws the explorer's charts
}


def extensions_for(notebook: str, extensions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The federated extensions (Voila's page-config entries, each with a "name") a page loads."""
    name = PurePath(notebook).name
    return [x for x in extensions if x.get("name") not in ONLY_ON or name in ONLY_ON[x["name"]]]


def page_config(current: dict[str, Any], *, notebook_path: str, **_: Any) -> dict[str, Any]:
    """Voila's `page_config_hook`: the page config less the extensions this notebook does not use."""
    return {**current, "federated_extensions": extensions_for(notebook_path, current.get("federated_extensions", []))}


def main() -> None:
    from traitlets.config import Config
    from voila.app import Voila

    Voila.launch_instance(config=Config({"VoilaConfiguration": {"page_config_hook": page_config}}))


if __name__ == "__main__":
    main()
