"""Realistic requests from Golestan citizens, each with the outcome the demo expects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Valid national ids (کد ملی) made for the demo: checksum-correct, belonging to nobody.
_PEOPLE = [
    ("0012345679", "مریم", "احمدی", "09121234567"),
    ("2080123459", "علی", "رضایی", "۰۹۱۱۳۴۵۶۷۸۹"),
    ("2121234561", "فاطمه", "محمدی", "+989351112233"),
    ("4911234563", "حسین", "قربانی", "00989118887766"),
    ("2061234569", "زهرا", "کریمی", "989123330000"),
    ("2050001118", "رضا", "نوروزی", "09017776655"),
]


@dataclass(frozen=True)
class Sample:
    category: str
    type: str
    subject: str
    description: str
    county: str
    person: int
    expect_status: str = "resolved"  # every referral answered: the request is resolved
    expect_states: tuple[str, ...] = ("resolved",)
    channel: str = "phone_111"
    extra: dict[str, Any] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        national_id, first, last, mobile = _PEOPLE[self.person]
        return {
            "channel": self.channel,
            "type": self.type,
            "category": self.category,
            "subject": self.subject,
            "description": self.description,
            "citizen": {
                "national_id": national_id,
                "first_name": first,
                "last_name": last,
                "mobile": mobile,
            },
            "location": {
                "county": self.county,
                "city": self.county,
                "address": self.extra.get("address", "خیابان اصلی"),
            },
        }


SAMPLES: tuple[Sample, ...] = (
    Sample(
        "water.outage",
        "complaint",
        "قطعی آب در خیابان ولیعصر",
        "از دیشب ساعت ۲۲ آب ساختمان ما قطع است و هیچ اطلاع‌رسانی نشده است.",
        "گرگان",
        0,
    ),
    Sample(
        "water.leak",
        "report",
        "نشت لوله اصلی آب",
        "لوله آب جلوی مدرسه شهید بهشتی ترکیده و آب در خیابان جاری است.",
        "گنبد کاووس",
        1,
    ),
    Sample(
        "water.quality",
        "complaint",
        "گل‌آلود بودن آب شرب",
        "آب لوله‌کشی محله ما از صبح گل‌آلود و بدبو است.",
        "علی‌آباد کتول",
        2,
    ),
    Sample(
        "wastewater.blockage",
        "request",
        "گرفتگی فاضلاب کوچه",
        "فاضلاب کوچه گلستان ۵ گرفته و پس زده است، لطفا رسیدگی کنید.",
        "گرگان",
        3,
    ),
    Sample(
        "water.pressure",
        "complaint",
        "افت فشار آب در طبقات بالا",
        "فشار آب در ساعات عصر به طبقه سوم نمی‌رسد.",
        "کردکوی",
        4,
        channel="web",
    ),
    Sample(
        "water.meter",
        "request",
        "تعویض کنتور خراب",
        "کنتور آب منزل ما از کار افتاده و قبض‌ها تخمینی صادر می‌شود.",
        "آق‌قلا",
        5,
    ),
    Sample(
        "water.outage",
        "complaint",
        "قطعی مکرر آب روستا",
        "آب روستای ما هر روز چند ساعت قطع می‌شود. [return]",
        "مراوه‌تپه",
        1,
        expect_status="triage",
        expect_states=("rerouted",),
    ),
    Sample(
        "gas.leak",
        "report",
        "بوی گاز در راه‌پله",
        "در راه‌پله ساختمان بوی گاز شدیدی می‌آید.",
        "گرگان",
        2,
    ),
    Sample(
        "gas.outage",
        "complaint",
        "قطعی گاز محله",
        "گاز محله ما از صبح قطع است و هوا سرد است.",
        "بندر ترکمن",
        3,
    ),
    Sample(
        "gas.meter",
        "request",
        "جابجایی کنتور گاز",
        "برای بازسازی منزل نیاز به جابجایی کنتور گاز داریم.",
        "آزادشهر",
        4,
        channel="app",
    ),
    Sample(  # no agreement routes telecom: an operator triages it
        "telecom.bill",
        "criticism",
        "قبض تلفن غیرعادی",
        "مبلغ قبض تلفن ثابت این دوره سه برابر دوره مشابه سال قبل است.",
        "رامیان",
        5,
        expect_status="triage",
        expect_states=(),
    ),
    Sample(
        "gas.pressure",
        "complaint",
        "افت فشار گاز",
        "شعله بخاری‌ها در شب‌ها بسیار ضعیف می‌شود.",
        "مینودشت",
        0,
    ),
    Sample(
        "water.outage",
        "complaint",
        "قطعی آب در خیابان ولیعصر",
        "از دیشب ساعت ۲۲ آب ساختمان ما قطع است و هیچ اطلاع‌رسانی نشده است. لطفا پیگیری کنید.",
        "گرگان",
        0,
        expect_status="duplicate",
        expect_states=(),
    ),
    Sample(  # the roads administration's system speaks Open311 (GeoReport v2)
        "roads.pothole",
        "report",
        "چاله بزرگ در جاده",
        "در جاده گرگان به آق‌قلا یک چاله بزرگ خطرساز است.",
        "آق‌قلا",
        1,
    ),
    Sample(
        "water.leak",
        "appreciation",
        "تشکر از رسیدگی سریع",
        "از اکیپ اعزامی برای رفع نشت آب در محله ما تشکر می‌کنم.",
        "کلاله",
        2,
    ),
    Sample(
        "wastewater.odor",
        "suggestion",
        "پیشنهاد لایروبی منظم",
        "پیشنهاد می‌شود کانال‌های فاضلاب پیش از فصل باران لایروبی شوند.",
        "بندر گز",
        3,
    ),
    Sample(
        "gas.leak",
        "report",
        "نشت گاز از علمک",
        "از علمک گاز کنار در ورودی صدای نشت گاز می‌آید.",
        "گالیکش",
        4,
    ),
    Sample(
        "water.outage",
        "complaint",
        "قطعی آب بیمارستان",
        "آب بخش اورژانس بیمارستان از ظهر قطع است.",
        "گمیشان",
        5,
    ),
    Sample(
        "power.outage",
        "complaint",
        "قطعی برق محله",
        "برق کوچه ما از ساعت ۱۸ قطع است و یخچال‌ها خاموش شده‌اند.",
        "گرگان",
        0,
    ),
    Sample(
        "power.pole",
        "report",
        "افتادن تیر برق",
        "تیر برق کنار جاده روستا کج شده و سیم‌ها آویزان است.",
        "کلاله",
        2,
    ),
    Sample(
        "power.meter",
        "request",
        "نصب کنتور برق جدید",
        "برای واحد تجاری تازه‌ساز نیاز به انشعاب و کنتور برق داریم.",
        "آزادشهر",
        4,
        channel="web",
    ),
    Sample(
        "municipality.street_light",
        "complaint",
        "خاموشی چراغ‌های خیابان",
        "چراغ‌های روشنایی بلوار ناهارخوران دو شب است خاموش هستند.",
        "گرگان",
        1,
    ),
    Sample(
        "municipality.waste",
        "request",
        "جمع‌آوری نخاله ساختمانی",
        "نخاله‌های ساختمانی در پیاده‌رو خیابان شالیکوبی رها شده است.",
        "گرگان",
        3,
    ),
)
