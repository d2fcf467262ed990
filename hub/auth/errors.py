"""Errors of access control.

``AccessProblem`` is an admin's mistake (a token or user that cannot be made as asked);
``AccessDenied`` is a caller refused: it carries the HTTP status, an English and a Persian
message, and headers (``WWW-Authenticate``, ``Retry-After``) the API answers with.
"""

from __future__ import annotations

from collections.abc import Mapping

from hub.core.errors import HubError


class AccessProblem(HubError):
    """A token or user cannot be created, changed or revoked as asked."""


class AccessDenied(HubError):
    def __init__(
        self,
        status: int,
        detail: str,
        detail_fa: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.detail_fa = detail_fa
        self.headers = dict(headers or {})


def unauthenticated(detail: str = "a valid API token is required") -> AccessDenied:
    return AccessDenied(
        401, detail, "توکن معتبر لازم است", {"WWW-Authenticate": 'Bearer realm="samad-hub"'}
    )


def forbidden(detail: str = "this token's role may not do this") -> AccessDenied:
    return AccessDenied(403, detail, "این نقش اجازهٔ این کار را ندارد")


def too_many(retry_after: int) -> AccessDenied:
    return AccessDenied(
        429,
        "too many requests: try again later",
        "درخواست‌ها بیش از حد مجاز است؛ کمی بعد دوباره تلاش کنید",
        {"Retry-After": str(max(1, retry_after))},
    )
