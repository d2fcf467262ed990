"""The dashboard's words in Persian (the default, right to left) and English."""

from __future__ import annotations

from typing import Literal

from hub.core.states import ReferralState

Lang = Literal["fa", "en"]

WORDS: dict[str, tuple[str, str]] = {
    "title": ("داشبورد نظارت سامد", "Samad supervision dashboard"),
    "league": ("جدول دستگاه‌ها", "Agency league table"),
    "trend": ("روند ماهانه", "Monthly trend"),
    "overdue": ("معوق‌ها", "Overdue"),
    "violations": ("تخلفات", "Violations"),
    "failures": ("ارسال‌های ناموفق", "Delivery failures"),
    "kartabls": ("کارتابل دستگاه‌ها", "Agencies' kartabls"),
    "agency": ("دستگاه", "Agency"),
    "province": ("کل استان", "Whole province"),
    "received": ("دریافتی", "Received"),
    "delivered": ("تحویل‌شده", "Delivered"),
    "viewed_on_time_pct": ("رؤیت به‌موقع ٪", "Viewed on time %"),
    "acted_on_time_pct": ("اقدام به‌موقع ٪", "Acted on time %"),
    "resolved_on_time_pct": ("پاسخ به‌موقع ٪", "Resolved on time %"),
    "view_median_hours": ("میانه زمان رؤیت (ساعت)", "Median time to view (h)"),
    "resolve_median_hours": ("میانه زمان پاسخ (ساعت)", "Median time to resolve (h)"),
    "resolve_p90_hours": ("صدک ۹۰ پاسخ (ساعت)", "90th pct. to resolve (h)"),
    "overdue_now": ("معوق اکنون", "Overdue now"),
    "delivery_failures": ("ارسال ناموفق", "Delivery failures"),
    "satisfaction_avg": ("رضایت", "Satisfaction"),
    "reopen_rate_pct": ("بازگشایی ٪", "Reopened %"),
    "period": ("دوره", "Period"),
    "show": ("نمایش", "Show"),
    "tracking_code": ("کد پیگیری", "Tracking code"),
    "reference": ("شماره ارجاع", "Referral"),
    "state": ("وضعیت", "State"),
    "due": ("مهلت", "Due"),
    "deadline": ("مهلت", "Deadline"),
    "late": ("تأخیر (ساعت کاری)", "Late (working h)"),
    "recorded": ("ثبت", "Recorded"),
    "last_error": ("آخرین خطا", "Last error"),
    "attempts": ("تلاش‌ها", "Attempts"),
    "resend": ("ارسال دوباره", "Resend"),
    "resent": ("دوباره در صف ارسال قرار گرفت", "queued for delivery again"),
    "nothing": ("موردی نیست", "Nothing here"),
    "unconfirmed": ("ارسال‌های نامعلوم", "Unconfirmed deliveries"),
    "unconfirmed_help": (
        "پاسخ سامانه دستگاه روشن نبود و دستگاه ممکن است پرونده را ثبت کرده باشد. پیش از ارسال "
        "دوباره، شماره پرونده را از دستگاه بپرسید و ثبت کنید.",
        "The agency's answer was unclear: it may hold the case already. Ask it for its case id "
        "and record it before sending again.",
    ),
    "case_id": ("شماره پرونده در دستگاه", "The agency's case id"),
    "record_case": ("ثبت شماره پرونده", "Record the case id"),
    "may_duplicate": (
        "می‌دانم که ممکن است پرونده تکراری ساخته شود",
        "I know the agency may end up with two cases",
    ),
    "resend_anyway": ("ارسال دوباره", "Send again"),
    "confirmed": ("تحویل‌شده ثبت شد و از این پس پیگیری می‌شود", "delivered: followed up from now"),
    "refused": ("انجام نشد", "not done"),
    "in_flight": ("در حال ارسال", "Being delivered now"),
    "in_flight_help": (
        "اگر کارگر ارسال از کار بیفتد، پس از پایان مهلتش ارسال دوباره انجام می‌شود (یا اگر دستگاه "
        "ارسال تکراری را تشخیص ندهد، به فهرست نامعلوم می‌رود).",
        "If the worker sending one dies, it is retried when its lease runs out (or, where the "
        "agency cannot recognise a second push, it joins the unconfirmed list).",
    ),
    "lease_until": ("مهلت کارگر تا", "Worker's lease until"),
    "since": ("از", "Since"),
    "timeline": ("سیر کامل درخواست", "Request timeline"),
    "events": ("رویدادها", "Events"),
    "delivery_attempts": ("تلاش‌های ارسال", "Delivery attempts"),
    "agency_updates": ("پاسخ‌های دستگاه", "Agency updates"),
    "at": ("زمان", "At"),
    "kind": ("نوع", "Kind"),
    "outcome": ("نتیجه", "Outcome"),
    "detail": ("جزئیات", "Detail"),
    "month": ("ماه", "Month"),
    "other_language": ("English", "فارسی"),
    "logout": ("خروج", "Log out"),
    "case_number": ("شماره پرونده در دستگاه", "Agency case number"),
    "unread_unknown_status": (
        "وضعیتی که نوشته شده در فهرست وضعیت‌های تفاهم‌نامه نیست",
        "the status it gives is not in the agreement's status map",
    ),
    "unread_no_referral": ("به هیچ ارجاعی نمی‌خورد", "it names no referral"),
    "unread_no_status": (
        "سطر «وضعیت: …» در ابتدای پاسخ نیست",
        "it has no «وضعیت: …» / «STATUS: …» line",
    ),
    "unread_automatic": ("پاسخ خودکار است (مثلاً مرخصی)", "an automatic reply (e.g. out of office)"),
    "unread_delivery_delayed": (
        "گزارش تأخیر در تحویل نامه است، نه پاسخ کارشناس",
        "a report that delivery is delayed, not a clerk's answer",
    ),
    "unread_unreadable": ("متن پاسخ خوانا نبود", "its text could not be read"),
    "breaker": ("قطع‌کن ارسال", "Delivery breaker"),
    "breaker_closed": ("عادی", "closed"),
    "breaker_open": ("قطع (سامانه دستگاه در دسترس نیست)", "open (agency system down)"),
    "breaker_half_open": ("در حال آزمون", "half open (probing)"),
    "replies": ("پاسخ‌های نیازمند بررسی", "Replies to review"),
    "replies_help": (
        "پاسخ‌هایی از دستگاه‌ها که سامانه نتوانست بخواند: بی‌کلمه وضعیت، پاسخ خودکار، یا نامه‌ای "
        "که به هیچ ارجاعی نمی‌خورد. متن و پیوست‌ها را بخوانید و وضعیتی را که پاسخ می‌گوید ثبت "
        "کنید، یا با ذکر دلیل کنار بگذارید. نامه در پوشه «Needs review» صندوق پاسخ‌ها مانده است.",
        "Agency replies the hub could not interpret: no status keyword, an automatic reply, or a "
        "mail that matches no referral. Read the text and the attachments, then apply the state "
        "the reply means, or dismiss it saying why. The mail waits in the replies mailbox's "
        "“Needs review” folder.",
    ),
    "review_number": ("بررسی شماره", "Review no."),
    "why_unread": ("چرا خوانده نشد", "Why it was not read"),
    "sender": ("فرستنده", "From"),
    "subject": ("موضوع", "Subject"),
    "received_at": ("دریافت", "Received"),
    "attachments": ("پیوست‌ها", "Attachments"),
    "no_referral": ("به هیچ ارجاعی نخورد", "matches no referral"),
    "reply_text": ("متن نامه", "The mail's text"),
    "state_meant": ("وضعیتی که پاسخ می‌گوید", "The state the reply means"),
    "result_text": ("متن نتیجه برای شهروند", "Result text for the citizen"),
    "apply": ("ثبت وضعیت", "Apply"),
    "dismiss": ("کنار گذاشتن", "Dismiss"),
    "dismiss_why": ("دلیل کنار گذاشتن", "Why dismiss it"),
    "applied": ("وضعیت ثبت شد", "applied"),
    "dismissed": ("کنار گذاشته شد", "dismissed"),
    "decided_recently": ("بررسی‌های اخیر", "Decided recently"),
    "decision": ("تصمیم", "Decision"),
    "decided_by": ("توسط", "By"),
    "referrals": ("ارجاع‌ها", "Referrals"),
    "result": ("نتیجه اعلام‌شده به شهروند", "Result the citizen was told"),
    "late_notes": ("یادداشت‌های پس از نتیجه", "Notes after the result"),
    "late_help": (
        "پاسخ‌هایی که پس از اعلام نتیجه رسیدند. نتیجه‌ای که شهروند دیده تغییر نکرده است.",
        "Replies that came after the result was given. The result the citizen saw is unchanged.",
    ),
    "agency_messages": ("نامه‌ها و پیوست‌های دستگاه", "The agency's mails and attachments"),
    "after_result": ("پس از نتیجه", "after the result"),
    "bytes": ("بایت", "bytes"),
}

