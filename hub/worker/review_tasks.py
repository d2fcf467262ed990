"""Celery side of the review queue: the beat task alerting replies that wait too long.

``hub.review_alerts`` runs every ``SAMAD_REVIEW_SWEEP_EVERY_SECONDS``; a reply still waiting for a
person ``SAMAD_REVIEW_ALERT_AFTER_MINUTES`` after it arrived is alerted once
(:func:`hub.referrals.reviews.alert_waiting`, a compare-and-set: two beats never alert it twice).
"""

from __future__ import annotations

from datetime import timedelta

from hub.core.celery_app import app
from hub.core.settings import get_settings
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.referrals.reviews import alert_waiting


@app.task(name="hub.review_alerts")
def review_alerts() -> int:
    """Alert the replies waiting for review longer than the configured age; how many."""
    age = timedelta(minutes=get_settings().review_alert_after_minutes)
    with session_scope() as session:
        return alert_waiting(session, utcnow(), age)
