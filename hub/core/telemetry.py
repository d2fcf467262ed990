"""OpenTelemetry traces: one trace per citizen request, from the API to the agency's system.

Off unless the standard variables ask for it: ``OTEL_TRACES_EXPORTER`` (``otlp`` or
``console``) or an OTLP endpoint (``OTEL_EXPORTER_OTLP_ENDPOINT``,
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``); ``OTEL_SDK_DISABLED=true`` turns it off whatever else is
set. The packages come with the ``telemetry`` extra (``pip install 'samad-hub[telemetry]'``);
without them the hub runs untraced and says so once.

What is traced, with the maintained instrumentations: every API call (FastAPI), every Celery
task and its sending (Celery: the sender's context travels in the message), every outbound
HTTP call (httpx: the REST and SOAP pushes and polls, the SMS gateway) and every SQL statement
(SQLAlchemy, statements without their parameters).

Deliveries are batches: one task pushes the referrals of many requests. So the intake keeps its
trace's context with each referral (``referrals.trace_parent``, a W3C ``traceparent``) and the
push of a referral runs in a span that continues *that* trace: the citizen's request, its
intake and the call into the agency's system are one trace. A poll of many referrals is a span
linked to each of their traces.

Attributes name the tracking code, the referral's reference and the agreement — never a national
id or a mobile: URLs are recorded without their query and with secret-looking path segments (an
SMS gateway's key) and every national id or mobile masked (``mask`` given to :func:`setup`).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger(__name__)
_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
_URL_KEYS = ("http.url", "url.full", "http.target")
_SECRET_SEGMENT = re.compile(r"^(?=.*[0-9])(?=.*[A-Za-z])[A-Za-z0-9_\-=+]{20,}$")
_state: dict[str, Any] = {"active": False, "mask": None, "provider": None}


def wanted(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the ``OTEL_*`` variables ask for traces."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none":
        return False
    return bool(exporter) or any(env.get(name) for name in _ENDPOINTS)


def active() -> bool:
    return bool(_state["active"])


def setup(
    service: str,
    *,
    mask: Callable[[str], str] | None = None,
    exporter: Any = None,
) -> bool:
    """Trace this process as ``service`` (``OTEL_SERVICE_NAME`` wins) if the variables ask for
    it, or with the given span ``exporter`` (tests). True when traces are on. Safe to call again:
    a process forked from a traced one keeps its parent's (the SDK's batch processor restarts
    its thread after a fork)."""
    if _state["active"]:
        return True
    if exporter is None and not wanted():
        return False
    try:
        from opentelemetry import trace
        from opentelemetry.instrumentation.celery import CeleryInstrumentor
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    except ImportError as exc:
        log.warning("OTEL_* asks for traces but %s is not installed: samad-hub[telemetry]", exc)
        return False
    name = os.environ.get("OTEL_SERVICE_NAME") or service
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        provider.add_span_processor(BatchSpanProcessor(_exporter_from_environment()))
    trace.set_tracer_provider(provider)
    _state.update(active=True, mask=mask, provider=provider)
    for instrumentor, options in (
        (HTTPXClientInstrumentor(), {"request_hook": _scrub_client_span}),
        (CeleryInstrumentor(), {}),
        # Its release declares SQLAlchemy < 2.1 and would instrument nothing under the 2.1 the
        # hub uses; the engine hooks it relies on are unchanged in 2.1 (tests/core/
        # test_telemetry.py sees the SQL spans), so its version check is skipped.
        (SQLAlchemyInstrumentor(), {"enable_commenter": False, "skip_dep_check": True}),
    ):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=provider, **options)
    log.info("traces on, as service %s", name)
    return True


def _exporter_from_environment() -> Any:
    kind = os.environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() or "otlp"
    if kind == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()  # reads OTEL_EXPORTER_OTLP_* itself


def instrument_app(app: Any) -> None:
    """Trace every call into this FastAPI app (when traces are on)."""
    if not active():
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app,
        server_request_hook=_scrub_server_span,
        tracer_provider=_state["provider"],
        exclude_spans=["receive", "send"],
    )


def shutdown() -> None:
    """Send what is buffered (a process about to end)."""
    provider = _state.get("provider")
    if provider is not None:
        provider.force_flush()


# --- what spans may say ------------------------------------------------------------------------


def clean_url(url: str) -> str:
    """A URL fit for a span: no query, no fragment, no user info, secret-looking path segments
    replaced, every national id and mobile masked."""
    parts = urlsplit(url)
    segments = ["{secret}" if _SECRET_SEGMENT.match(s) else s for s in parts.path.split("/")]
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    cleaned = urlunsplit((parts.scheme, host, "/".join(segments), "", ""))
    mask = _state.get("mask")
    return mask(cleaned) if mask else cleaned


def _scrub(span: Any) -> None:
    attributes = getattr(span, "attributes", None) or {}
    for key in _URL_KEYS:
        value = attributes.get(key)
        if isinstance(value, str):
            span.set_attribute(key, clean_url(value))
    if attributes.get("url.query"):
        span.set_attribute("url.query", "")


def _scrub_server_span(span: Any, scope: Mapping[str, Any]) -> None:
    if span is not None and span.is_recording():
        _scrub(span)


def _scrub_client_span(span: Any, request: Any) -> None:
    if span is not None and span.is_recording():
        _scrub(span)
        span.set_attribute("url.full", clean_url(str(request.url)))


# --- the referral's own trace ------------------------------------------------------------------


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the span now running (None: traces off, or no span)."""
    if not active():
        return None
    from opentelemetry.propagate import inject

    carrier: dict[str, str] = {}
    inject(carrier)
    return carrier.get("traceparent")


def annotate(**attributes: str | int | None) -> None:
    """Name the request on the span now running: ``samad.<key>`` attributes."""
    if not active():
        return
    from opentelemetry import trace

    span = trace.get_current_span()
    for key, value in attributes.items():
        if value is not None:
            span.set_attribute(f"samad.{key}", value)


def continued_span(name: str, traceparent: str | None, **attributes: str | int | None) -> Any:
    """A span continuing the trace of ``traceparent`` (a referral's), as a context manager; a
    no-op when traces are off."""
    if not active():
        return nullcontext()
    return _continued(name, traceparent, attributes)


@contextmanager
def _continued(
    name: str, traceparent: str | None, attributes: Mapping[str, str | int | None]
) -> Iterator[Any]:
    from opentelemetry import trace
    from opentelemetry.propagate import extract

    context = extract({"traceparent": traceparent}) if traceparent else None
    tracer = trace.get_tracer("samad-hub")
    values = {f"samad.{k}": v for k, v in attributes.items() if v is not None}
    with tracer.start_as_current_span(name, context=context, attributes=values) as span:
        yield span


def linked_span(name: str, traceparents: Sequence[str | None], **attributes: str | int) -> Any:
    """A span of its own linked to each of these traces (a poll of many referrals)."""
    if not active():
        return nullcontext()
    from opentelemetry import trace
    from opentelemetry.propagate import extract
    from opentelemetry.trace import Link

    links = []
    for traceparent in traceparents:
        if traceparent:
            context = trace.get_current_span(extract({"traceparent": traceparent}))
            links.append(Link(context.get_span_context()))
    tracer = trace.get_tracer("samad-hub")
    values = {f"samad.{k}": v for k, v in attributes.items()}
    return tracer.start_as_current_span(name, links=links, attributes=values)
