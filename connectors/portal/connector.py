"""The portal connector: a push files the referral in the kartabl; the staff's actions are
applied as they are recorded, so a poll has nothing left to bring.

Why no outstanding queue: the kartabl's pages record each action (viewed, accepted, forwarded,
an interim action, the result, not our remit) as an agency update through
:func:`hub.polling.updates.apply_update` at the moment the clerk makes it — the path a webhook
update takes. The view deadline is then met at the moment the referral was opened, and every
later stage (status map, events, deadlines, figures, the citizen's notice) sees an ordinary
agency update.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from hub.plugins.connector import AgencyUpdate, Connector, Health, OutgoingReferral, Receipt

SCHEMA = Path(__file__).with_name("settings.schema.json")

# The kartabl's own statuses: what each action says, mapped by the agreement's status_map.
VIEWED = "viewed"
ACCEPTED = "accepted"
FORWARDED = "forwarded"
INTERIM = "interim"
NOT_OUR_REMIT = "not_our_remit"
RESULT_STATUSES = ("done", "not_done", "rejected")
STATUSES = (VIEWED, ACCEPTED, FORWARDED, INTERIM, NOT_OUR_REMIT, *RESULT_STATUSES)


class PortalConnector(Connector):
    kind: ClassVar[str] = "portal"
    settings_schema: ClassVar[dict[str, Any]] = json.loads(SCHEMA.read_text(encoding="utf-8"))

    def push(self, referral: OutgoingReferral) -> Receipt:
        """The kartabl reads referrals from the hub's own tables: the receipt is the hub's own
        reference, and a second push of the same referral lands on the same case."""
        return Receipt(referral.referral_id, referral.reference, {"kartabl": True})

    def poll(self, receipts: Sequence[Receipt]) -> list[AgencyUpdate]:
        return []  # every action was applied when it was recorded (see the module's docstring)

    def check(self) -> Health:
        missing = [s for s in STATUSES if s not in self.context.status_map]
        if missing:
            return Health(
                False,
                "the status map lacks kartabl statuses",
                tuple(f"status_map has no «{status}»" for status in missing),
            )
        return Health(True, "the kartabl is served by the hub itself")

    def units(self) -> list[dict[str, str]]:
        return [dict(unit) for unit in self.settings.get("units", [])]
