"""Real Python HTTP clients against a live latch, as their documentation says to use them
against a real Drupal or Django site: a session object with its own cookie jar, JSON bodies,
tokens read from answers or cookies.

Usage: python3 python_clients.py BASE_URL

For each client (requests, httpx) and dialect it runs the whole sequence (token, register,
login, status, an authenticated call, logout) and prints one line:
`PASS <client> <dialect>` or `FAIL <client> <dialect>: <step>: <what went wrong>`.
Exits 1 if any line is a FAIL.
"""

import secrets
import sys

PASSWORD = "a long pass phrase 1"


class Failure(Exception):
    pass


def expect(step, condition, detail):
    if not condition:
        raise Failure(f"{step}: {detail}")


class Answer:
    def __init__(self, status, headers, text):
        self.status = status
        self.headers = headers
        self.text = text

    def json(self):
        import json

        return json.loads(self.text)

    def __repr__(self):
        return f"{self.status} {self.text[:300]!r}"


class RequestsClient:
    name = "requests"

    def __init__(self, base):
        import requests

        self.base = base
        self.session = requests.Session()

    def send(self, method, path, headers=None, json=None):
        r = self.session.request(
            method, self.base + path, headers=headers, json=json, allow_redirects=False
        )
        return Answer(r.status_code, r.headers, r.text)

    def cookie(self, name):
        return self.session.cookies.get(name)


class HttpxClient:
    name = "httpx"

    def __init__(self, base):
        import httpx

        self.client = httpx.Client(base_url=base, follow_redirects=False)

    def send(self, method, path, headers=None, json=None):
        r = self.client.request(method, path, headers=headers, json=json)
        return Answer(r.status_code, r.headers, r.text)

    def cookie(self, name):
        return self.client.cookies.get(name)


def drupal(c, user):
    """Drupal 8+ core REST, as Drupal's REST documentation sequences it."""
    token = c.send("GET", "/session/token")
    expect("token", token.status == 200 and len(token.text) == 43, token)
    fields = {
        "name": [{"value": user}],
        "mail": [{"value": f"{user}@example.com"}],
        "pass": [{"value": PASSWORD}],
    }
    registered = c.send(
        "POST",
        "/user/register?_format=json",
        headers={"X-CSRF-Token": token.text},
        json=fields,
    )
    expect("register", registered.status == 200, registered)
    uid = registered.json()["uid"][0]["value"]
    login = c.send("POST", "/user/login?_format=json", json={"name": user, "pass": PASSWORD})
    expect("login", login.status == 200, login)
    body = login.json()
    status = c.send("GET", "/user/login_status?_format=json")
    expect("status", status.text == "1", status)
    me = c.send(
        "PATCH",
        f"/user/{uid}?_format=json",
        headers={"X-CSRF-Token": body["csrf_token"]},
        json={"mail": [{"value": f"{user}@example.org"}], "pass": [{"existing": PASSWORD}]},
    )
    expect("authenticated call", me.status == 200, me)
    expect("authenticated call", me.json()["mail"][0]["value"] == f"{user}@example.org", me)
    logout = c.send("POST", f"/user/logout?_format=json&token={body['logout_token']}")
    expect("logout", logout.status == 204, logout)
    status = c.send("GET", "/user/login_status?_format=json")
    expect("logout", status.text == "0", status)


def services(c, user, prefix="/rest/"):
    """The Drupal 7 Services module's REST server, as DrupalGap and jQuery apps use it."""
    # Bodiless POSTs go as JSON, as jDrupal and DrupalGap send them: a body without a
    # Content-Type counts as urlencoded, which the module's default endpoint refuses.
    token = c.send("POST", f"{prefix}user/token.json", json={})
    expect("token", token.status == 200, token)
    registered = c.send(
        "POST",
        f"{prefix}user/register.json",
        headers={"X-CSRF-Token": token.json()["token"]},
        json={"name": user, "mail": f"{user}@example.com", "pass": PASSWORD},
    )
    expect("register", registered.status == 200, registered)
    uid = registered.json()["uid"]
    # Without mail verification Drupal 7 logs the new account in; log out to log in for real.
    token = c.send("GET", "/services/session/token")
    out = c.send(
        "POST", f"{prefix}user/logout.json", headers={"X-CSRF-Token": token.text}, json={}
    )
    expect("register", out.status == 200, out)
    login = c.send(
        "POST", f"{prefix}user/login.json", json={"username": user, "password": PASSWORD}
    )
    expect("login", login.status == 200, login)
    csrf = {"X-CSRF-Token": login.json()["token"]}
    connect = c.send("POST", f"{prefix}system/connect.json", headers=csrf, json={})
    expect("status", connect.status == 200, connect)
    expect("status", connect.json()["user"]["uid"] == uid, connect)
    me = c.send("GET", f"{prefix}user/{uid}.json")
    expect("authenticated call", me.status == 200, me)
    expect("authenticated call", me.json()["mail"] == f"{user}@example.com", me)
    logout = c.send("POST", f"{prefix}user/logout.json", headers=csrf, json={})
    expect("logout", logout.status == 200, logout)
    connect = c.send("POST", f"{prefix}system/connect.json", json={})
    expect("logout", connect.json()["user"]["uid"] in (0, "0"), connect)


