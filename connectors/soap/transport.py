"""zeep's HTTP, carried by the hub's own httpx client and guarded against hostile answers.

zeep only needs ``load`` (WSDL/XSD documents), ``post_xml``/``post`` and ``get`` from a
transport, and reads ``status_code``, ``headers`` and ``content`` from what they return — an
``httpx.Response`` has all three, so every SOAP call goes through ``hub.core.http.make_client`` with
its timeouts like the rest of the hub.

Answers are read as a stream and refused past ``max_bytes`` (after content decoding, so a gzip
bomb is caught too). An HTML page where an envelope was expected is refused here with the page
kept for the admin; XML-level attacks (DTDs, entities) are refused by zeep's parser settings.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlparse

import httpx
from lxml import etree
from zeep import exceptions as zeep_errors
from zeep.cache import Base as CacheBase
from zeep.utils import get_media_type
from zeep.wsdl.utils import etree_to_string

from hub.core.errors import ConnectorError

DETAIL_CHARS = 2000
_DROPPED_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


class ResponseTooLarge(ConnectorError):
    def __init__(self, url: str, limit: int) -> None:
        super().__init__(
            f"the agency's answer from {url} is larger than {limit} bytes and was refused",
            permanent=True,
            detail={"url": url, "max_response_bytes": limit},
        )


def kept_body(content: bytes) -> str:
    """The start of a body, as text, for an admin to read in an error's detail."""
    return content[:DETAIL_CHARS].decode("utf-8", errors="replace")


# The HTTP status of the last SOAP POST this thread sent and got an answer to (None: none yet).
# An answer that then cannot be read means the agency handled the call: see faults.agency_errors.
last_answer: ContextVar[int | None] = ContextVar("soap_last_answer", default=None)
# Whether this thread's last SOAP POST went out (the agency may have it even without an answer).
last_sent: ContextVar[bool] = ContextVar("soap_last_sent", default=False)


class HttpxTransport:
    def __init__(
        self,
        http: httpx.Client,
        operation_timeout: float,
        load_timeout: float,
        max_bytes: int,
        cache: CacheBase | None = None,
        well_formed_only: bool = False,
    ) -> None:
        self.http = http
        self.operation_timeout = operation_timeout
        self.load_timeout = load_timeout
        self.max_bytes = max_bytes
        self.cache = cache
        # zeep's lenient parsing (strict=False) also makes lxml "recover" broken XML: an answer
        # cut off mid-way would be read as far as it goes. Refused here instead, as strict zeep
        # refuses it.
        self.well_formed_only = well_formed_only

    def load(self, url: str) -> bytes:
        """A WSDL or XSD document: from the disk cache, the network or a local file."""
        if not url:
            raise ValueError("No url given to load")
        if urlparse(url).scheme not in ("http", "https"):
            with open(os.path.expanduser(url.removeprefix("file://")), "rb") as document:
                return document.read()
        if self.cache is not None:
            cached = self.cache.get(url)
            if cached:
                return bytes(cached)
        response = self._send("GET", url, self.load_timeout)
        response.raise_for_status()
        if self.cache is not None:
            self.cache.add(url, response.content)
        return response.content

    def post_xml(self, address: str, envelope: etree._Element, headers: dict[str, str]) -> Any:
        return self.post(address, etree_to_string(envelope), headers)

    def post(self, address: str, message: bytes, headers: dict[str, str]) -> httpx.Response:
        last_sent.set(False)
        last_answer.set(None)
        response = self._send(
            "POST", address, self.operation_timeout, content=message, headers=headers, post=True
        )
        last_answer.set(response.status_code)
        _refuse_html(address, response)
        if self.well_formed_only:
            _refuse_malformed(response)
        return response

    def get(self, address: str, params: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        return self._send("GET", address, self.operation_timeout, params=params, headers=headers)

    def close(self) -> None:
        self.http.close()

    def _send(
        self, method: str, url: str, timeout: float, post: bool = False, **kwargs: Any
    ) -> httpx.Response:
        request = self.http.build_request(method, url, timeout=timeout, **kwargs)
        try:
            response = self.http.send(request, stream=True)
        except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.ReadError, httpx.WriteError):
            last_sent.set(post)  # it went out (in part or whole): the agency may have it
            raise
        except httpx.RemoteProtocolError:
            last_sent.set(post)
            raise
        last_sent.set(post)
        try:
            body = self._read_capped(url, response)
        finally:
            response.close()
        headers = [(k, v) for k, v in response.headers.multi_items() if k not in _DROPPED_HEADERS]
        return httpx.Response(response.status_code, headers=headers, content=body, request=request)

    def _read_capped(self, url: str, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise ResponseTooLarge(url, self.max_bytes)
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > self.max_bytes:
                raise ResponseTooLarge(url, self.max_bytes)
        return bytes(body)


def _refuse_malformed(response: httpx.Response) -> None:
    if not response.content:
        return
    # A parser per answer: lxml parsers must not be shared between threads.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        etree.fromstring(response.content, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise zeep_errors.XMLSyntaxError(
            f"the answer is not well-formed XML: {exc}", content=response.content
        ) from exc


def _refuse_html(url: str, response: httpx.Response) -> None:
    media_type = get_media_type(response.headers.get("content-type", "text/xml"))
    if media_type not in ("text/html", "application/xhtml+xml"):
        return
    status = response.status_code
    raise ConnectorError(
        f"the agency answered HTTP {status} with an HTML page instead of a SOAP envelope",
        permanent=400 <= status < 500 and status not in (408, 429),
        detail={
            "url": url,
            "status_code": status,
            "content_type": response.headers.get("content-type"),
            "body": kept_body(response.content),
        },
    )
