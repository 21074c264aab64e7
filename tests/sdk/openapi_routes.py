"""Every operation openapi.yaml describes is served: a request to each (path parameters filled
with placeholders) must reach a route, so it never gets the server's answer for an unknown
URL or method. Arguments: base URL, path of openapi.yaml."""

import sys

import requests
import yaml

BASE, SPEC = sys.argv[1], sys.argv[2]
spec = yaml.safe_load(open(SPEC))
headers = {
    "Authorization": "Bearer sk_test_sandbank",
    "Stripe-Version": "2026-07-29.dahlia; financial_connections_ownership_match_api_preview=v1",
}
unrouted = []
checked = 0
for path, item in spec["paths"].items():
    url = BASE + path.replace("{institution}", "fcinst_sandbank")
    while "{" in url:
        start = url.index("{")
        url = url[:start] + "placeholder" + url[url.index("}", start) + 1:]
    for method in ("get", "post", "delete"):
        if method not in item:
            continue
        res = requests.request(method.upper(), url, headers=headers, allow_redirects=False, timeout=30)
        checked += 1
        if res.status_code == 405 or "Unrecognized request URL" in res.text:
            unrouted.append(f"{method.upper()} {path} -> {res.status_code}")
if unrouted:
    raise SystemExit("documented but not served:\n" + "\n".join(unrouted))
print(f"openapi routes: {checked} operations served")
