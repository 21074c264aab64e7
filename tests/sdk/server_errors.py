"""The official `stripe` Python package reads the server's own errors: a URI over 64 KiB
(hyper's 414) and 100+ headers (hyper's 431) come back as Stripe error objects, so the SDK
raises with the server's message and request id instead of "Invalid response body".
Arguments: base URL, API key. Exits non-zero on any mismatch."""

import sys

import stripe

BASE, KEY = sys.argv[1], sys.argv[2]


def check(cond, what):
    if not cond:
        raise AssertionError(what)


client = stripe.StripeClient(KEY, base_addresses={"api": BASE}, max_network_retries=0)


def expect(status, call):
    try:
        call()
        raise AssertionError(f"no {status}")
    except stripe.StripeError as e:
        check(e.http_status == status, (status, e.http_status, e.user_message))
        check(e.json_body and e.json_body["error"]["type"] == "invalid_request_error", e.json_body)
        check(e.user_message and "Invalid response body" not in e.user_message, e.user_message)
        check(e.request_id and e.request_id.startswith("req_"), e.request_id)


expect(414, lambda: client.v1.customers.list(params={"email": "a" * 70_000}))
headers = {f"X-Extra-{i}": "v" for i in range(120)}
expect(431, lambda: client.v1.customers.list(options={"headers": headers}))
print("server errors: ok")
