"""The services the Open311 sandbox offers: a roads administration's, with their attributes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SandboxAttribute:
    code: str
    description: str
    datatype: str = "string"  # string, number, datetime, text, singlevaluelist, multivaluelist
    required: bool = False
    values: tuple[tuple[str, str], ...] = ()  # (key, name) of a value list
    variable: bool = True

    def definition(self, order: int) -> dict[str, Any]:
        document: dict[str, Any] = {
            "variable": self.variable,
            "code": self.code,
            "datatype": self.datatype,
            "required": self.required,
            "datatype_description": None,
            "order": order,
            "description": self.description,
        }
        if self.values:
            document["values"] = [{"key": key, "name": name} for key, name in self.values]
        return document


@dataclass(frozen=True)
class SandboxService:
    code: str
    name: str
    description: str
    group: str
    keywords: str = ""
    attributes: tuple[SandboxAttribute, ...] = ()

    def listing(self) -> dict[str, Any]:
        return {
            "service_code": self.code,
            "service_name": self.name,
            "description": self.description,
            "metadata": bool(self.attributes),
            "type": "realtime",
            "keywords": self.keywords,
            "group": self.group,
        }

    def definition(self) -> dict[str, Any]:
        return {
            "service_code": self.code,
            "attributes": [a.definition(n) for n, a in enumerate(self.attributes, 1)],
        }


REFERENCE = SandboxAttribute("samad_reference", "شماره ارجاع سامانه ۱۱۱")
ROADS_SERVICES: tuple[SandboxService, ...] = (
    SandboxService(
        "RD-POTHOLE",
        "چاله و خرابی آسفالت",
        "Potholes and broken asphalt on roads outside cities",
        "راهداری",
        "pothole, asphalt",
        (
            REFERENCE,
            SandboxAttribute(
                "lane_blocked",
                "آیا خرابی مسیر را بسته است؟",
                "singlevaluelist",
                required=True,
                values=(("yes", "بله"), ("no", "خیر")),
            ),
        ),
    ),
    SandboxService(
        "RD-SIGN",
        "تابلو و علائم راه",
        "Missing or damaged road signs",
        "راهداری",
        "sign",
        (REFERENCE,),
    ),
    SandboxService(
        "RD-OTHER",
        "سایر موارد راه",
        "Anything else about roads outside cities",
        "راهداری",
        attributes=(REFERENCE,),
    ),
)
