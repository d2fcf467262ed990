"""Persian and English names of the categories (the kartabl, the Open311 facade's services).

Agreements route by category keys (``water.*``, ``roads.pothole``) and carry no names for them,
so the names an Open311 client shows live here, one catalogue. A key missing from it is named by
the key itself; a branch routed whole (``water.*``) is offered as its known kinds plus
``<branch>.other``.
"""

from __future__ import annotations

Names = tuple[str, str]  # (Persian, English)

BRANCHES: dict[str, Names] = {
    "water": ("آب", "Water"),
    "wastewater": ("فاضلاب", "Wastewater"),
    "power": ("برق", "Electricity"),
    "gas": ("گاز", "Gas"),
    "municipality": ("امور شهری", "Municipal services"),
    "roads": ("راه‌ها", "Roads"),
}

KINDS: dict[str, dict[str, Names]] = {
    "water": {
        "outage": ("قطعی آب", "Water outage"),
        "leak": ("نشت آب", "Water leak"),
        "quality": ("کیفیت آب", "Water quality"),
        "pressure": ("افت فشار آب", "Low water pressure"),
        "meter": ("کنتور آب", "Water meter"),
    },
    "wastewater": {
        "blockage": ("گرفتگی فاضلاب", "Sewer blockage"),
        "odor": ("بوی فاضلاب", "Sewer odour"),
    },
    "power": {
        "outage": ("قطعی برق", "Power outage"),
        "pole": ("تیر برق آسیب‌دیده", "Damaged power pole"),
        "meter": ("کنتور برق", "Electricity meter"),
    },
    "gas": {
        "leak": ("نشت گاز", "Gas leak"),
        "outage": ("قطعی گاز", "Gas outage"),
        "pressure": ("افت فشار گاز", "Low gas pressure"),
        "meter": ("کنتور گاز", "Gas meter"),
    },
    "municipality": {
        "waste": ("جمع‌آوری زباله", "Waste collection"),
        "street_light": ("روشنایی معابر", "Street lighting"),
    },
    "roads": {"pothole": ("چاله در معبر", "Pothole")},
}

OTHER = "other"


def kinds_of(branch: str) -> list[str]:
    """The categories a branch routed whole is offered as: its known kinds, then ``.other``."""
    return [f"{branch}.{kind}" for kind in KINDS.get(branch, {})] + [f"{branch}.{OTHER}"]


def names_of(category: str) -> Names:
    """A category's Persian and English names; the key itself where the catalogue has none."""
    branch, _, kind = category.rpartition(".")
    known = KINDS.get(branch, {}).get(kind)
    if known:
        return known
    fa, en = BRANCHES.get(branch, (branch, branch))
    if kind == OTHER:
        return f"سایر موارد {fa}", f"{en}: other"
    return f"{fa}: {kind}", f"{en}: {kind}"
