"""Verifies webhook deliveries with the Standard Webhooks reference library, as a receiver would.

Reads a JSON list of {"headers": {...}, "body": "..."} on stdin; the secret is the first argument.
Every delivery must verify, and the same delivery with its body altered must not.
"""

import json
import sys

from standardwebhooks import Webhook

webhook = Webhook(sys.argv[1])
deliveries = json.load(sys.stdin)
for delivery in deliveries:
    payload = webhook.verify(delivery["body"], delivery["headers"])
    assert payload["type"] and payload["timestamp"] and "data" in payload, payload
    try:
        webhook.verify(delivery["body"] + " ", delivery["headers"])
    except Exception:
        pass
    else:
        sys.exit("an altered body verified")
print(f"verified {len(deliveries)} deliveries")
