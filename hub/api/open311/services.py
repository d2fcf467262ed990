"""The services the facade offers: one per category the agreements route, with its agency.

A service's code is the hub's category key itself (``water.leak``), so a request filed for it is
routed exactly as the same category filed on ``/v1``. Its ``group`` is the agency routing picks
for it; where agreements cover only some counties, the service lists those counties and a
request must name one of them. Every service asks for the fields the shared schema needs that
GeoReport v2 has no parameter for (the citizen's national id, the county, the kind of request):
those are its ``attributes``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hub.agreements.categories import kinds_of, names_of
from hub.agreements.model import Agreement
from hub.agreements.registry import AgreementRegistry
from hub.api.open311.errors import not_found
from hub.intake.routing import route
from hub.intake.schema import request_schema

_CATEGORY = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")  # as schemas/request.schema.json says
DEFAULT_TYPE = "request"


@dataclass(frozen=True)
class Service:
    code: str  # the hub's category
    name_fa: str
    name_en: str
    agencies: tuple[Agreement, ...]  # who routing refers it to
    counties: tuple[str, ...]  # only these (empty: every county)

    @property
    def name(self) -> str:
        return f"{self.name_fa} / {self.name_en}"

    @property
    def group(self) -> str:
        return " | ".join(agency_name(a) for a in self.agencies)


def agency_name(agreement: Agreement) -> str:
    return f"{agreement.name_fa} / {agreement.name_en}"


def _categories(agreements: list[Agreement]) -> list[str]:
    found: dict[str, None] = {}
    for agreement in agreements:
        for way in agreement.routes:
            for pattern in way.categories:
                if pattern.endswith(".*"):
                    found.update(dict.fromkeys(kinds_of(pattern[:-2])))
                elif _CATEGORY.match(pattern):
                    found[pattern] = None
    return sorted(found)


def _service(agreements: list[Agreement], category: str) -> Service | None:
    everywhere = route(agreements, category, "")  # routes limited to counties skip "no county"
    counties: tuple[str, ...] = ()
    agencies = list(everywhere)
    if not everywhere:
        limited = sorted(
            {c for a in agreements if a.enabled for way in a.routes for c in way.counties}
        )
        counties = tuple(c for c in limited if route(agreements, category, c))
        for county in counties:
            agencies += [a for a in route(agreements, category, county) if a not in agencies]
    if not agencies:
        return None
    name_fa, name_en = names_of(category)
    return Service(category, name_fa, name_en, tuple(agencies), counties)


def services(registry: AgreementRegistry) -> list[Service]:
    agreements = [a for a in registry.all() if a.enabled]
    found = (_service(agreements, c) for c in _categories(agreements))
    return [s for s in found if s is not None]


def find_service(registry: AgreementRegistry, code: str) -> Service:
    for service in services(registry):
        if service.code == code:
            return service
    raise not_found(f"service_code {code[:80]!r} was not found: GET services lists them")


def service_entry(service: Service) -> dict[str, Any]:
    """The service as ``GET services`` lists it."""
    where = f" Only in: {'، '.join(service.counties)}." if service.counties else ""
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": f"{service.name_fa} — {service.name_en}. Referred to {service.group}."
        + where,
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join([service.code, service.name_fa, service.name_en]),
        "group": service.group,
    }


def _request_types() -> list[dict[str, str]]:
    kind = request_schema()["properties"]["type"]
    labels = kind.get("x-labels-fa", {})
    return [{"key": k, "name": f"{labels.get(k, k)} / {k}"} for k in kind["enum"]]


def definition(service: Service) -> dict[str, Any]:
    """``GET services/{code}``: the attributes a request for this service takes."""
    county: dict[str, Any] = {
        "variable": True,
        "code": "county",
        "datatype": "singlevaluelist" if service.counties else "string",
        "required": True,
        "datatype_description": "شهرستان، مانند گرگان / the county (shahrestan), e.g. گرگان",
        "order": 2,
        "description": "شهرستان محل درخواست / The county the request is about",
    }
    if service.counties:
        county["values"] = [{"key": c, "name": c} for c in service.counties]
    return {
        "service_code": service.code,
        "attributes": [
            {
                "variable": True,
                "code": "national_id",
                "datatype": "string",
                "required": True,
                "datatype_description": "۱۰ رقم / 10 digits, in any script",
                "order": 1,
                "description": "کد ملی شهروند / The citizen's national id (kod-e melli)",
            },
            county,
            {
                "variable": True,
                "code": "request_type",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": f"default: {DEFAULT_TYPE}",
                "order": 3,
                "description": "نوع درخواست / What kind of request this is",
                "values": _request_types(),
            },
        ],
    }