def services_non_clean(c, user):
    """The same through Drupal 7's non-clean URLs, as jDrupal 7 builds them."""
    services(c, user, prefix="/?q=rest/")


def django(c, user):
    """dj-rest-auth with Django's CSRF cookie, as a single-page app's client does it."""
    page = c.send("GET", "/auth/login/")
    expect("token", page.status == 200 and c.cookie("csrftoken"), page)
    registered = c.send(
        "POST",
        "/dj-rest-auth/registration/",
        headers={"X-CSRFToken": c.cookie("csrftoken")},
        json={
            "username": user,
            "email": f"{user}@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    expect("register", registered.status == 204, registered)
    # Registration logs in; log out to log in for real.
    out = c.send("POST", "/dj-rest-auth/logout/", headers={"X-CSRFToken": c.cookie("csrftoken")})
    expect("register", out.status == 200, out)
    login = c.send(
        "POST",
        "/dj-rest-auth/login/",
        headers={"X-CSRFToken": c.cookie("csrftoken")},
        json={"username": user, "password": PASSWORD},
    )
    expect("login", login.status == 204 and c.cookie("sessionid"), login)
    me = c.send("GET", "/dj-rest-auth/user/")
    expect("status", me.status == 200 and me.json()["username"] == user, me)
    changed = c.send(
        "POST",
        "/dj-rest-auth/password/change/",
        headers={"X-CSRFToken": c.cookie("csrftoken")},
        json={
            "old_password": PASSWORD,
            "new_password1": PASSWORD + "!",
            "new_password2": PASSWORD + "!",
        },
    )
    expect("authenticated call", changed.status == 200, changed)
    out = c.send("POST", "/dj-rest-auth/logout/", headers={"X-CSRFToken": c.cookie("csrftoken")})
    expect("logout", out.status == 200, out)
    me = c.send("GET", "/dj-rest-auth/user/")
    expect("logout", me.status in (401, 403), me)


def platformos(c, user):
    """platformOS's REST reference: forms in envelopes, the CSRF token in a header."""
    json_headers = {"Accept": "application/json"}
    anonymous = c.send("GET", "/api/sessions", headers=json_headers)
    expect("token", anonymous.status == 401, anonymous)
    mail = f"{user}@example.com"
    registered = c.send(
        "POST",
        "/api/users",
        headers=json_headers,
        json={
            "form_name": "reference_rest_api_create_users",
            "form": {"email": mail, "password": PASSWORD, "name": user},
        },
    )
    expect("register", registered.status == 201, registered)
    uid = registered.json()["id"]
    login = c.send(
        "POST",
        "/api/sessions",
        headers=json_headers,
        json={
            "form_name": "reference_rest_api_create_sessions",
            "form": {"email": mail, "password": PASSWORD},
        },
    )
    expect("login", login.status == 201, login)
    csrf = dict(json_headers, **{"X-CSRF-Token": login.headers["x-csrf-token"]})
    status = c.send("GET", "/api/sessions", headers=json_headers)
    expect("status", status.status == 200 and status.json()["user"]["email"] == mail, status)
    updated = c.send(
        "PUT",
        f"/api/users/{uid}",
        headers=csrf,
        json={
            "form_name": "reference_rest_api_update_users",
            "form": {"email": f"{user}@example.org", "current_password": PASSWORD},
        },
    )
    expect("authenticated call", updated.status == 204, updated)
    out = c.send(
        "DELETE",
        "/api/sessions",
        headers=csrf,
        json={"form_name": "reference_rest_api_delete_sessions"},
    )
    expect("logout", out.status == 204, out)
    status = c.send("GET", "/api/sessions", headers=json_headers)
    expect("logout", status.status == 401, status)


DIALECTS = [
    ("drupal", drupal),
    ("services", services),
    ("services-q", services_non_clean),
    ("django", django),
    ("platformos", platformos),
]


def main():
    base = sys.argv[1].rstrip("/")
    failed = False
    for client_class in (RequestsClient, HttpxClient):
        for dialect, run in DIALECTS:
            user = f"{client_class.name}_{dialect}_{secrets.token_hex(3)}".replace("-", "_")
            try:
                run(client_class(base), user)
                print(f"PASS {client_class.name} {dialect}", flush=True)
            except Exception as e:  # noqa: BLE001 - every failure is one FAIL line
                failed = True
                print(f"FAIL {client_class.name} {dialect}: {e}", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
