"""A restricted key (`rk_test_…`, granted `customer:read` only) in the official `stripe`
Python package: reads work, a write raises `stripe.PermissionError` (HTTP 403) naming the
missing permission. Arguments: base URL, the restricted key. Exits non-zero on any mismatch."""

import sys

import stripe

BASE, KEY = sys.argv[1], sys.argv[2]


def check(cond, what):
    if not cond:
        raise AssertionError(what)


client = stripe.StripeClient(KEY, base_addresses={"api": BASE})
listed = client.v1.customers.list(params={"limit": 3})
check(listed.object == "list", listed)

try:
    client.v1.customers.create(params={"name": "Mallory"})
    raise AssertionError("a read-only key created a customer")
except stripe.PermissionError as e:
    check(e.http_status == 403, e.http_status)
    check("rak_customer_write" in e.user_message, e.user_message)
    check(e.request_id and e.request_id.startswith("req_"), e.request_id)

try:
    client.v1.webhook_endpoints.list()
    raise AssertionError("a key without webhook_endpoint access listed endpoints")
except stripe.PermissionError as e:
    check("rak_webhook_endpoint_read" in e.user_message, e.user_message)

print("restricted key: ok")
