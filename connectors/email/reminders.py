"""A reminder in the referral's own thread: a deadline near or missed, or a case reopened.

The mail answers the referral mail — ``In-Reply-To`` and ``References`` carry its Message-ID
(the push's receipt) — so the clerk's mail program files it with the case, and a clerk who
replies to the reminder still reaches the referral. Its own Message-ID comes from the reminder's
key: a retried send is the same mail. Persian, right to left, due times in the Iranian calendar
(``reminder.txt.j2`` / ``reminder.html.j2``, which an agreement's ``templates_dir`` may replace).
"""

from __future__ import annotations

from email.message import EmailMessage

import jinja2

from connectors.email.composing import (
    Envelope,
    header_safe,
    message_id_for,
    referral_mail,
)
from connectors.email.rendering import DEADLINE_LABELS_FA, RenderedReferral, deadline_list, jalali
from hub.plugins.connector import OutgoingReferral, Reminder

REMINDER_HEADER = "X-Samad-Reminder"


def render_reminder(
    environment: jinja2.Environment, referral: OutgoingReferral, reminder: Reminder
) -> RenderedReferral:
    context = {
        "reminder": reminder,
        "reference": referral.reference,
        "tracking_code": referral.tracking_code,
        "label": DEADLINE_LABELS_FA.get(reminder.deadline or "", "مهلت"),
        "due_jalali": jalali(reminder.due_at) if reminder.due_at else "",
        "deadlines": deadline_list(referral.deadlines),
    }
    return RenderedReferral(
        subject=reminder.subject,
        text=environment.get_template("reminder.txt.j2").render(context),
        html=environment.get_template("reminder.html.j2").render(context),
    )


def compose_reminder(
    referral: OutgoingReferral,
    reminder: Reminder,
    rendered: RenderedReferral,
    envelope: Envelope,
) -> EmailMessage:
    thread = header_safe(reminder.external_id)  # the referral mail's Message-ID
    message_id = message_id_for(reminder.key, envelope.message_id_domain)
    message = referral_mail(referral, rendered, envelope, message_id)
    message["In-Reply-To"] = thread
    message["References"] = thread
    message[REMINDER_HEADER] = str(reminder.kind)
    return message
