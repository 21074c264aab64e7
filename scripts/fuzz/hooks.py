"""Schemathesis checks of sandbank's own promises, beside `not_a_server_error`: every error
has a body and a `Request-Id`; on the Stripe surface (`/v1`, and anything the server itself
answers) it is Stripe's JSON error object. The emulated banks' OAuth endpoints answer OAuth's
`{"error": …}` and their pages answer HTML, as a bank would."""

import json

import schemathesis


def has_request_id(response):
    return bool(response.headers.get("request-id") or response.headers.get("Request-Id"))


@schemathesis.check
def errors_have_a_body(ctx, response, case):
    if response.status_code < 400:
        return None
    if not has_request_id(response):
        raise AssertionError(f"{response.status_code} without a Request-Id header")
    if not response.content:
        raise AssertionError(f"{response.status_code} with an empty body")
    if case.path.startswith(("/bank/", "/link/")):
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"{response.status_code} with a body that is not JSON: {response.content[:80]!r}")
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or not error.get("type") or not error.get("message"):
        raise AssertionError(f"{response.status_code} without Stripe's error object: {response.content[:120]!r}")
    return None
