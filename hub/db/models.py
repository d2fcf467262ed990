"""The tables: requests, referrals, delivery attempts, agency updates and the event log."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import ForeignKey, Index, String, Table, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from hub.db.types import BigId, Json, UtcDateTime, utcnow


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime(), dict[str, Any]: Json}

    if TYPE_CHECKING:
        # Every model here is mapped to one Table; DeclarativeBase types it as any FromClause,
        # which insert() and update() refuse.
        __table__: ClassVar[Table]


class Request(Base):
    """One citizen request, as registered once in the shared schema."""

    __tablename__ = "requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # RequestStatus
    channel: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(64), index=True)
    county: Mapped[str] = mapped_column(String(64))
    citizen_national_id: Mapped[str] = mapped_column(String(10))
    citizen_mobile: Mapped[str] = mapped_column(String(11))
    text_fingerprint: Mapped[str] = mapped_column(Text)
    document: Mapped[dict[str, Any]]  # normalised, valid against schemas/request.schema.json
    original: Mapped[dict[str, Any]]  # the citizen's own text as received
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))
    triage_reason: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    referrals: Mapped[list[Referral]] = relationship(
        back_populates="request", order_by="Referral.id", lazy="raise_on_sql"
    )

    __table_args__ = (Index("ix_requests_citizen_category", "citizen_national_id", "category"),)


class Referral(Base):
    """One request sent to one agency under one agreement; its own lifecycle and delivery."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    agreement_id: Mapped[str] = mapped_column(String(64), index=True)
    agreement_version: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(20), index=True)  # ReferralState
    version: Mapped[int] = mapped_column(default=1)  # bumped by every compare-and-set
    previous_referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"))

    # Delivery: the referral is its own outbox row; what is due lives here, not in the broker.
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(128))
    receipt: Mapped[dict[str, Any] | None]
    # The W3C traceparent of the intake that made it: its push continues that trace.
    trace_parent: Mapped[str | None] = mapped_column(String(64))

    # Polling.
    next_poll_at: Mapped[datetime | None] = mapped_column(index=True)
    agency_status: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(16))  # Outcome, once resolved

    # Deadlines (working time; computed from the agreement's calendar).
    view_due_at: Mapped[datetime | None]
    act_due_at: Mapped[datetime | None]
    result_due_at: Mapped[datetime | None]
    next_deadline_at: Mapped[datetime | None] = mapped_column(index=True)
    deadlines_started_at: Mapped[datetime | None]  # creation, or the citizen's last reopen

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    delivered_at: Mapped[datetime | None]
    viewed_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    # Supervision (hub/referrals/handling_time.py): when the agency first acted, and working
    # seconds from
    # delivery to the first view / act / result, stored at transition time so figures stay SQL.
    acted_at: Mapped[datetime | None]
    view_working_seconds: Mapped[int | None]
    act_working_seconds: Mapped[int | None]
    resolve_working_seconds: Mapped[int | None]

    request: Mapped[Request] = relationship(back_populates="referrals", lazy="raise_on_sql")

    __table_args__ = (
        Index("ix_referrals_agreement_external", "agreement_id", "external_id"),
        Index("ix_referrals_created_at_agreement", "created_at", "agreement_id"),
        # Figures (hub/supervision/figures/rollup.py, aggregate.py; migration 0003_figures_rollup).
        Index("ix_referrals_updated_at", "updated_at"),
        Index(
            "ix_referrals_unresolved",
            "created_at",
            "agreement_id",
            postgresql_include=[
                "state",
                "view_due_at",
                "act_due_at",
                "result_due_at",
                "viewed_at",
                "acted_at",
            ],
            postgresql_where=text("resolved_at IS NULL"),
            sqlite_where=text("resolved_at IS NULL"),
        ),
        # Deadlines of unresolved referrals not due yet (migration 0007_figures_open_deadlines).
        # "IS NOT NULL" too: a query over every unresolved referral (overdue now) cannot take
        # these for ix_referrals_unresolved, which alone answers it without reading the table.
        *(
            Index(
                f"ix_referrals_unresolved_{due}",
                due,
                postgresql_where=text(f"resolved_at IS NULL AND {due} IS NOT NULL"),
                sqlite_where=text(f"resolved_at IS NULL AND {due} IS NOT NULL"),
            )
            for due in ("view_due_at", "act_due_at", "result_due_at")
        ),
    )


class DeliveryAttempt(Base):
    """One push to an agency, recorded before it is made."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    number: Mapped[int]
    outcome: Mapped[str] = mapped_column(String(16))  # started, delivered, transient, permanent,
    # unconfirmed, or lost (its lease ran out before it was settled)
    error: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None]
    worker: Mapped[str | None] = mapped_column(String(128))


class AgencyUpdate(Base):
    """Everything an agency said, stored once per (agreement, update id), applied or not."""

    __tablename__ = "agency_updates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agreement_id: Mapped[str] = mapped_column(String(64))
    update_id: Mapped[str] = mapped_column(String(255))
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # UpdateKind
    agency_status: Mapped[str | None] = mapped_column(String(64))
    hub_state: Mapped[str | None] = mapped_column(String(20))
    result: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))  # UpdateOutcome
    note: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[dict[str, Any]]
    occurred_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("agreement_id", "update_id"),)


class Event(Base):
    """The append-only log of every state change, delivery outcome and alert."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)  # EventKind
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The audit chain (hub/supervision/audit.py): filled when the event is sealed, in seq order.
    seq: Mapped[int | None] = mapped_column(BigId, unique=True)  # uq_events_seq
    chain_hash: Mapped[str | None] = mapped_column(String(64))
    # Keyed MAC of the row's content, written with it (hub/referrals/event_macs.py): sealing
    # trusts only rows whose MAC verifies.
    row_mac: Mapped[str | None] = mapped_column(String(64))

    # For reading only: events are written as rows with their ids
    # (hub.referrals.events.insert_events).
    request: Mapped[Request | None] = relationship(lazy="raise_on_sql")
    referral: Mapped[Referral | None] = relationship(lazy="raise_on_sql")
