"""The hub's own errors as the API answers them: problem+json (:mod:`hub.api.problems`),
English and Persian, each bad field named by its JSON path."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from hub.api.problems import problem
from hub.auth.masking import mask_digits, mask_value
from hub.core.errors import FieldError, NotFound, Refused, ValidationFailed

_CITIZEN_IDS = ("national_id", "mobile")  # fields whose value is never echoed back in full


def _shown(error: FieldError) -> dict[str, str]:
    """An error as the API shows it: the English message may quote the value sent, so national
    ids and mobiles in it are masked (the Persian messages never quote it, only examples)."""
    message = mask_value(error.message)
    if error.path.rsplit(".", 1)[-1] in _CITIZEN_IDS:
        message = mask_digits(message)
    return {**error.as_dict(), "message": message}


def _path(location: tuple[object, ...] | list[object]) -> str:
    """FastAPI's error location (``("body", "citizen", "mobile")``) as a JSON path: the first
    part says where (body, query, path, header); a query parameter's name follows it."""
    prefix = "$.headers" if location[:1] == ("header",) else "$"
    return prefix + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in location[1:])


def _errors_response(request: Request, errors: list[FieldError]) -> JSONResponse:
    return problem(
        422,
        "the request is not valid",
        "درخواست معتبر نیست",
        instance=request.url.path,
        errors=[_shown(e) for e in errors],
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ValidationFailed)
    async def _validation_failed(request: Request, exc: ValidationFailed) -> JSONResponse:
        return _errors_response(request, exc.errors)

    @app.exception_handler(RequestValidationError)
    async def _bad_body(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            FieldError(
                path=_path(e.get("loc", ())),
                message=str(e.get("msg", "invalid")),
                message_fa="مقدار نامعتبر است: " + str(e.get("msg", "")),
            )
            for e in exc.errors()
        ]
        return _errors_response(request, errors)

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> JSONResponse:
        return problem(409, exc.message, exc.message_fa, instance=request.url.path)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        return problem(404, str(exc), "پیدا نشد", instance=request.url.path)
