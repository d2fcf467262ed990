"""What one mail tells the hub: an update of kind status, bounce or unmatched.

One rule for everything that is not a clerk's readable answer about a referral: it is
``unmatched`` — kept for a person, never applied — naming the referral when the mail belongs to
one, with ``raw["unread"]`` saying why in one word and ``note`` in a sentence:

- ``no_referral``: no thread headers, reference or tracking code of a referral;
- ``no_status``: no «وضعیت: …» / «STATUS: …» line at the top of the clerk's words;
- ``unknown_status``: a status the agreement's ``status_map`` does not know;
- ``automatic``: an out-of-office answer or another mail no person wrote;
- ``delivery_delayed``: a temporary (4.x.x) delivery report; the referral stays delivered.

A permanent bounce is ``bounce``. ``raw`` also says how the referral was ``found_by`` and carries
a ``tracking_code`` the mail names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.email.bounces import Bounce
from connectors.email.reading import ReadReply
from connectors.email.replies import status_key
from connectors.email.threads import Thread
from hub.plugins.connector import AgencyUpdate, UpdateKind


def mail_facts(common: dict[str, Any], thread: Thread) -> dict[str, Any]:
    """``common`` with what the mail's referral was found by in ``raw``."""
    raw = {**common["raw"], "found_by": thread.found_by}
    if thread.tracking_code:
        raw["tracking_code"] = thread.tracking_code
    return {**common, "raw": raw}


def reply_update(
    read: ReadReply, thread: Thread, statuses: Mapping[str, str], common: dict[str, Any]
) -> AgencyUpdate:
    """``statuses``: each status the agreement knows, by its ``status_key``."""
    parsed = read.parsed
    if not thread.found and not thread.tracking_code:
        note = "answers no referral mail (no In-Reply-To/References) and names no reference"
        return unread("no_referral", note, thread, common, result=parsed.result)
    if parsed.status is None:
        note = f"no «وضعیت: …» / «STATUS: …» line at the top: «{parsed.first_line[:120]}»"
        return unread("no_status", note, thread, common, result=parsed.result)
    status = statuses.get(status_key(parsed.status)) if statuses else parsed.status
    if status is None:
        known = ", ".join(statuses.values())
        note = f"unknown status «{parsed.status}»; the agreement knows: {known}"
        return unread("unknown_status", note, thread, common, result=parsed.result)
    if read.from_forward:
        common = {**common, "raw": {**common["raw"], "status_from_forward": True}}
    return AgencyUpdate(
        status=status,
        result=parsed.result or None,
        external_id=thread.external_id,
        referral_reference=thread.reference,
        **common,
    )


def automatic_update(because: str, thread: Thread, common: dict[str, Any]) -> AgencyUpdate:
    note = f"automatic reply ({because}): not read as the agency's answer"
    common = {**common, "raw": {**common["raw"], "automatic": because}}
    return unread("automatic", note, thread, common)


def bounce_update(bounce: Bounce, thread: Thread, common: dict[str, Any]) -> AgencyUpdate:
    dsn = {"permanent": bounce.permanent, "statuses": list(bounce.statuses)}
    common = {**common, "raw": {**common["raw"], "dsn": dsn}}
    if not bounce.permanent:
        note = (
            f"delivery delayed ({bounce.reason}): the agency's mail server keeps trying; "
            "the referral stays delivered"
        )
        return unread("delivery_delayed", note, thread, common)
    return AgencyUpdate(
        kind=UpdateKind.BOUNCE,
        external_id=thread.external_id,
        referral_reference=thread.reference,
        note=bounce.reason,
        **common,
    )


def unread(
    why: str, note: str, thread: Thread, common: dict[str, Any], result: str | None = None
) -> AgencyUpdate:
    return AgencyUpdate(
        kind=UpdateKind.UNMATCHED,
        external_id=thread.external_id,
        referral_reference=thread.reference,
        note=note,
        result=result,
        **{**common, "raw": {**common["raw"], "unread": why}},
    )
