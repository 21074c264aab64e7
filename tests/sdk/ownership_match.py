"""Ownership Match through the official `stripe` Python package's raw_request, with the
preview flag in the API version, unchanged but for the base URL. Arguments: base URL,
account id, customer id."""

import sys

import stripe

BASE, ACCOUNT, CUSTOMER = sys.argv[1], sys.argv[2], sys.argv[3]
VERSION = "2026-07-29.dahlia; financial_connections_ownership_match_api_preview=v1"

client = stripe.StripeClient("sk_test_sandbank", base_addresses={"api": BASE})


def check(cond, what):
    if not cond:
        raise AssertionError(what)


resp = client.raw_request(
    "post",
    "/v1/financial_connections/ownership_match",
    financial_connections_account=ACCOUNT,
    customer=CUSTOMER,
    stripe_version=VERSION,
)
match = client.deserialize(resp, api_mode="V1")
check(match.object == "financial_connections.ownership_match", match)
check(match.id.startswith("fcom_"), match.id)
check(match.results.name.match_score == 85, match.results)
check(match.results.address.match_score == 100, match.results)
check(match.results.email.match_score == 65, match.results)
check(match.results.phone.match_score is None and match.results.phone.missing_data is True, match.results)

direct = client.deserialize(
    client.raw_request(
        "post",
        "/v1/financial_connections/ownership_match",
        financial_connections_account=ACCOUNT,
        owner_information={"name": "Jennifer Rosen", "address": {
            "line1": "354 Oyster Point Blvd", "city": "South San Francisco", "state": "CA",
            "postal_code": "94080", "country": "US"}},
        stripe_version=VERSION,
    ),
    api_mode="V1",
)
check(direct.type == "owner_information" and direct.results.name.match_score == 100, direct)
check(direct.results.email is None, "a field not provided is null")

fetched = client.deserialize(
    client.raw_request("get", f"/v1/financial_connections/ownership_matches/{match.id}", stripe_version=VERSION),
    api_mode="V1",
)
check(fetched.id == match.id, fetched)

try:
    client.raw_request("post", "/v1/financial_connections/ownership_match",
                       financial_connections_account=ACCOUNT, stripe_version="2026-07-29.dahlia")
    check(False, "the beta gate let a request through")
except stripe.InvalidRequestError as e:
    check(e.param == "Stripe-Version", e.param)

print("sdk ownership match: ok")
