"""Znuny's SOAP on the wire: requests read as its deserializer reads them, answers written as its
serializer writes them.

- A request's operation element becomes nested data: children by local name (namespaces are
  ignored, as Znuny ignores them), a repeated child a list, a leaf its text.
- An answer's wrapper (``TicketCreateResponse``) carries the namespace as a default ``xmlns``, so
  its children are qualified although the WSDL declares them unqualified; a hash's keys are
  written in **alphabetical order** (Znuny's default when its web service has no "Sort"), not in
  the order of the WSDL's sequences — ``order="wsdl"`` plays a Znuny whose admin configured one.
- Errors of the transport (an unknown operation, a SOAPAction that does not match) are SOAP
  faults with HTTP 500 and faultcode ``Server``; errors of an operation are not faults at all:
  an ``Error`` element in an HTTP 200 answer (``operations.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from lxml import etree

from hub.sandbox.soap.envelopes import SOAP11, EnvelopeError, parse

NAMESPACE = "http://www.otrs.org/TicketConnector/"
CONTENT_TYPE = "text/xml; charset=UTF-8"
ENCODING = "http://schemas.xmlsoap.org/soap/encoding/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
Order = Literal["alphabetical", "wsdl"]

# The sequences of config/wsdl/znuny-generic-ticket-connector.wsdl, by element name: what a
# Znuny whose web service is given that "Sort" writes first.
WSDL_ORDER: dict[str, tuple[str, ...]] = {
    "SessionCreateResponse": ("SessionID", "Error"),
    "TicketCreateResponse": ("TicketID", "TicketNumber", "ArticleID", "Error"),
    "TicketUpdateResponse": ("TicketID", "TicketNumber", "ArticleID", "Error"),
    "TicketSearchResponse": ("TicketID", "Error"),
    "TicketGetResponse": ("Ticket", "Error"),
    "Error": ("ErrorCode", "ErrorMessage"),
    "DynamicField": ("Name", "Value"),
    "Ticket": (
        "TicketID", "TicketNumber", "Title", "State", "StateID", "StateType", "Queue", "QueueID",
        "Priority", "PriorityID", "Type", "TypeID", "Lock", "LockID", "Owner", "OwnerID",
        "Responsible", "ResponsibleID", "GroupID", "CustomerUserID", "CustomerID", "Age",
        "Created", "CreateBy", "Changed", "ChangeBy", "Closed", "ArchiveFlag", "UntilTime",
        "DynamicField", "Article",
    ),
    "Article": (
        "ArticleID", "ArticleNumber", "TicketID", "SenderType", "SenderTypeID",
        "CommunicationChannel", "IsVisibleForCustomer", "From", "To", "Subject", "Body",
        "ContentType", "MimeType", "Charset", "CreateTime", "IncomingTime", "ChangeTime",
    ),
}  # fmt: skip

__all__ = ["EnvelopeError", "fault", "parse", "serialize", "to_data"]


def to_data(element: etree._Element) -> dict[str, Any]:
    """The children of ``element`` as Znuny's deserializer gives them to an operation."""
    data: dict[str, Any] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        value: Any = to_data(child) if len(child) else (child.text or "")
        if name in data:
            previous = data[name]
            data[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            data[name] = value
    return data


def _keys(name: str, data: Mapping[str, Any], order: Order) -> list[str]:
    first = [key for key in WSDL_ORDER.get(name, ()) if key in data] if order == "wsdl" else []
    return [*first, *sorted(key for key in data if key not in first)]


def _write(parent: etree._Element, name: str, value: Any, order: Order) -> None:
    if isinstance(value, Sequence) and not isinstance(value, str):
        for item in value:
            _write(parent, name, item, order)
        return
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{name}")
    if isinstance(value, Mapping):
        for key in _keys(name, value, order):
            _write(element, key, value[key], order)
    elif value is not None:
        element.text = str(value)


def serialize(response: str, data: Mapping[str, Any], order: Order = "alphabetical") -> bytes:
    envelope = etree.Element(
        f"{{{SOAP11}}}Envelope",
        nsmap={"soap": SOAP11, "soapenc": ENCODING, "xsd": XSD, "xsi": XSI},
    )
    envelope.set(f"{{{SOAP11}}}encodingStyle", ENCODING)
    body = etree.SubElement(envelope, f"{{{SOAP11}}}Body")
    wrapper = etree.SubElement(body, f"{{{NAMESPACE}}}{response}", nsmap={None: NAMESPACE})
    for key in _keys(response, data, order):
        _write(wrapper, key, data[key], order)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def fault(message: str) -> bytes:
    envelope = etree.Element(f"{{{SOAP11}}}Envelope", nsmap={"soap": SOAP11})
    fault_element = etree.SubElement(
        etree.SubElement(envelope, f"{{{SOAP11}}}Body"), f"{{{SOAP11}}}Fault"
    )
    etree.SubElement(fault_element, "faultcode").text = "Server"
    etree.SubElement(fault_element, "faultstring").text = message
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
