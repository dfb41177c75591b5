"""The vendors workbench bills, and the one name each goes by on statements, emails and charts."""

from __future__ import annotations

from workbench.billing.core.usage import Vendor


def test_each_vendor_has_one_display_name() -> None:
    assert {v.value: v.display_name for v in Vendor} == {"aws": "AWS", "azure": "Azure", "gcp": "Google Cloud"}
    assert all(Vendor.parse(v.display_name) is v for v in Vendor)  # and it reads back as its vendor


def test_a_stored_vendor_value_is_shown_by_its_display_name() -> None:
    assert [Vendor.display_name_of(v) for v in ("aws", "azure", "gcp")] == ["AWS", "Azure", "Google Cloud"]
    assert Vendor.display_name_of("oci") == "oci"  # not a vendor workbench bills: shown as stored
