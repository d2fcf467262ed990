"""Errors as the API answers them: one JSON shape, English and Persian, the field named."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

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


def _errors_response(errors: list[FieldError], status: int = 422) -> JSONResponse:
    return JSONResponse(
        status_code=status,
        content={
            "detail": "the request is not valid",
            "detail_fa": "درخواست معتبر نیست",
            "errors": [_shown(e) for e in errors],
        },
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ValidationFailed)
    async def _validation_failed(_: Request, exc: ValidationFailed) -> JSONResponse:
        return _errors_response(exc.errors)

    @app.exception_handler(RequestValidationError)
    async def _bad_body(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            FieldError(
                path="$." + ".".join(str(p) for p in e.get("loc", ())[1:]) if e.get("loc") else "$",
                message=str(e.get("msg", "invalid")),
                message_fa="مقدار نامعتبر است: " + str(e.get("msg", "")),
            )
            for e in exc.errors()
        ]
        return _errors_response(errors)

    @app.exception_handler(Refused)
    async def _refused(_: Request, exc: Refused) -> JSONResponse:
        return JSONResponse(
            status_code=409, content={"detail": exc.message, "detail_fa": exc.message_fa}
        )

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(exc), "detail_fa": "پیدا نشد"})
