"""Verifies one webhook delivery with the official `stripe` package, exactly as a platform's
handler would: `stripe.Webhook.construct_event(payload, Stripe-Signature, whsec_…)` must
accept the raw body and return the event, and must reject the body with one byte changed.

    webhook_verify.py PAYLOAD_FILE SIGNATURE_HEADER SECRET
"""

import sys

import stripe


def main():
    path, header, secret = sys.argv[1:4]
    with open(path, "rb") as f:
        payload = f.read().decode("utf-8")

    event = stripe.Webhook.construct_event(payload, header, secret)
    if not event.id.startswith("evt_") or event.object != "event" or not event.type:
        raise AssertionError(f"unexpected event: {event}")
    if not event["data"]["object"]["id"]:
        raise AssertionError("event.data.object has no id")

    # One byte of the body changed (the last character before the closing brace).
    changed = payload[:-2] + chr(ord(payload[-2]) ^ 1) + payload[-1]
    try:
        stripe.Webhook.construct_event(changed, header, secret)
    except stripe.SignatureVerificationError:
        pass
    else:
        raise AssertionError("a payload with one byte changed verified")

    try:
        stripe.Webhook.construct_event(payload, header, "whsec_wrong")
    except stripe.SignatureVerificationError:
        pass
    else:
        raise AssertionError("the wrong secret verified")
    print("verified", event.id, event.type)


if __name__ == "__main__":
    main()
