"""One parsed zeep client per agreement per worker process, and the port it calls.

Parsing a WSDL is slow (hundreds of milliseconds for a real agency's), so a client is built
once per (WSDL location, settings) and shared by every connector instance in the process; the
WSDL and XSD documents themselves are cached on disk in zeep's SqliteCache under
``context.cache_dir``. ``check()`` builds a fresh client past both caches, so an agency that
changed its WSDL is seen as it is now — and replaces the cached one.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import zeep
from zeep.cache import SqliteCache
from zeep.proxy import ServiceProxy
from zeep.wsdl.bindings.soap import Soap11Binding, Soap12Binding, SoapBinding
from zeep.wsdl.definitions import Port
from zeep.wsse.username import UsernameToken

from connectors.soap.transport import HttpxTransport
from hub.core.errors import ConnectorRefused
from hub.core.http import make_client
from hub.plugins.connector import ConnectorContext

DEFAULT_OPERATION_TIMEOUT = 30.0
DEFAULT_WSDL_TIMEOUT = 60.0
DEFAULT_MAX_RESPONSE_BYTES = 2 * 1024 * 1024
WSDL_CACHE_SECONDS = 24 * 3600
BINDINGS = {"1.1": Soap11Binding, "1.2": Soap12Binding}


@dataclass(frozen=True)
class SoapClient:
    """A parsed WSDL and the service proxy bound to the port the agreement names."""

    zeep: zeep.Client
    service: ServiceProxy
    binding: SoapBinding
    transport: HttpxTransport


_clients: dict[tuple[str, str], SoapClient] = {}
# Clients replaced by a fresh parse may still be mid-call in another thread: closed only when
# every client is forgotten, never under a caller's feet.
_retired: list[SoapClient] = []
_lock = threading.Lock()


def wsdl_location(settings: Mapping[str, Any], context: ConnectorContext) -> str:
    """An http(s) URL as given; a file path relative to the agreements' config directory."""
    wsdl = str(settings["wsdl"])
    if wsdl.startswith(("http://", "https://")):
        return wsdl
    path = Path(wsdl.removeprefix("file://"))
    return str(path if path.is_absolute() else context.config_dir / path)


def lenient(settings: Mapping[str, Any]) -> bool:
    """``parsing: lenient``: answers are read whatever the order of their elements and with
    required ones missing (zeep's ``strict=False`` and ``xsd_ignore_sequence_order``), as real
    systems answer (Znuny: alphabetical order; no ``TicketID`` beside an ``Error``). Malformed
    XML is still refused (``transport.HttpxTransport.well_formed_only``)."""
    return settings.get("parsing", "strict") == "lenient"


def settings_key(settings: Mapping[str, Any]) -> str:
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def cached_client(settings: Mapping[str, Any], context: ConnectorContext) -> SoapClient:
    key = (wsdl_location(settings, context), settings_key(settings))
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = build_client(settings, context, disk_cache=True)
        return client


def fresh_client(settings: Mapping[str, Any], context: ConnectorContext) -> SoapClient:
    """A client parsed from the WSDL as the agency serves it now; it replaces the cached one."""
    client = build_client(settings, context, disk_cache=False)
    key = (wsdl_location(settings, context), settings_key(settings))
    with _lock:
        if key in _clients:
            _retired.append(_clients[key])
        _clients[key] = client
    return client


def forget_clients() -> None:
    """Drop every cached client (agreements reloaded; tests)."""
    with _lock:
        for client in [*_clients.values(), *_retired]:
            client.transport.close()
        _clients.clear()
        _retired.clear()


def build_client(
    settings: Mapping[str, Any], context: ConnectorContext, disk_cache: bool
) -> SoapClient:
    transport = _transport(settings, context, disk_cache)
    token = settings.get("auth", {}).get("username_token")
    wsse = None
    if token:
        wsse = UsernameToken(token["username"], token["password"], use_digest=token.get("digest"))
    zeep_settings = zeep.Settings(
        strict=not lenient(settings),
        xsd_ignore_sequence_order=lenient(settings),
        forbid_dtd=True,
        forbid_entities=True,
        forbid_external=True,
    )
    client = zeep.Client(
        wsdl_location(settings, context), wsse=wsse, transport=transport, settings=zeep_settings
    )
    port = select_port(client, settings)
    address = settings.get("endpoint") or port.binding_options.get("address")
    # zeep's Port starts with binding None and sets it when the WSDL is resolved, which
    # zeep.Client has done; the agreement's port is a SOAP one.
    binding = cast(SoapBinding, port.binding)
    service = client.create_service(binding.name.text, address)
    return SoapClient(client, service, binding, transport)


def _transport(
    settings: Mapping[str, Any], context: ConnectorContext, disk_cache: bool
) -> HttpxTransport:
    timeouts = settings.get("timeouts", {})
    operation_timeout = float(timeouts.get("operation", DEFAULT_OPERATION_TIMEOUT))
    basic = settings.get("auth", {}).get("basic")
    http = make_client(
        timeout=httpx.Timeout(operation_timeout, connect=min(operation_timeout, 5.0)),
        headers=dict(settings.get("headers", {})),
        auth=(basic["username"], basic["password"]) if basic else None,
    )
    cache = None
    if disk_cache:
        context.cache_dir.mkdir(parents=True, exist_ok=True)
        path = context.cache_dir / "zeep-wsdl.sqlite"
        cache = SqliteCache(path=str(path), timeout=WSDL_CACHE_SECONDS)
    return HttpxTransport(
        http,
        operation_timeout=operation_timeout,
        load_timeout=float(timeouts.get("wsdl", DEFAULT_WSDL_TIMEOUT)),
        max_bytes=int(settings.get("max_response_bytes", DEFAULT_MAX_RESPONSE_BYTES)),
        cache=cache,
        well_formed_only=lenient(settings),
    )


def select_port(client: zeep.Client, settings: Mapping[str, Any]) -> Port:
    """The named port, or the first of the SOAP version asked for (in the named service)."""
    services = client.wsdl.services
    service_name = settings.get("service")
    if service_name and service_name not in services:
        raise ConnectorRefused(
            f"the WSDL has no service {service_name!r}; it has {', '.join(services) or 'none'}"
        )
    candidates = [services[service_name]] if service_name else list(services.values())
    version = str(settings.get("soap_version", "1.1"))
    port_name = settings.get("port")
    for service in candidates:
        for name, port in service.ports.items():
            if name == port_name or (not port_name and isinstance(port.binding, BINDINGS[version])):
                return port
    wanted = f"port {port_name!r}" if port_name else f"SOAP {version} port"
    raise ConnectorRefused(f"the WSDL has no {wanted}")
