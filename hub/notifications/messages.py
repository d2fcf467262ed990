"""Persian messages from Jinja2 templates (``hub/notifications/templates/<kind>.txt.j2``).

A template's first line is the subject (used by email), then a blank line, then the body. Digits
in the variables are written in Persian; undefined variables are an error, never a blank.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from hub.calendars.jalali import persian_digits


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


@functools.cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("hub.notifications", "templates"),
        undefined=StrictUndefined,
        autoescape=False,  # plain text: SMS and text/plain mail
        keep_trailing_newline=False,
    )


def render(kind: str, **context: Any) -> Rendered:
    """The message ``kind`` (``citizen_intake``, ``remind_agency`` …) with ``context`` filled in."""
    values = {k: _fa(v) for k, v in context.items()}
    text = _environment().get_template(f"{kind}.txt.j2").render(**values)
    subject, _, body = text.partition("\n\n")
    return Rendered(subject.strip(), body.strip())


def _fa(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return value
    return persian_digits(str(value))
