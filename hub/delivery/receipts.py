"""The agency's receipts, kept outside the database from the push until the settle is written.

A push the agency answered has a receipt (its case id) before the settle writes it. If the
settle cannot be written — PostgreSQL down longer than the settle's retries, or the worker
killed between the answer and the commit — the receipt used to be lost with the worker's
memory: the referral waited out its lease in ``delivering`` and was then pushed again (a second
case where the agency cannot tell a re-push) or left ``unconfirmed`` for a person.

So each batch's receipts are written to the shared Redis (one pipelined round trip) right
after the pushes, and dropped once the settle has committed. When the dispatch sweep finds a
delivering referral whose lease ran out (:func:`hub.delivery.dispatch.due_agreements`), it asks
here first: a receipt kept for that referral's unfinished attempt settles it as delivered with
the agency's case id, and nothing is pushed again. A receipt names its attempt, so one left
behind by an attempt that did settle is never applied to a later attempt.

Without a shared Redis (the embedded hub: one process, SQLite) nothing is kept; with Redis out
of reach the push goes on as before and the lease decides, as it did.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import redis

from hub.core.jsonsafe import json_safe
from hub.delivery.breaker import shared_redis
from hub.delivery.settle import Pushed

log = logging.getLogger(__name__)
RECEIPT_KEY = "samad:receipt:{}"
# Long enough to outlast any outage a person would sit through before looking: three days.
KEEP_SECONDS = 3 * 24 * 3600


@dataclass(frozen=True)
class KeptReceipt:
    referral_id: int
    attempt_id: int
    external_id: str
    raw: dict[str, Any]


def keep(pushed: Sequence[Pushed]) -> bool:
    """Write the receipts of this batch's answered pushes; False if they could not be kept."""
    flags = shared_redis()
    answered = [p for p in pushed if p.receipt is not None]
    if flags is None or not answered:
        return False
    try:
        pipe = flags.pipeline(transaction=False)
        for p in answered:
            assert p.receipt is not None
            value = {
                "attempt_id": p.claim.attempt_id,
                "external_id": p.receipt.external_id,
                "raw": json_safe(dict(p.receipt.raw)),
            }
            key = RECEIPT_KEY.format(p.claim.referral.id)
            pipe.set(key, json.dumps(value, ensure_ascii=False), ex=KEEP_SECONDS)
        pipe.execute()
        return True
    except redis.RedisError as exc:
        log.warning("receipts of %d pushes not kept (%s); settling on", len(answered), exc)
        return False


def forget(referral_ids: Iterable[int]) -> None:
    """The settle of these referrals committed: their kept receipts are no longer needed."""
    flags = shared_redis()
    keys = [RECEIPT_KEY.format(i) for i in referral_ids]
    if flags is None or not keys:
        return
    try:
        flags.delete(*keys)
    except redis.RedisError as exc:  # they run out by themselves; an attempt id guards them
        log.info("kept receipts not dropped (%s)", exc)


def kept(referral_ids: Sequence[int]) -> dict[int, KeptReceipt]:
    """The receipts kept for these referrals (an empty answer when Redis cannot say)."""
    flags = shared_redis()
    if flags is None or not referral_ids:
        return {}
    try:
        values = flags.mget([RECEIPT_KEY.format(i) for i in referral_ids])
    except redis.RedisError as exc:
        log.warning("kept receipts unreadable (%s); the lease decides", exc)
        return {}
    found: dict[int, KeptReceipt] = {}
    for referral_id, value in zip(referral_ids, values, strict=True):
        if value is None:
            continue
        try:
            data = json.loads(value)
            found[referral_id] = KeptReceipt(
                referral_id, int(data["attempt_id"]), str(data["external_id"]), data["raw"]
            )
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("kept receipt of referral %s unreadable: %s", referral_id, exc)
    return found
