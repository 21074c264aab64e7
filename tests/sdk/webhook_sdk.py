"""Webhook endpoints and events through the official `stripe` Python package, unchanged but
for its base URL, every raw JSON body checked against Stripe's OpenAPI schemas
(`fc-subset.json`: `webhook_endpoint`, `deleted_webhook_endpoint`, `event` and their lists).

    webhook_sdk.py <base url> <fc-subset.json>

Exits non-zero on any mismatch or schema violation."""

import json
import re
import sys
import urllib.request
from urllib.parse import urlsplit

import stripe
from openapi_schema_validator import OAS30Validator, oas30_format_checker

BASE, SPEC = sys.argv[1], sys.argv[2]
KEY = "sk_test_sandbank"
BODIES = []


class RecordingClient(stripe.RequestsClient):
    def request(self, method, url, headers, post_data=None):
        content, status, response_headers = super().request(method, url, headers, post_data)
        BODIES.append((method.upper(), urlsplit(url).path, status, content))
        return content, status, response_headers


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def schema_for(method, path):
    if re.fullmatch(r"/v1/webhook_endpoints", path):
        return "webhook_endpoint" if method == "POST" else "list:webhook_endpoint"
    if re.fullmatch(r"/v1/webhook_endpoints/[^/]+", path):
        return "deleted_webhook_endpoint" if method == "DELETE" else "webhook_endpoint"
    if re.fullmatch(r"/v1/events", path):
        return "list:event"
    if re.fullmatch(r"/v1/events/[^/]+", path):
        return "event"
    return None


def validate(doc):
    problems = []
    for method, path, status, content in BODIES:
        name = schema_for(method, path)
        if status != 200 or name is None:
            continue
        body = json.loads(content)
        items = body["data"] if name.startswith("list:") else [body]
        for item in items:
            schema = {"$ref": f"#/components/schemas/{name.removeprefix('list:')}", "components": doc["components"]}
            validator = OAS30Validator(schema, format_checker=oas30_format_checker)
            for e in validator.iter_errors(item):
                problems.append(f"{method} {path}: {'.'.join(map(str, e.absolute_path))}: {e.message}")
    return problems


def produce(count):
    req = urllib.request.Request(
        f"{BASE}/v1/test_helpers/events",
        data=f"count={count}".encode(),
        headers={"Authorization": f"Bearer {KEY}"},
    )
    with urllib.request.urlopen(req) as r:
        return [e["id"] for e in json.load(r)["data"]]


def main():
    with open(SPEC) as f:
        doc = json.load(f)
    client = stripe.StripeClient(KEY, base_addresses={"api": BASE}, http_client=RecordingClient())
    endpoints = client.v1.webhook_endpoints

    created = endpoints.create(params={
        "url": "http://127.0.0.1:9/hooks",
        "enabled_events": ["financial_connections.account.created", "*"],
        "description": "sdk",
        "metadata": {"team": "sdk"},
    })
    check(created.secret.startswith("whsec_"), "the secret on create")
    got = endpoints.retrieve(created.id)
    check(getattr(got, "secret", None) is None, "no secret after create")
    updated = endpoints.update(created.id, params={"disabled": True, "description": ""})
    check(updated.status == "disabled" and updated.description is None, "updated")
    second = endpoints.create(params={"url": "http://localhost:9/b", "enabled_events": ["*"]})
    listed = [e.id for e in endpoints.list(params={"limit": 1}).auto_paging_iter()]
    check(listed == [second.id, created.id], f"endpoints newest first: {listed}")
    deleted = endpoints.delete(created.id)
    check(deleted.deleted is True and deleted.id == created.id, "deleted stub")
    try:
        endpoints.retrieve(created.id)
        raise AssertionError("a deleted endpoint is still retrievable")
    except stripe.InvalidRequestError as e:
        check(e.http_status == 404, "404 after delete")

    ids = produce(5)
    seen = [e.id for e in client.v1.events.list(params={"type": "test_helper.*", "limit": 2}).auto_paging_iter()]
    check(seen == list(reversed(ids)), f"events newest first across pages: {seen}")
    one = client.v1.events.retrieve(ids[0])
    check(one.type == "test_helper.event" and one.pending_webhooks == 1, f"event: {one}")
    try:
        client.v1.events.list(params={"type": "a", "types": ["b"]})
        raise AssertionError("type with types accepted")
    except stripe.InvalidRequestError as e:
        check(e.param == "types", f"param: {e.param}")

    problems = validate(doc)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)
    print(f"validated {len(BODIES)} responses")


if __name__ == "__main__":
    main()
