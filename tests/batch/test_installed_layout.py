"""`pip install .` (not -e), as the README asks of Dask workers: no checkout beside the package,
the notebooks and templates are data files under `<prefix>/share/workbench`. Month end, serve and
the emails find them there (`workbench.shipped`); month end looked in the checkout only."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from workbench import shipped
from workbench.batch import paths
from workbench.billing.notify.templates import require_email_templates
from workbench.serve import find_notebooks_dir

REPO = Path(__file__).resolve().parents[2]


def test_an_installed_package_finds_its_shipped_files(tmp_path, monkeypatch):
    prefix = tmp_path / "prefix"
    data = prefix / "share" / "workbench"
    for kind, name in (("notebooks", "invoice.ipynb"), ("notebooks", "billing_reports.ipynb"),
                       ("templates/email", "invoice_open.txt.j2")):
        (data / kind).mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / kind / name, data / kind / name)
    monkeypatch.setattr(shipped, "_REPO", tmp_path / "site-packages")  # no checkout there
    monkeypatch.setattr(sys, "prefix", str(prefix))
    monkeypatch.delenv("WORKBENCH_NOTEBOOKS", raising=False)
    monkeypatch.delenv("WORKBENCH_TEMPLATES", raising=False)

    assert paths._default() == data / "notebooks" / "invoice.ipynb"
    assert find_notebooks_dir() == data / "notebooks"
    assert require_email_templates() == data / "templates" / "email"


def test_a_missing_notebook_names_every_place_searched(tmp_path, monkeypatch):
    monkeypatch.setattr(shipped, "_REPO", tmp_path / "site-packages")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "prefix"))
    monkeypatch.setenv("WORKBENCH_NOTEBOOKS", str(tmp_path / "mine"))
    try:
        shipped.find("notebooks", "invoice.ipynb", "WORKBENCH_NOTEBOOKS")
    except shipped.NotShipped as exc:
        text = str(exc)
    else:
        raise AssertionError("found a notebook that is nowhere")
    for place in (tmp_path / "mine", tmp_path / "site-packages" / "notebooks", tmp_path / "prefix" / "share" / "workbench" / "notebooks"):
        assert str(place) in text
    assert "WORKBENCH_NOTEBOOKS" in text
