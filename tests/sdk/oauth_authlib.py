"""An independent OAuth client against a sandbank bank: Authlib's OAuth2Session registers
dynamically (RFC 7591), runs authorization code + PKCE S256, reads the data API, refreshes,
introspects (RFC 7662) and revokes (RFC 7009). The bank's pages are driven with a plain
requests.Session, as a browser would, following each Location by hand.

Usage: oauth_authlib.py BASE_URL
"""

import os
import re
import sys
from urllib.parse import parse_qs, urljoin, urlparse

# The sandbox runs on plain http over loopback.
os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"

import requests  # noqa: E402
from authlib.common.security import generate_token  # noqa: E402
from authlib.integrations.requests_client import OAuth2Session  # noqa: E402

BASE = sys.argv[1].rstrip("/")
BANK = BASE + "/bank/fcinst_sandbank"
REDIRECT = "http://127.0.0.1:9/authlib/callback"
SCOPE = "accounts balances transactions ownership"


def check(condition, message):
    if not condition:
        raise SystemExit("FAILED: " + message)


def query(url, name):
    return parse_qs(urlparse(url).query).get(name, [None])[0]


def main():
    meta = requests.get(BASE + "/.well-known/oauth-authorization-server/bank/fcinst_sandbank", timeout=10).json()
    check(meta["issuer"] == BANK, "issuer")
    check("S256" in meta["code_challenge_methods_supported"], "PKCE S256 advertised")

    reg = requests.post(
        meta["registration_endpoint"],
        json={
            "redirect_uris": [REDIRECT],
            "client_name": "Authlib Budget",
            "token_endpoint_auth_method": "client_secret_basic",
            "grant_types": ["authorization_code", "refresh_token"],
            "scope": SCOPE,
        },
        timeout=10,
    )
    check(reg.status_code == 201, "registration: %s %s" % (reg.status_code, reg.text))
    registered = reg.json()

    oauth = OAuth2Session(
        registered["client_id"],
        registered["client_secret"],
        scope=SCOPE,
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    verifier = generate_token(64)
    auth_url, state = oauth.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier)

    # The user's browser at the bank.
    browser = requests.Session()
    res = browser.get(auth_url, allow_redirects=False, timeout=10)
    check(res.status_code == 303, "authorize: %s %s" % (res.status_code, res.text[:300]))
    request_id = query(res.headers["Location"], "request")
    res = browser.post(BANK + "/login", data={"request": request_id, "username": "jenny", "password": "password123"}, allow_redirects=False, timeout=10)
    check(res.status_code == 303, "login")
    res = browser.post(BANK + "/mfa", data={"request": request_id, "code": "000000"}, allow_redirects=False, timeout=10)
    check(res.status_code == 303, "mfa")
    page = browser.get(urljoin(BASE, res.headers["Location"]), timeout=10).text
    check("Authlib Budget" in page, "the consent page names the app")
    accounts = re.findall(r'name="accounts" value="(bacct_[^"]+)"', page)
    check(len(accounts) == 4, "four accounts offered: %s" % accounts)
    res = browser.post(BANK + "/consent", data={"request": request_id, "decision": "approve", "accounts": accounts[:2]}, allow_redirects=False, timeout=10)
    check(res.status_code == 303, "consent")
    callback = res.headers["Location"]
    check(callback.startswith(REDIRECT), "back to the app")
    check(query(callback, "state") == state, "state echoed")

    token = oauth.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    check(token["token_type"] == "Bearer" and token.get("refresh_token"), "token response")

    listed = oauth.get(BANK + "/data/v1/accounts", timeout=10)
    check(listed.status_code == 200, "accounts: %s" % listed.text)
    ids = [a["id"] for a in listed.json()["accounts"]]
    check(sorted(ids) == sorted(accounts[:2]), "only the consented accounts: %s" % ids)
    balances = oauth.get(BANK + "/data/v1/accounts/%s/balances" % ids[0], timeout=10).json()
    check("usd" in balances["current"], "balances")
    txns = oauth.get(BANK + "/data/v1/accounts/%s/transactions?limit=5" % ids[0], timeout=10).json()
    check(len(txns["transactions"]) == 5 and txns["next_cursor"], "transactions page")
    numbers = oauth.get(BANK + "/data/v1/accounts/%s/numbers" % ids[0], timeout=10)
    check(numbers.status_code == 403, "payment_method was not granted")

    first_refresh = token["refresh_token"]
    refreshed = oauth.refresh_token(meta["token_endpoint"])
    check(refreshed["refresh_token"] != first_refresh, "rotated refresh token")
    access = refreshed["access_token"]

    info = oauth.introspect_token(meta["introspection_endpoint"], token=access).json()
    check(info["active"] is True and info["client_id"] == registered["client_id"], "introspection: %s" % info)
    check(set(info["scope"].split()) == set(SCOPE.split()), "scope: %s" % info["scope"])

    res = oauth.revoke_token(meta["revocation_endpoint"], token=refreshed["refresh_token"], token_type_hint="refresh_token")
    check(res.status_code == 200, "revocation: %s" % res.status_code)
    info = oauth.introspect_token(meta["introspection_endpoint"], token=access).json()
    check(info == {"active": False}, "inactive after revocation: %s" % info)
    after = oauth.get(BANK + "/data/v1/accounts", timeout=10)
    check(after.status_code == 401, "data API refuses the revoked grant")
    print("ok")


if __name__ == "__main__":
    main()
