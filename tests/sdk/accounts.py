"""Financial Connections accounts through the official `stripe` Python package, unchanged but
for its base URL, with every raw JSON body the server sends checked against Stripe's OpenAPI
schemas (`fc-subset.json`, OpenAPI 3.0, with `openapi-schema-validator`).

    accounts.py <base url> <fc-subset.json> link
        creates a customer, a session (completed with the test helper) and a linked test
        account with known owners, balance and 25 transactions, prefetching every feature;
        prints {"customer", "session", "account"} as JSON on its last line.
    accounts.py <base url> <fc-subset.json> read <customer> <session> <account>
        after the refresh worker ran: lists, retrieves with expand=["ownership"], lists owners,
        lists transactions with auto-pagination, retrieves one, refreshes, disconnects, and
        provokes the errors around them.

Run by tests/api/sdk_accounts.rs, which drains the refresh worker and moves the server's clock
between the two phases. Exits non-zero on any mismatch or schema violation, listing them all."""

import json
import re
import sys
from urllib.parse import urlsplit

import stripe
from openapi_schema_validator import OAS30Validator, oas30_format_checker

BASE, SPEC, PHASE = sys.argv[1], sys.argv[2], sys.argv[3]
KEY = "sk_test_sandbank"

# (method, url, status, body) of every response the SDK received, in order.
EXCHANGES = []
# Every schema violation found: "METHOD path (status) at json.path: message".
VIOLATIONS = []
SEEN = set()


class RecordingClient(stripe.RequestsClient):
    """The SDK's own HTTP client, keeping a copy of each raw response."""

    def request(self, method, url, headers, post_data=None):
        content, status, response_headers = super().request(method, url, headers, post_data)
        EXCHANGES.append((method.upper(), url, status, content))
        return content, status, response_headers


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def nullable_composites(node):
    """Stripe's document (OpenAPI 3.0.0) marks nullable references as
    `{"anyOf": [{"$ref": …}], "nullable": true}`. OpenAPI 3.0.3 later ruled that `nullable`
    only acts beside a `type`, which openapi-schema-validator follows, so such a field would
    refuse the `null` Stripe itself sends. Spell out what 3.0.0 and Stripe mean: one more
    branch that admits `null` and nothing else. No other rule is relaxed."""
    if isinstance(node, dict):
        node = {k: nullable_composites(v) for k, v in node.items()}
        if node.get("nullable") is True and "type" not in node:
            for key in ("anyOf", "oneOf"):
                if key in node:
                    node[key] = node[key] + [{"nullable": True, "enum": [None]}]
        return node
    if isinstance(node, list):
        return [nullable_composites(v) for v in node]
    return node


class Schemas:
    """The document's operations and components; $refs resolve against the document."""

    def __init__(self, path):
        with open(path) as f:
            self.doc = nullable_composites(json.load(f))
        self.components = self.doc["components"]
        self.operations = []
        for template, item in self.doc["paths"].items():
            pattern = re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$")
            self.operations.append((template.count("{"), pattern, item))
        # The most literal template first: /accounts/{account}/owners before /accounts/{account}.
        self.operations.sort(key=lambda op: op[0])

    def response_schema(self, method, path, status):
        for _, pattern, item in self.operations:
            if pattern.match(path) and method.lower() in item:
                responses = item[method.lower()]["responses"]
                response = responses.get(str(status)) or responses["default"]
                return response["content"]["application/json"]["schema"]
        return None

    def component(self, name):
        return {"$ref": f"#/components/schemas/{name}"}

    def violations(self, schema, instance):
        root = dict(schema, components=self.components)
        validator = OAS30Validator(root, format_checker=oas30_format_checker)
        return sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))


SCHEMAS = Schemas(SPEC)
# Responses of paths outside Stripe's public spec: the test helpers return Stripe objects.
HELPERS = [
    (re.compile(r"^/v1/test_helpers/financial_connections/accounts$"), "financial_connections.account"),
    (re.compile(r"^/v1/test_helpers/financial_connections/sessions/[^/]+/complete$"),
     "financial_connections.session"),
]


def validate_exchanges(start=0):
    """Validates every recorded response from index `start` on; returns how many."""
    for method, url, status, content in EXCHANGES[start:]:
        path = urlsplit(url).path
        body = json.loads(content)
        schema = SCHEMAS.response_schema(method, path, status)
        if schema is None:
            for pattern, name in HELPERS:
                if pattern.match(path):
                    schema = SCHEMAS.component(name if status == 200 else "error")
        check(schema is not None, f"no schema for {method} {path}")
        for error in SCHEMAS.violations(schema, body):
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path) or "."
            got = json.dumps(error.instance)
            if len(got) > 160:
                got = got[:160] + "…"
            violation = (
                f"{method} {path} ({status}) at {where}: {error.message[:300]} "
                f"[schema: {'/'.join(str(p) for p in error.absolute_schema_path)}; got {got}]"
            )
            # One line per place: a null field can break two rules of the same schema.
            key = (method, path, where, tuple(error.absolute_schema_path)[:-1])
            if key not in SEEN:
                SEEN.add(key)
                VIOLATIONS.append(violation)
    return len(EXCHANGES) - start


