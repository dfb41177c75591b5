"""One demo data set per session: writing it takes a second or two, every test reads it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from workbench.billing.demo import DemoFiles, write_demo_dataset

TODAY = date(2024, 6, 15)  # months default to 2024-04 and 2024-05


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return write_demo_dataset(tmp_path_factory.mktemp("demo"), today=TODAY)


@pytest.fixture(scope="session")
def samples() -> Path:
    return Path(__file__).resolve().parents[1] / "data" / "vendor-samples"
