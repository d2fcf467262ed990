"""A file an agency sent, served as a download: never opened as a page of the hub.

The dashboard (to supervisors) and the citizen look-up (an official letter, where the agreement
shares letters) serve the same way: the type as sent when it is a plain ``type/subtype``,
``attachment`` with the name as sent, ``nosniff``, a sandboxing CSP, and no caching.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from fastapi.responses import Response

from hub.db.models_messages import MessageAttachment

_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9.+\-]*/[a-z0-9][a-z0-9.+\-]*")


def download(found: MessageAttachment) -> Response:
    content_type = found.content_type.lower()
    if not _CONTENT_TYPE.fullmatch(content_type):
        content_type = "application/octet-stream"
    return Response(
        found.content,
        media_type=content_type,
        headers={
            "Content-Disposition": content_disposition(found.filename),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "private, no-store",
        },
    )


def content_disposition(filename: str) -> str:
    """``attachment`` with the name as sent (RFC 6266: an ASCII fallback and the UTF-8 name),
    without path separators or control characters."""
    name = "".join(c for c in filename if unicodedata.category(c)[0] != "C")
    name = name.replace("/", "_").replace("\\", "_").strip(" .") or "attachment"
    fallback = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
