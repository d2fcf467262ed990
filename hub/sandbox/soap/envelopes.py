"""Reading and writing SOAP envelopes (1.1 and 1.2) with lxml, safely.

The parser refuses DTDs outright, never resolves entities and never touches the network: the
sandbox is a server on a socket like any other, and must not be an XXE target itself.
WS-Security UsernameToken (PasswordText or PasswordDigest) is checked here too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from lxml import etree

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
CONTENT_TYPES = {SOAP11: "text/xml; charset=utf-8", SOAP12: "application/soap+xml; charset=utf-8"}
TNS = "urn:golestan-power:case-registry:v1"

WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
PASSWORD_DIGEST = "#PasswordDigest"

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True, huge_tree=False
)


class EnvelopeError(ValueError):
    """The request is not a SOAP envelope the registry can read: a client fault."""


class AuthenticationFailed(ValueError):
    """The WS-Security UsernameToken is missing or wrong."""


@dataclass(frozen=True)
class Envelope:
    soap_ns: str
    header: etree._Element | None
    operation: etree._Element

    @property
    def operation_name(self) -> str:
        return etree.QName(self.operation).localname


def parse(body: bytes) -> Envelope:
    try:
        root = etree.fromstring(body, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise EnvelopeError(f"the request is not well-formed XML: {exc}") from exc
    if root.getroottree().docinfo.doctype:
        raise EnvelopeError("DTDs are not accepted")
    soap_ns = etree.QName(root).namespace
    if etree.QName(root).localname != "Envelope" or soap_ns not in CONTENT_TYPES:
        raise EnvelopeError("the request is not a SOAP 1.1 or 1.2 envelope")
    body_el = root.find(f"{{{soap_ns}}}Body")
    if body_el is None or len(body_el) == 0:
        raise EnvelopeError("the SOAP envelope has an empty body")
    return Envelope(soap_ns, root.find(f"{{{soap_ns}}}Header"), body_el[0])


def serialize(soap_ns: str, payload: etree._Element) -> bytes:
    envelope = etree.Element(f"{{{soap_ns}}}Envelope", nsmap={"soap": soap_ns, "tns": TNS})
    etree.SubElement(envelope, f"{{{soap_ns}}}Body").append(payload)
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def fault(soap_ns: str, code: str, message: str) -> bytes:
    """A fault; ``code`` is "Client" or "Server" (mapped to Sender/Receiver in SOAP 1.2),
    or a qualified WS-Security code such as ``wsse:FailedAuthentication``."""
    envelope = etree.Element(f"{{{soap_ns}}}Envelope", nsmap={"soap": soap_ns, "wsse": WSSE})
    fault_el = etree.SubElement(
        etree.SubElement(envelope, f"{{{soap_ns}}}Body"), f"{{{soap_ns}}}Fault"
    )
    qualified = code if ":" in code else f"soap:{code}"
    if soap_ns == SOAP11:
        etree.SubElement(fault_el, "faultcode").text = qualified
        etree.SubElement(fault_el, "faultstring").text = message
    else:
        code_el = etree.SubElement(fault_el, f"{{{soap_ns}}}Code")
        top = {"Client": "soap:Sender", "Server": "soap:Receiver"}.get(code, "soap:Sender")
        etree.SubElement(code_el, f"{{{soap_ns}}}Value").text = top
        if ":" in code:
            subcode = etree.SubElement(code_el, f"{{{soap_ns}}}Subcode")
            etree.SubElement(subcode, f"{{{soap_ns}}}Value").text = code
        reason = etree.SubElement(fault_el, f"{{{soap_ns}}}Reason")
        text = etree.SubElement(reason, f"{{{soap_ns}}}Text")
        text.set("{http://www.w3.org/XML/1998/namespace}lang", "fa")
        text.text = message
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def to_dict(element: etree._Element) -> dict[str, Any]:
    """Children by local name: text for leaves, dicts for complex children."""
    result: dict[str, Any] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        result[name] = to_dict(child) if len(child) else (child.text or "")
    return result


def check_username_token(header: etree._Element | None, users: dict[str, str]) -> str:
    """The authenticated user name, or AuthenticationFailed."""
    token = None if header is None else header.find(f"{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
    if token is None:
        raise AuthenticationFailed("a WS-Security UsernameToken is required")
    username = token.findtext(f"{{{WSSE}}}Username") or ""
    password_el = token.find(f"{{{WSSE}}}Password")
    expected = users.get(username)
    if expected is None or password_el is None:
        raise AuthenticationFailed("unknown user or no password")
    given = (password_el.text or "").strip()
    if password_el.get("Type", "").endswith(PASSWORD_DIGEST):
        nonce = base64.b64decode(token.findtext(f"{{{WSSE}}}Nonce") or "")
        created = (token.findtext(f"{{{WSU}}}Created") or "").encode()
        digest = hashlib.sha1(nonce + created + expected.encode()).digest()
        expected = base64.b64encode(digest).decode()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise AuthenticationFailed("the password is wrong")
    return username
