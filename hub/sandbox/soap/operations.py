"""The registry's three SOAP operations: RegisterCase, GetCaseStatus, GetCaseStatuses.

Each takes the operation element of a request and returns the response element (document/
literal wrapped, as the WSDL says). Input the registry cannot accept raises ``BadRequest``,
which the app turns into a Client fault — as the real system would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from lxml import etree

from hub.sandbox.soap.envelopes import TNS, to_dict
from hub.sandbox.soap.registry import CaseRegistry, StatusReport, UnknownCase

# The WSDL variants the sandbox can publish; "renamed" is the registry after an upgrade that
# renamed the subscriber's mobile field, to show an agreement check catching the break.
PHONE_FIELD = {"v1": "Mobile", "renamed": "CellPhone"}
REQUIRED = ("RequestKey", "Subject", "Description", "Subscriber", "Location")


class BadRequest(ValueError):
    """The request is well-formed SOAP but the registry cannot accept it."""


def _el(parent: etree._Element, name: str, text: object) -> etree._Element:
    child = etree.SubElement(parent, f"{{{TNS}}}{name}")
    child.text = text.isoformat() if isinstance(text, datetime) else str(text)
    return child


def register_case(registry: CaseRegistry, request: etree._Element, variant: str) -> etree._Element:
    fields = to_dict(request)
    missing = [name for name in REQUIRED if not fields.get(name)]
    subscriber = fields.get("Subscriber") or {}
    phone_field = PHONE_FIELD[variant]
    if isinstance(subscriber, dict) and not subscriber.get(phone_field):
        missing.append(f"Subscriber/{phone_field}")
    if missing:
        raise BadRequest(f"فیلدهای الزامی خالی است: {', '.join(missing)}")
    case, _replay = registry.register(str(fields["RequestKey"]), fields)
    response = etree.Element(f"{{{TNS}}}RegisterCaseResponse")
    receipt = etree.SubElement(response, f"{{{TNS}}}Receipt")
    _el(receipt, "CaseNumber", case.number)
    _el(receipt, "RegisteredAt", case.registered_at)
    _el(receipt, "StatusCode", registry.status(case.number).code)
    return response


def _status_element(parent: etree._Element, report: StatusReport) -> None:
    status = etree.SubElement(parent, f"{{{TNS}}}CaseStatus")
    _el(status, "CaseNumber", report.number)
    _el(status, "StatusCode", report.code)
    _el(status, "StatusTitle", report.title)
    _el(status, "ChangedAt", report.changed_at)
    if report.result:
        _el(status, "Result", report.result)


def get_case_status(
    registry: CaseRegistry, request: etree._Element, variant: str
) -> etree._Element:
    number = request.findtext(f"{{{TNS}}}CaseNumber") or ""
    try:
        report = registry.status(number)
    except UnknownCase as exc:
        raise BadRequest(f"پرونده‌ای با شماره {number} یافت نشد") from exc
    response = etree.Element(f"{{{TNS}}}GetCaseStatusResponse")
    _status_element(response, report)
    return response


def get_case_statuses(
    registry: CaseRegistry, request: etree._Element, variant: str
) -> etree._Element:
    """Unknown case numbers are left out of the answer, as the legacy system does."""
    numbers = [
        el.text or "" for el in request.iterfind(f"{{{TNS}}}CaseNumbers/{{{TNS}}}CaseNumber")
    ]
    response = etree.Element(f"{{{TNS}}}GetCaseStatusesResponse")
    for number in numbers:
        try:
            _status_element(response, registry.status(number))
        except UnknownCase:
            continue
    return response


Operation = Callable[[CaseRegistry, etree._Element, str], etree._Element]

OPERATIONS: dict[str, Operation] = {
    "RegisterCase": register_case,
    "GetCaseStatus": get_case_status,
    "GetCaseStatuses": get_case_statuses,
}
