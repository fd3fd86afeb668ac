"""Verifies a latch JWT as a Python backend would: PyJWT fetches the keys from
/.well-known/jwks.json and checks the signature, the issuer and the expiry.

Usage: verify.py JWKS_URL ISSUER TOKEN
Prints the claims as JSON and exits 0, or prints `refused: <reason>` and exits 1.
"""

import json
import sys

import jwt


def main() -> int:
    jwks_url, issuer, token = sys.argv[1:4]
    client = jwt.PyJWKClient(jwks_url, cache_keys=False)
    try:
        key = client.get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            key,
            algorithms=["EdDSA"],
            issuer=issuer,
            options={"require": ["exp", "iat", "iss", "sub"]},
        )
    except jwt.PyJWTError as error:
        print(f"refused: {type(error).__name__}: {error}")
        return 1
    print(json.dumps(claims))
    return 0


if __name__ == "__main__":
    sys.exit(main())
