"""How every process of the hub logs: one format, the request id on every line.

``configure(level)`` is called once by the CLI. Lines are text by default::

    2026-12-06 21:30:02,118 INFO [4f0c…] hub.api.access: POST /v1/requests 201 38.2 ms

and JSON lines with ``SAMAD_LOG_FORMAT=json`` (python-json-logger), for a log shipper. The
request id is the one the API gave the HTTP request (``X-Request-ID``, asgi-correlation-id),
so the access line, any warning and the traceback of a 5xx of one request share it, and the
problem+json body of an error carries it too; outside a request it is ``-``.
"""

from __future__ import annotations

import logging
import sys

from asgi_correlation_id import CorrelationIdFilter, correlation_id
from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"


class RequestIdFilter(CorrelationIdFilter):
    """asgi-correlation-id's filter under the name this project's log lines use."""

    def filter(self, record: logging.LogRecord) -> bool:
        super().filter(record)
        record.request_id = getattr(record, "correlation_id", None) or "-"
        return True


def request_id() -> str | None:
    """The id of the HTTP request being answered, if any."""
    return correlation_id.get()


def formatter(kind: str) -> logging.Formatter:
    if kind == "json":
        return JsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level", "asctime": "time"})
    return logging.Formatter(TEXT_FORMAT)


def configure(level: str = "INFO", kind: str = "text") -> None:
    """Log to stderr at ``level``, as text or JSON lines, with the request id on every line."""
    # The process's own stderr, not whatever ``sys.stderr`` is now: a Celery worker replaces
    # sys.stderr with a proxy that logs (a log line written there would be logged again), and a
    # test runner's stand-in may be closed before the last line is written.
    handler = logging.StreamHandler(sys.__stderr__ or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(formatter(kind))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
