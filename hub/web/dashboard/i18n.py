"""The dashboard's words in Persian (the default, right to left) and English."""

from __future__ import annotations

from typing import Literal

Lang = Literal["fa", "en"]

WORDS: dict[str, tuple[str, str]] = {
    "title": ("داشبورد نظارت سامد", "Samad supervision dashboard"),
    "league": ("جدول دستگاه‌ها", "Agency league table"),
    "trend": ("روند ماهانه", "Monthly trend"),
    "overdue": ("معوق‌ها", "Overdue"),
    "violations": ("تخلفات", "Violations"),
    "failures": ("ارسال‌های ناموفق", "Delivery failures"),
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
    "breaker": ("قطع‌کن ارسال", "Delivery breaker"),
    "breaker_closed": ("عادی", "closed"),
    "breaker_open": ("قطع (سامانه دستگاه در دسترس نیست)", "open (agency system down)"),
    "breaker_half_open": ("در حال آزمون", "half open (probing)"),
}


def words(lang: Lang) -> dict[str, str]:
    index = 0 if lang == "fa" else 1
    return {key: pair[index] for key, pair in WORDS.items()}
