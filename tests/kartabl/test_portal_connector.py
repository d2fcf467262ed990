"""The portal connector: loaded as every connector is, a push that needs no network and lands
on the same case twice, a poll with nothing left to bring, a check of the status map."""

from __future__ import annotations

from pathlib import Path

from connectors.portal.connector import STATUSES, PortalConnector
from hub.plugins.connector import ConnectorContext, OutgoingReferral, Receipt
from hub.plugins.manager import make_plugin_manager


def _connector(status_map: dict[str, str]) -> PortalConnector:
    context = ConnectorContext("golestan-aqqala-municipality", {}, status_map, Path(), Path())
    return PortalConnector({"units": [{"id": "roads", "name_fa": "عمران"}]}, context)


def _referral() -> OutgoingReferral:
    return OutgoingReferral(
        referral_id=7,
        reference="14051234567-1",
        tracking_code="14051234567",
        idempotency_key="key-7",
        agreement_id="golestan-aqqala-municipality",
        fields={},
        request={},
    )


def test_the_portal_connector_is_registered_by_its_entry_point_like_any_other() -> None:
    assert make_plugin_manager().connectors.get("portal") is PortalConnector
    only_entry_points = make_plugin_manager(disabled=["portal"])
    assert "portal" not in only_entry_points.connectors.kinds()


def test_a_push_files_the_referral_under_the_hubs_own_reference_every_time() -> None:
    connector = _connector({s: "viewed" for s in STATUSES})
    first, again = connector.push(_referral()), connector.push(_referral())
    assert first == again
    assert (first.referral_id, first.external_id) == (7, "14051234567-1")
    assert connector.poll([Receipt(7, "14051234567-1")]) == []
    assert connector.units() == [{"id": "roads", "name_fa": "عمران"}]


def test_the_check_names_each_kartabl_status_the_status_map_lacks() -> None:
    assert _connector({s: "viewed" for s in STATUSES}).check().ok
    health = _connector({"viewed": "viewed"}).check()
    assert not health.ok
    assert "status_map has no «not_our_remit»" in health.problems