def expect_error(call, status, code=None, param=None):
    """Runs `call`, which must fail with a Stripe error of that status (code, param)."""
    try:
        call()
    except stripe.StripeError as e:
        check(e.http_status == status, f"status {e.http_status} != {status}: {e.json_body}")
        error = (e.json_body or {}).get("error", {})
        check(isinstance(error.get("message"), str) and error["message"], f"a message: {e.json_body}")
        if code is not None:
            check(e.code == code, f"code {e.code!r} != {code!r}: {e.json_body}")
        if param is not None:
            check(e.param == param, f"param {e.param!r} != {param!r}: {e.json_body}")
        return e
    raise AssertionError(f"expected a {status} error")


def client():
    return stripe.StripeClient(KEY, base_addresses={"api": BASE}, http_client=RecordingClient())


TRANSACTIONS = 25
OWNERS = [
    {"name": "Jennifer Rosen", "email": "jennyrosen@test.com",
     "raw_address": "354 Oyster Point Blvd South San Francisco, CA 94080 USA"},
    {"name": "Mark Rosen", "phone": "+1 212-555-0199"},
]


def link():
    sb = client()
    customer = sb.v1.customers.create(params={"name": "Jenny Rosen", "email": "jennyrosen@example.com"})

    session = sb.v1.financial_connections.sessions.create(params={
        "account_holder": {"type": "customer", "customer": customer.id},
        "permissions": ["ownership", "balances", "transactions"],
        "prefetch": ["ownership"],
        "filters": {"account_subcategories": ["checking", "savings"]},
    })
    check(isinstance(session, stripe.financial_connections.Session), type(session))
    check(session.id.startswith("fcsess_") and session.client_secret, session)
    completed = sb.raw_request("post", f"/v1/test_helpers/financial_connections/sessions/{session.id}/complete")
    completed = sb.deserialize(completed, api_mode="V1")
    check(completed.status == "succeeded", completed)
    session = sb.v1.financial_connections.sessions.retrieve(session.id)
    check(isinstance(session, stripe.financial_connections.Session), type(session))
    linked = sorted(a.subcategory for a in session.accounts.data)
    check(linked == ["checking", "savings"], f"jenny's checking and savings: {linked}")

    params = {
        "account_holder": {"customer": customer.id},
        "permissions": ["ownership", "balances", "transactions"],
        "prefetch": ["ownership", "balances", "transactions"],
        "display_name": "Everyday Checking",
        "owners": OWNERS,
        "balance": {"current": {"usd": 123456}},
        "transactions": [
            {"amount": -100 * (i + 1), "description": f"Purchase {i:02}",
             "transacted_at": 1_700_000_000 + 3600 * i}
            for i in range(TRANSACTIONS)
        ],
    }
    response = sb.raw_request("post", "/v1/test_helpers/financial_connections/accounts", **params)
    account = sb.deserialize(response, api_mode="V1")
    check(isinstance(account, stripe.financial_connections.Account), type(account))
    check(account.id.startswith("fca_"), account.id)
    check(account.ownership_refresh.status == "pending", account.ownership_refresh)
    validate_exchanges()
    # The ids first, so the caller can go on to the read phase even if violations fail this one.
    print(json.dumps({"customer": customer.id, "session": session.id, "account": account.id}), flush=True)
    report()


