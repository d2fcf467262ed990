"""Rendering a referral into a subject, a plain-text body and a Persian RTL HTML body.

The built-in templates live in ``templates/``; an agreement's ``templates_dir`` may replace any
of them. Templates run in Jinja2's sandbox because they come from configuration, not code.
Deadlines are shown in the Iranian calendar, in Tehran time, with Persian digits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jdatetime
import jinja2
from jinja2.sandbox import SandboxedEnvironment

from hub.plugins.connector import OutgoingReferral

TEHRAN = ZoneInfo("Asia/Tehran")
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

DEADLINE_LABELS_FA = {
    "view": "مهلت رؤیت",
    "act": "مهلت اقدام",
    "result": "مهلت اعلام نتیجه",
}


@dataclass(frozen=True)
class RenderedReferral:
    subject: str
    text: str
    html: str


def make_environment(override_dir: Path | None) -> SandboxedEnvironment:
    """Templates from ``override_dir`` first, then the built-in ones."""
    loaders: list[jinja2.BaseLoader] = [jinja2.PackageLoader("connectors.email", "templates")]
    if override_dir is not None:
        loaders.insert(0, jinja2.FileSystemLoader(str(override_dir)))
    environment = SandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",)),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["jalali"] = jalali
    environment.filters["fa_digits"] = persian_digits
    return environment


def render_referral(
    environment: jinja2.Environment,
    referral: OutgoingReferral,
    statuses: Mapping[str, str],
    attachment_links: Sequence[Mapping[str, Any]],
) -> RenderedReferral:
    context = {
        "referral": referral,
        "reference": referral.reference,
        "tracking_code": referral.tracking_code,
        "fields": referral.fields,
        "request": referral.request,
        "deadlines": deadline_list(referral.deadlines),
        "statuses": list(statuses),
        "attachment_links": attachment_links,
    }
    return RenderedReferral(
        subject=environment.get_template("subject.txt.j2").render(context).strip(),
        text=environment.get_template("body.txt.j2").render(context),
        html=environment.get_template("body.html.j2").render(context),
    )


def deadline_list(deadlines: Mapping[str, datetime]) -> list[dict[str, Any]]:
    order = list(DEADLINE_LABELS_FA)
    ranked = sorted(deadlines.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 9)
    return [
        {"name": name, "label": DEADLINE_LABELS_FA.get(name, name), "at": at, "jalali": jalali(at)}
        for name, at in ranked
    ]


def jalali(moment: datetime) -> str:
    """A UTC moment as Tehran wall time in the Iranian calendar, e.g. «۱۵ مهر ۱۴۰۴ ساعت ۱۰:۳۰»."""
    local = moment.astimezone(TEHRAN)
    day = jdatetime.datetime.fromgregorian(datetime=local, locale=jdatetime.FA_LOCALE)
    return persian_digits(day.strftime("%A %d %B %Y ساعت %H:%M"))


def persian_digits(value: object) -> str:
    return str(value).translate(PERSIAN_DIGITS)
