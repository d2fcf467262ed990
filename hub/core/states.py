"""Referral states and the transitions the lifecycle allows between them.

A referral is one request sent to one agency. Its life::

    pending → delivering → delivered → viewed → in_progress → forwarded → resolved → closed
                 │  ↑                    (any open state may jump ahead: the agency's system
                 │  └ (transient error, or reports what it reports; it never goes backwards)
                 │     its worker died: back to pending)
                 ├→ delivery_failed  (permanent error or retries exhausted; resend → pending)
                 └→ unconfirmed  (sent, answer unclear, the agency cannot de-duplicate: found
                                  or confirmed → delivered; not found or re-pushed → pending)
    any open state after delivery → returned (not our competence) → rerouted (closed for good)
    resolved → in_progress again when the citizen reopens it
"""

from __future__ import annotations

from enum import StrEnum


class ReferralState(StrEnum):
    PENDING = "pending"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    VIEWED = "viewed"
    IN_PROGRESS = "in_progress"
    FORWARDED = "forwarded"
    RESOLVED = "resolved"
    RETURNED = "returned"
    REROUTED = "rerouted"
    DELIVERY_FAILED = "delivery_failed"
    UNCONFIRMED = "unconfirmed"  # sent, the answer unclear: the agency may hold the case
    CLOSED = "closed"

    @property
    def label_fa(self) -> str:
        return _LABELS_FA[self]


_LABELS_FA = {
    ReferralState.PENDING: "در صف ارسال",
    ReferralState.DELIVERING: "در حال ارسال",
    ReferralState.DELIVERED: "تحویل شده به دستگاه",
    ReferralState.VIEWED: "رؤیت شده",
    ReferralState.IN_PROGRESS: "در حال رسیدگی",
    ReferralState.FORWARDED: "ارجاع داخلی",
    ReferralState.RESOLVED: "پاسخ داده شده",
    ReferralState.RETURNED: "عودت شده",
    ReferralState.REROUTED: "ارجاع مجدد",
    ReferralState.DELIVERY_FAILED: "ارسال ناموفق",
    ReferralState.UNCONFIRMED: "ارسال نامعلوم",
    ReferralState.CLOSED: "مختومه",
}


class Outcome(StrEnum):
    """How a resolved referral ended (``referrals.outcome``): the state stays ``resolved``."""

    SUCCESSFUL = "successful"  # the agency did what was asked
    UNSUCCESSFUL = "unsuccessful"  # closed without doing it (Znuny's closed unsuccessful)
    REJECTED = "rejected"  # it refused the request on its merits (unlike returned: not ours)

    @property
    def label_fa(self) -> str:
        return _OUTCOME_LABELS_FA[self]


_OUTCOME_LABELS_FA = {
    Outcome.SUCCESSFUL: "انجام شد",
    Outcome.UNSUCCESSFUL: "انجام نشد",
    Outcome.REJECTED: "پذیرفته نشد",
}

S = ReferralState


class RequestStatus(StrEnum):
    REFERRED = "referred"  # has at least one referral still open
    RESOLVED = (
        "resolved"  # every live referral answered (resolved or closed), one at least resolved
    )
    CLOSED = "closed"  # every live referral closed
    TRIAGE = "triage"  # no agreement matched, or every agency returned it: an operator decides
    DUPLICATE = "duplicate"  # the same citizen already asked the same: linked, not referred twice

    @property
    def label_fa(self) -> str:
        return _REQUEST_LABELS_FA[self]


_REQUEST_LABELS_FA = {
    RequestStatus.REFERRED: "ارجاع شده",
    RequestStatus.RESOLVED: "پاسخ داده شده",
    RequestStatus.CLOSED: "مختومه",
    RequestStatus.TRIAGE: "صف بررسی",
    RequestStatus.DUPLICATE: "تکراری",
}

# Referral states in which the agency's part is done; a rerouted referral is replaced by another.
ANSWERED: frozenset[ReferralState] = frozenset({ReferralState.RESOLVED, ReferralState.CLOSED})


# States the agency's own progress can move a referral through, in order; an update may skip
# ahead but never move back.
AGENCY_PROGRESS: tuple[ReferralState, ...] = (
    S.DELIVERED,
    S.VIEWED,
    S.IN_PROGRESS,
    S.FORWARDED,
    S.RESOLVED,
)

# States in which the agency is still expected to act, and so is polled.
POLLED: frozenset[ReferralState] = frozenset({S.DELIVERED, S.VIEWED, S.IN_PROGRESS, S.FORWARDED})

# States a referral never leaves on its own.
FINAL: frozenset[ReferralState] = frozenset({S.CLOSED, S.REROUTED})


def _progress_moves() -> set[tuple[ReferralState, ReferralState]]:
    moves = set()
    for i, earlier in enumerate(AGENCY_PROGRESS):
        for later in AGENCY_PROGRESS[i + 1 :]:
            moves.add((earlier, later))
        if earlier is not S.RESOLVED:
            moves.add((earlier, S.RETURNED))
    return moves


ALLOWED: frozenset[tuple[ReferralState, ReferralState]] = frozenset(
    {
        (S.PENDING, S.DELIVERING),
        (S.DELIVERING, S.PENDING),  # transient failure, or its worker died: try again later
        (S.DELIVERING, S.DELIVERED),
        (S.DELIVERING, S.DELIVERY_FAILED),
        (S.DELIVERING, S.UNCONFIRMED),  # the agency may have the case: never called failed
        (S.UNCONFIRMED, S.DELIVERED),  # found at the agency, or its case id entered by an admin
        (S.UNCONFIRMED, S.PENDING),  # not found at the agency, or re-pushed knowingly
        (S.UNCONFIRMED, S.CLOSED),
        (S.DELIVERY_FAILED, S.PENDING),  # resend
        (S.DELIVERY_FAILED, S.DELIVERED),  # a late receipt: the agency did get it after all
        (S.RETURNED, S.REROUTED),
        (S.RETURNED, S.CLOSED),
        (S.RESOLVED, S.CLOSED),
        (S.RESOLVED, S.IN_PROGRESS),  # reopened by the citizen
        (S.DELIVERY_FAILED, S.CLOSED),
        (S.DELIVERED, S.DELIVERY_FAILED),  # a bounce: it never reached anyone after all
        *_progress_moves(),
    }
)


def is_allowed(from_state: ReferralState, to_state: ReferralState) -> bool:
    return (from_state, to_state) in ALLOWED