def read(customer, session, account_id):
    sb = client()
    accounts = sb.v1.financial_connections.accounts

    listed = accounts.list(params={"account_holder": {"customer": customer}, "limit": 2})
    check(listed.object == "list" and len(listed.data) == 2 and listed.has_more, listed)
    every = [a.id for a in listed.auto_paging_iter()]
    check(len(every) == 3 and account_id in every, f"two linked from the session and the test account: {every}")
    check(all(isinstance(a, stripe.financial_connections.Account) for a in listed.data), "Account objects")
    by_session = accounts.list(params={"session": session})
    check(len(by_session.data) == 2 and account_id not in [a.id for a in by_session.data], by_session)

    account = accounts.retrieve(account_id, params={"expand": ["ownership"]})
    check(isinstance(account, stripe.financial_connections.Account), type(account))
    check(account.id == account_id and account.status == "active", account)
    check(account.display_name == "Everyday Checking", account.display_name)
    check(account.account_holder.customer == customer, account.account_holder)
    for feature in ("ownership_refresh", "balance_refresh", "transaction_refresh"):
        check(account[feature].status == "succeeded", f"{feature}: {account[feature]}")
    check(account.balance.current["usd"] == 123456, account.balance)
    ownership = account.ownership
    check(isinstance(ownership, stripe.financial_connections.AccountOwnership), type(ownership))
    check(ownership.id.startswith("fcaowns_"), ownership.id)
    names = sorted(o.name for o in ownership.owners.data)
    check(names == ["Jennifer Rosen", "Mark Rosen"], names)
    unexpanded = accounts.retrieve(account_id)
    check(unexpanded.ownership == ownership.id, f"unexpanded ownership is its id: {unexpanded.ownership}")

    owners = accounts.owners.list(account_id, params={"ownership": ownership.id, "limit": 1})
    check(len(owners.data) == 1 and owners.has_more, owners)
    all_owners = list(owners.auto_paging_iter())
    check(all(isinstance(o, stripe.financial_connections.AccountOwner) for o in all_owners), "AccountOwner objects")
    by_name = {o.name: o for o in all_owners}
    check(sorted(by_name) == ["Jennifer Rosen", "Mark Rosen"], sorted(by_name))
    jennifer, mark = by_name["Jennifer Rosen"], by_name["Mark Rosen"]
    check(jennifer.email == "jennyrosen@test.com" and jennifer.phone is None, jennifer)
    check(jennifer.raw_address == OWNERS[0]["raw_address"], jennifer.raw_address)
    check(mark.email is None and mark.raw_address is None and mark.phone == "+1 212-555-0199", mark)
    check(all(o.ownership == ownership.id and o.id.startswith("fcaown_") for o in all_owners), all_owners)
    expect_error(lambda: accounts.owners.list(account_id, params={}), 400, param="ownership")

    transactions = sb.v1.financial_connections.transactions
    page = transactions.list(params={"account": account_id, "limit": 10})
    check(len(page.data) == 10 and page.has_more, f"first page of ten: {len(page.data)}")
    walked = list(page.auto_paging_iter())
    check(all(isinstance(t, stripe.financial_connections.Transaction) for t in walked), "Transaction objects")
    check(len({t.id for t in walked}) == TRANSACTIONS, f"{TRANSACTIONS} distinct transactions: {len(walked)}")
    descriptions = sorted(t.description for t in walked)
    check(descriptions == [f"Purchase {i:02}" for i in range(TRANSACTIONS)], descriptions)
    times = [t.transacted_at for t in walked]
    check(times == sorted(times, reverse=True), "newest first")
    check(all(t.account == account_id and t.currency == "usd" for t in walked), "account and currency")
    check(all(t.transaction_refresh == account.transaction_refresh.id for t in walked), "transaction_refresh ids")
    newest = walked[0]
    check(newest.amount == -100 * TRANSACTIONS and newest.transacted_at == 1_700_000_000 + 3600 * (TRANSACTIONS - 1),
          newest)
    one = transactions.retrieve(newest.id)
    check(isinstance(one, stripe.financial_connections.Transaction) and one.id == newest.id, one)
    check(one.amount == newest.amount and one.description == newest.description, one)
    window = transactions.list(params={
        "account": account_id,
        "transacted_at": {"gte": 1_700_000_000, "lt": 1_700_000_000 + 3600 * 5},
    })
    check(len(window.data) == 5, f"five in the window: {len(window.data)}")
    expect_error(lambda: transactions.list(params={}), 400, param="account")
    expect_error(lambda: transactions.retrieve("fctxn_missing"), 404, code="resource_missing")

    expect_error(lambda: accounts.retrieve("fca_missing"), 404, code="resource_missing")
    expect_error(
        lambda: accounts.list(params={"session": session, "account_holder": {"customer": customer}}), 400
    )

    refreshed = accounts.refresh(account_id, params={"features": ["balance"]})
    check(isinstance(refreshed, stripe.financial_connections.Account), type(refreshed))
    check(refreshed.balance_refresh.status == "pending", refreshed.balance_refresh)
    expect_error(lambda: accounts.refresh(account_id, params={"features": ["nonsense"]}), 400)

    disconnected = accounts.disconnect(account_id)
    check(isinstance(disconnected, stripe.financial_connections.Account), type(disconnected))
    check(disconnected.status == "disconnected", disconnected.status)
    after = accounts.retrieve(account_id, params={"expand": ["ownership"]})
    check(after.status == "disconnected", after.status)
    check(sorted(o.name for o in after.ownership.owners.data) == ["Jennifer Rosen", "Mark Rosen"],
          "data fetched before the disconnect stays readable")

    count = validate_exchanges()
    check(count >= 20, f"every response was validated: {count}")
    report()
    print(f"validated {count} responses")


def report():
    if VIOLATIONS:
        print(f"{len(VIOLATIONS)} schema violation(s) against {SPEC}:", file=sys.stderr)
        for v in VIOLATIONS:
            print(f"  {v}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    if PHASE == "link":
        link()
    elif PHASE == "read":
        read(*sys.argv[4:7])
    else:
        sys.exit(f"unknown phase {PHASE!r}")
