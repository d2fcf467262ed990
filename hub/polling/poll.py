"""Polling agencies: which referrals are due, asking the connector, storing what it says.

``next_poll_at`` lives in the database. The sweep claims due referrals (``SKIP LOCKED``), moves
their next poll one interval ahead *before* asking — so a failing agency is asked again next
interval, not in a hot loop — and groups them per agreement for batch polls.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.agreements.model import Agreement
from hub.agreements.registry import AgreementRegistry
from hub.core import telemetry
from hub.core.errors import ConnectorError, NotFound
from hub.core.metrics import observed_poll
from hub.core.settings import get_settings
from hub.core.states import POLLED
from hub.db.models import Referral
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.delivery.gate import record_pushes
from hub.plugins.connector import AgencyUpdate, Connector, Receipt
from hub.polling.updates import UpdateOutcome, apply_updates, find_referral
from hub.referrals.events import AlertKind, alert, alert_once

log = logging.getLogger(__name__)


def claim_due_polls(
    session: Session, registry: AgreementRegistry, limit: int
) -> dict[str, list[list[int]]]:
    """Referral ids due for a poll, per agreement, in batches of the agreement's batch size."""
    now = utcnow()
    rows = session.execute(
        select(Referral.id, Referral.agreement_id)
        .where(Referral.state.in_([str(s) for s in POLLED]), Referral.next_poll_at <= now)
        .order_by(Referral.next_poll_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    by_agreement: dict[str, list[int]] = defaultdict(list)
    for referral_id, agreement_id in rows:
        by_agreement[agreement_id].append(referral_id)
    batches: dict[str, list[list[int]]] = {}
    for agreement_id, ids in by_agreement.items():
        try:
            agreement = registry.get(agreement_id)
            interval, size = agreement.poll_interval_seconds, agreement.poll_batch_size
        except NotFound:
            log.error("referrals of missing agreement %s are due for polling", agreement_id)
            interval, size = 3600, len(ids)
        session.execute(
            update(Referral)
            .where(Referral.id.in_(ids))
            .values(next_poll_at=now + timedelta(seconds=interval))
            .execution_options(synchronize_session=False)
        )
        batches[agreement_id] = [ids[i : i + size] for i in range(0, len(ids), size)]
    return batches


def poll_referrals(
    agreement_id: str, referral_ids: list[int], registry: AgreementRegistry
) -> list[UpdateOutcome]:
    """Ask the agency about these referrals and apply what it says."""
    agreement = registry.get(agreement_id)
    with session_scope() as session:
        referrals = session.scalars(
            select(Referral).where(Referral.id.in_(referral_ids), Referral.external_id.is_not(None))
        ).all()
        receipts = [Receipt(r.id, r.external_id or "", r.receipt or {}) for r in referrals]
        traces = [r.trace_parent for r in referrals]
    if not receipts:
        return []
    connector = registry.connector(agreement)
    try:
        with telemetry.linked_span("samad.poll", traces, agreement=agreement_id):
            updates = _ask(agreement_id, connector, receipts)
    except ConnectorError as exc:  # transient: asked again next interval (moved ahead already)
        record_pushes(agreement, get_settings(), [exc])  # the breaker counts it, as for a push
        raise
    record_pushes(agreement, get_settings(), [None])
    updates = [_zoned(u, agreement.time_zone) for u in updates]
    outcomes, kept = _apply(agreement, updates, registry)
    # Only now, with the updates committed, may the source forget them (a mailbox moves mail).
    connector.acknowledge(kept)
    return outcomes


def _zoned(agency_update: AgencyUpdate, zone: ZoneInfo) -> AgencyUpdate:
    """An agency time without a zone is read in the agreement's ``time_zone``."""
    moment = agency_update.occurred_at
    if moment is None or moment.tzinfo is not None:
        return agency_update
    return dataclasses.replace(
        agency_update, occurred_at=moment.replace(tzinfo=zone).astimezone(UTC)
    )


def _apply(
    agreement: Agreement, updates: list[AgencyUpdate], registry: AgreementRegistry
) -> tuple[list[UpdateOutcome], list[AgencyUpdate]]:
    """Apply the updates together; if that fails, one by one, so that a value one update carries
    (too long for its column, out of range …) is alerted on its referral and keeps nothing else
    from being applied. The outcomes, and the updates stored (only those may be acknowledged)."""
    try:
        with session_scope() as session:
            return apply_updates(session, agreement, updates, registry), updates
    except Exception:
        log.exception("updates from %s could not be applied together; one by one", agreement.id)
    outcomes: list[UpdateOutcome] = []
    kept: list[AgencyUpdate] = []
    for one in updates:
        try:
            with session_scope() as session:
                outcomes += apply_updates(session, agreement, [one], registry)
            kept.append(one)
        except Exception as exc:
            log.exception("an update from %s could not be applied", agreement.id)
            _alert_bad_update(agreement.id, one, exc)
    return outcomes, kept


def _alert_bad_update(agreement_id: str, agency_update: AgencyUpdate, error: Exception) -> None:
    """Alert on the update's referral (when it names one we know), once per update id."""
    with session_scope() as session:
        referral = find_referral(session, agreement_id, agency_update)
        alert_once(
            session,
            AlertKind.BAD_AGENCY_UPDATE,
            request_id=referral.request_id if referral else None,
            referral_id=referral.id if referral else None,
            once_per={"update_id": agency_update.update_id[:200]},
            agreement=agreement_id,
            status=(agency_update.status or "")[:200],
            reason=f"the agency's update could not be stored: {type(error).__name__}: {error}"[
                :1000
            ],
        )


def _ask(agreement_id: str, connector: Connector, receipts: list[Receipt]) -> list[AgencyUpdate]:
    """The connector's answer for these cases.

    A transient failure is raised (everything is asked again next interval). A connector that
    crashes (raises anything but a ConnectorError) is alerted and raised as a transient failure,
    as a crash in ``push`` is. A batch refused for good is asked again in halves: an agency that
    refuses a whole batch for one case it does not know (a batch endpoint's 404) would otherwise
    stop the polls of every other case of it. A single case refused for good is alerted — once —
    and asked again next interval.
    """
    try:
        return observed_poll(agreement_id, connector.poll, receipts)
    except ConnectorError as exc:
        error = exc
    except Exception as exc:  # a connector's bug must not escape into Celery unrecorded
        log.exception("the %s connector crashed polling %d cases", agreement_id, len(receipts))
        _alert_crashed(agreement_id, receipts, exc)
        raise ConnectorError(f"connector crashed: {exc!r}", permanent=False) from exc
    if not error.permanent:
        log.warning("polling %s failed: %s; asking again next interval", agreement_id, error)
        raise error
    if len(receipts) == 1:
        _alert_refused(agreement_id, receipts[0], error)
        return []
    half = len(receipts) // 2
    return _ask(agreement_id, connector, receipts[:half]) + _ask(
        agreement_id, connector, receipts[half:]
    )


def _alert_crashed(agreement_id: str, receipts: list[Receipt], error: Exception) -> None:
    """One alert for the batch (no referral of it is at fault), naming its referrals."""
    with session_scope() as session:
        alert(
            session,
            AlertKind.POLL_CRASHED,
            agreement=agreement_id,
            referrals=[r.referral_id for r in receipts],
            reason=f"connector crashed: {error!r}",
        )


def _alert_refused(agreement_id: str, receipt: Receipt, error: ConnectorError) -> None:
    log.error("polling %s refused case %s: %s", agreement_id, receipt.external_id, error)
    with session_scope() as session:
        referral = session.get(Referral, receipt.referral_id)
        if referral is None:
            return
        alert_once(
            session,
            AlertKind.POLL_REFUSED,
            request_id=referral.request_id,
            referral_id=referral.id,
            agreement=agreement_id,
            external_id=receipt.external_id,
            reason=error.message,
        )