STATES_EN = {
    "pending": "waiting to be sent",
    "delivering": "being sent",
    "delivered": "delivered",
    "viewed": "viewed",
    "in_progress": "in progress",
    "forwarded": "forwarded within the agency",
    "resolved": "resolved",
    "returned": "returned",
    "rerouted": "rerouted",
    "delivery_failed": "delivery failed",
    "unconfirmed": "delivery unconfirmed",
    "closed": "closed",
}


def state_label(state: str, lang: Lang) -> str:
    """A referral state as a person reads it, never its code name inside a Persian sentence."""
    if lang == "fa":
        return ReferralState(state).label_fa
    return STATES_EN.get(state, state)


# What the timeline's rows say: event kinds, how attempts ended, what became of agency updates.
TERMS: dict[str, tuple[str, str]] = {
    "request.received": ("درخواست ثبت شد", "request received"),
    "request.duplicate": ("درخواست تکراری پیوند شد", "linked as a duplicate"),
    "request.triage": ("به صف بررسی رفت", "sent to triage"),
    "referral.created": ("ارجاع ساخته شد", "referral created"),
    "referral.state_changed": ("تغییر وضعیت ارجاع", "referral moved"),
    "referral.transition_refused": ("تغییر وضعیت پذیرفته نشد", "move refused"),
    "delivery.retry_scheduled": ("تلاش دوباره برای ارسال", "delivery retry scheduled"),
    "update.received": ("پاسخ دستگاه رسید", "agency update received"),
    "update.unmatched": ("پاسخ نیازمند بررسی", "update needing review"),
    "update.reviewed": ("پاسخ بررسی شد", "update reviewed"),
    "referral.late_reply": ("پاسخ پس از نتیجه", "reply after the result"),
    "deadline.escalated": ("پیگیری مهلت", "deadline escalated"),
    "referral.reopened": ("بازگشایی توسط شهروند", "reopened by the citizen"),
    "feedback.received": ("نظر شهروند رسید", "citizen feedback"),
    "kartabl.action": ("اقدام در کارتابل دستگاه", "action in the agency's kartabl"),
    "alert": ("هشدار", "alert"),
    "delivered": ("تحویل شد", "delivered"),
    "transient": ("خطای گذرا", "transient error"),
    "permanent": ("خطای دائمی", "permanent error"),
    "unconfirmed": ("نامعلوم", "unconfirmed"),
    "started": ("در جریان", "in progress"),
    "lost": ("بی‌پاسخ ماند (مهلت تمام شد)", "lost (lease ran out)"),
    "applied": ("اعمال شد", "applied"),
    "duplicate": ("تکراری", "duplicate"),
    "unchanged": ("بی‌تغییر", "unchanged"),
    "stale": ("قدیمی‌تر از وضعیت فعلی", "older than the current state"),
    "refused": ("پذیرفته نشد", "refused"),
    "unknown_status": ("وضعیت ناشناخته", "unknown status"),
    "unmatched": ("بی‌ارجاع", "unmatched"),
    "bounced": ("نامه برگشت خورد", "bounced"),
    "late_note": ("یادداشت پس از نتیجه", "note after the result"),
}


def term(code: str | None, lang: Lang) -> str:
    """A code name from the event log as a person reads it (the code itself if it is new)."""
    if not code:
        return ""
    pair = TERMS.get(code)
    return (pair[0] if lang == "fa" else pair[1]) if pair else code


def words(lang: Lang) -> dict[str, str]:
    index = 0 if lang == "fa" else 1
    return {key: pair[index] for key, pair in WORDS.items()}
