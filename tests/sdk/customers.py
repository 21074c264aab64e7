"""Drives a running sandbank with the official `stripe` Python package, unchanged but for
its base URL: customers create / retrieve / update / list with auto-pagination / delete,
through both the StripeClient and the module-level API. Exits non-zero on any mismatch."""

import sys

import stripe

BASE = sys.argv[1]
KEY = "sk_test_sandbank"


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def with_client():
    client = stripe.StripeClient(KEY, base_addresses={"api": BASE}, max_network_retries=2)
    created = client.v1.customers.create(
        params={
            "name": "Jenny Rosen",
            "email": "jennyrosen@example.com",
            "address": {"line1": "354 Oyster Point Blvd", "city": "South San Francisco",
                        "state": "CA", "postal_code": "94080", "country": "US"},
            "metadata": {"order_id": "6735"},
        }
    )
    check(isinstance(created, stripe.Customer), f"create returns a Customer: {type(created)}")
    check(created.id.startswith("cus_"), created.id)
    check(created.address.city == "South San Francisco", created.address)
    check(created.metadata["order_id"] == "6735", created.metadata)
    check(created.livemode is False, "livemode")

    fetched = client.v1.customers.retrieve(created.id)
    check(fetched.id == created.id and fetched.email == "jennyrosen@example.com", fetched)

    updated = client.v1.customers.update(created.id, params={"phone": "+1 212-555-5555", "metadata": {"order_id": ""}})
    check(updated.phone == "+1 212-555-5555", updated.phone)
    check("order_id" not in updated.metadata, updated.metadata)

    for i in range(5):
        client.v1.customers.create(params={"name": f"Page {i}", "email": "pager@example.com"})
    page = client.v1.customers.list(params={"limit": 2, "email": "pager@example.com"})
    check(len(page.data) == 2 and page.has_more, "first page of two")
    names = [c.name for c in page.auto_paging_iter()]
    check(names == [f"Page {i}" for i in reversed(range(5))], f"auto-pagination walks all, newest first: {names}")

    try:
        client.v1.customers.create(params={"nickname": "J"})
        check(False, "unknown parameter accepted")
    except stripe.InvalidRequestError as e:
        check(e.param == "nickname" and e.code == "parameter_unknown", (e.param, e.code))
        check(e.http_status == 400, e.http_status)
        check((e.request_id or "").startswith("req_"), e.request_id)

    deleted = client.v1.customers.delete(created.id)
    check(deleted.deleted is True and deleted.id == created.id, deleted)
    try:
        client.v1.customers.update(created.id, params={"name": "x"})
        check(False, "update of deleted customer accepted")
    except stripe.InvalidRequestError as e:
        check(e.http_status == 404 and e.code == "resource_missing", (e.http_status, e.code))


def with_module_api():
    stripe.api_key = KEY
    stripe.api_base = BASE
    c = stripe.Customer.create(name="Mark Rosen", idempotency_key="sdk-idem-1")
    again = stripe.Customer.create(name="Mark Rosen", idempotency_key="sdk-idem-1")
    check(c.id == again.id, "idempotent retry returns the same customer")
    try:
        stripe.Customer.create(name="Someone else", idempotency_key="sdk-idem-1")
        check(False, "idempotency mismatch accepted")
    except stripe.IdempotencyError:
        pass
    listed = [x.id for x in stripe.Customer.list(limit=3).auto_paging_iter()]
    check(c.id in listed, "module-level list sees the customer")
    check(stripe.Customer.retrieve(c.id).name == "Mark Rosen", "module retrieve")
    stripe.api_key = "sk_test_not_a_key"
    try:
        stripe.Customer.list()
        check(False, "bad key accepted")
    except stripe.AuthenticationError:
        pass


with_client()
with_module_api()
print("sdk customers: ok")
