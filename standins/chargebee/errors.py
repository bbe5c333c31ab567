"""Chargebee's error body ``{message, type, api_error_code, param}`` and its codes."""

from __future__ import annotations

from typing import Any

from standins._http import ApiError

# HTTP status -> (type, api_error_code) for errors that carry no better code.
_DEFAULTS: dict[int, tuple[str, str]] = {
    400: ("invalid_request", "invalid_request"),
    401: ("invalid_request", "api_authentication_failed"),
    403: ("invalid_request", "api_authorization_failed"),
    404: ("invalid_request", "resource_not_found"),
    405: ("invalid_request", "http_method_not_supported"),
    409: ("invalid_request", "invalid_state_for_request"),
    # The SDK's own test fixtures use "rate_limit"; the live code is unconfirmed.
    429: ("invalid_request", "rate_limit"),
}


def error_body(
    status: int, message: str, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    """The JSON body Chargebee answers an error with."""
    kind, default_code = _DEFAULTS.get(
        status,
        ("operation_failed", "internal_error")
        if status >= 500
        else ("invalid_request", "invalid_request"),
    )
    body: dict[str, Any] = {
        "message": message,
        "type": kind,
        "api_error_code": code or default_code,
    }
    if param is not None:
        body["param"] = param
    return body


def api_error(
    status: int,
    message: str,
    code: str | None = None,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> ApiError:
    """An ``ApiError`` carrying Chargebee's error body."""
    return ApiError(status, error_body(status, message, code, param), headers)


def wrong_value(message: str, param: str | None = None) -> ApiError:
    """400 ``param_wrong_value``: a parameter is missing, unknown or malformed."""
    return api_error(400, message, "param_wrong_value", param)


def not_found(resource: str, record_id: str, param: str | None = None) -> ApiError:
    """404 ``resource_not_found`` for one record."""
    message = f"Sorry, we couldn't find the {resource} with id {record_id}"
    return api_error(404, message, "resource_not_found", param)
