"""Writes latch.postman_collection.json, the collection newman runs in the real-client suite:
one folder per dialect. Run it after changing a sequence here:

    python3 tests/clients/make_postman_collection.py > tests/clients/latch.postman_collection.json
"""

import json

PASSWORD = "a long pass phrase 1"

def req(name, method, path, body=None, headers=None, tests="", pre=None):
    h = [{"key": k, "value": v} for k, v in (headers or {}).items()]
    if body is not None:
        h.append({"key": "Content-Type", "value": "application/json"})
    item = {
        "name": name,
        "request": {"method": method, "header": h, "url": "{{baseUrl}}" + path},
        "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": tests.strip().split("\n")}}],
    }
    if body is not None:
        item["request"]["body"] = {"mode": "raw", "raw": json.dumps(body)}
    if pre:
        item["event"].append({"listen": "prerequest", "script": {"type": "text/javascript", "exec": pre.strip().split("\n")}})
    return item

def user_pre(dialect):
    return f'pm.collectionVariables.set("user", "newman_{dialect}_" + Math.random().toString(16).slice(2, 8));'

def status(step, code):
    return f'pm.test("{step}", () => pm.response.to.have.status({code}));'

U = "{{user}}"
drupal = [
    req("token", "GET", "/session/token", pre=user_pre("drupal"), tests=status("token", 200) + '\npm.test("token is 43 characters", () => pm.expect(pm.response.text()).to.have.lengthOf(43));\npm.collectionVariables.set("token", pm.response.text());'),
    req("register", "POST", "/user/register?_format=json", headers={"X-CSRF-Token": "{{token}}"},
        body={"name": [{"value": U}], "mail": [{"value": U + "@example.com"}], "pass": [{"value": PASSWORD}]},
        tests=status("register", 200) + '\npm.collectionVariables.set("uid", pm.response.json().uid[0].value);'),
    req("login", "POST", "/user/login?_format=json", body={"name": U, "pass": PASSWORD},
        tests=status("login", 200) + '\nconst body = pm.response.json();\npm.collectionVariables.set("csrf_token", body.csrf_token);\npm.collectionVariables.set("logout_token", body.logout_token);'),
    req("status", "GET", "/user/login_status?_format=json", tests='pm.test("status", () => pm.expect(pm.response.text()).to.equal("1"));'),
    req("authenticated call", "PATCH", "/user/{{uid}}?_format=json", headers={"X-CSRF-Token": "{{csrf_token}}"},
        body={"mail": [{"value": U + "@example.org"}], "pass": [{"existing": PASSWORD}]},
        tests=status("authenticated call", 200) + '\npm.test("mail changed", () => pm.expect(pm.response.json().mail[0].value).to.equal(pm.collectionVariables.get("user") + "@example.org"));'),
    req("logout", "POST", "/user/logout?_format=json&token={{logout_token}}", tests=status("logout", 204)),
    req("status after logout", "GET", "/user/login_status?_format=json", tests='pm.test("logout", () => pm.expect(pm.response.text()).to.equal("0"));'),
]

def services(dialect, prefix):
    return [
        req("token", "POST", prefix + "user/token.json", body={}, pre=user_pre(dialect.replace("-", "_")),
            tests=status("token", 200) + '\npm.collectionVariables.set("token", pm.response.json().token);'),
        req("register", "POST", prefix + "user/register.json", headers={"X-CSRF-Token": "{{token}}"},
            body={"name": U, "mail": U + "@example.com", "pass": PASSWORD},
            tests=status("register", 200) + '\npm.collectionVariables.set("uid", pm.response.json().uid);'),
        req("session token", "GET", "/services/session/token", tests=status("session token", 200) + '\npm.collectionVariables.set("token", pm.response.text());'),
        req("logout after registering", "POST", prefix + "user/logout.json", headers={"X-CSRF-Token": "{{token}}"}, body={}, tests=status("register: log out", 200)),
        req("login", "POST", prefix + "user/login.json", body={"username": U, "password": PASSWORD},
            tests=status("login", 200) + '\npm.collectionVariables.set("token", pm.response.json().token);'),
        req("status", "POST", prefix + "system/connect.json", headers={"X-CSRF-Token": "{{token}}"}, body={},
            tests=status("status", 200) + '\npm.test("connected as the new account", () => pm.expect(pm.response.json().user.uid).to.equal(pm.collectionVariables.get("uid")));'),
        req("authenticated call", "GET", prefix + "user/{{uid}}.json",
            tests=status("authenticated call", 200) + '\npm.test("own mail", () => pm.expect(pm.response.json().mail).to.equal(pm.collectionVariables.get("user") + "@example.com"));'),
        req("logout", "POST", prefix + "user/logout.json", headers={"X-CSRF-Token": "{{token}}"}, body={}, tests=status("logout", 200)),
        req("status after logout", "POST", prefix + "system/connect.json", body={},
            tests='pm.test("logout", () => pm.expect(String(pm.response.json().user.uid)).to.equal("0"));'),
    ]

CSRF = {"X-CSRFToken": "{{csrftoken}}"}
django = [
    req("token", "GET", "/auth/login/", pre=user_pre("django"), tests=status("token", 200) + '\npm.test("csrftoken cookie", () => pm.expect(pm.collectionVariables.get("csrftoken")).to.be.a("string"));'),
    req("register", "POST", "/dj-rest-auth/registration/", headers=CSRF,
        body={"username": U, "email": U + "@example.com", "password1": PASSWORD, "password2": PASSWORD}, tests=status("register", 204)),
    req("logout after registering", "POST", "/dj-rest-auth/logout/", headers=CSRF, tests=status("register: log out", 200)),
    req("login", "POST", "/dj-rest-auth/login/", headers=CSRF, body={"username": U, "password": PASSWORD}, tests=status("login", 204)),
    req("status", "GET", "/dj-rest-auth/user/", tests=status("status", 200) + '\npm.test("username", () => pm.expect(pm.response.json().username).to.equal(pm.collectionVariables.get("user")));'),
    req("authenticated call", "POST", "/dj-rest-auth/password/change/", headers=CSRF,
        body={"old_password": PASSWORD, "new_password1": PASSWORD + "!", "new_password2": PASSWORD + "!"}, tests=status("authenticated call", 200)),
    req("logout", "POST", "/dj-rest-auth/logout/", headers=CSRF, tests=status("logout", 200)),
    req("status after logout", "GET", "/dj-rest-auth/user/", tests='pm.test("logout", () => pm.expect(pm.response.code).to.be.oneOf([401, 403]));'),
]

ACCEPT = {"Accept": "application/json"}
POS_CSRF = {"Accept": "application/json", "X-CSRF-Token": "{{pos_csrf}}"}
platformos = [
    req("token", "GET", "/api/sessions", headers=ACCEPT, pre=user_pre("platformos"), tests=status("token", 401)),
    req("register", "POST", "/api/users", headers=ACCEPT,
        body={"form_name": "reference_rest_api_create_users", "form": {"email": U + "@example.com", "password": PASSWORD, "name": U}},
        tests=status("register", 201) + '\npm.collectionVariables.set("uid", pm.response.json().id);'),
    req("login", "POST", "/api/sessions", headers=ACCEPT,
        body={"form_name": "reference_rest_api_create_sessions", "form": {"email": U + "@example.com", "password": PASSWORD}},
        tests=status("login", 201) + '\npm.collectionVariables.set("pos_csrf", pm.response.headers.get("X-CSRF-Token"));'),
    req("status", "GET", "/api/sessions", headers=ACCEPT, tests=status("status", 200) + '\npm.test("email", () => pm.expect(pm.response.json().user.email).to.equal(pm.collectionVariables.get("user") + "@example.com"));'),
    req("authenticated call", "PUT", "/api/users/{{uid}}", headers=POS_CSRF,
        body={"form_name": "reference_rest_api_update_users", "form": {"email": U + "@example.org", "current_password": PASSWORD}}, tests=status("authenticated call", 204)),
    req("logout", "DELETE", "/api/sessions", headers=POS_CSRF, body={"form_name": "reference_rest_api_delete_sessions"}, tests=status("logout", 204)),
    req("status after logout", "GET", "/api/sessions", headers=ACCEPT, tests=status("logout", 401)),
    # A native app keeps no cookies: it asks for the session in X-Session-Token and sends it
    # back in that header, which needs no CSRF token.
    req("login for an app", "POST", "/api/sessions?session_token=true", headers=ACCEPT,
        body={"form_name": "reference_rest_api_create_sessions", "form": {"email": U + "@example.org", "password": PASSWORD}},
        tests=status("login for an app", 201) + '\nconst sessionToken = pm.response.headers.get("X-Session-Token");\npm.test("X-Session-Token", () => pm.expect(sessionToken).to.be.a("string").and.not.empty);\npm.collectionVariables.set("session_token", sessionToken);'),
    req("authenticated call with X-Session-Token", "PUT", "/api/users/{{uid}}", headers={**ACCEPT, "X-Session-Token": "{{session_token}}"},
        body={"form_name": "reference_rest_api_update_users", "form": {"email": U + "@example.com", "current_password": PASSWORD}}, tests=status("authenticated call with X-Session-Token", 204)),
    req("logout with X-Session-Token", "DELETE", "/api/sessions", headers={**ACCEPT, "X-Session-Token": "{{session_token}}"},
        body={"form_name": "reference_rest_api_delete_sessions"}, tests=status("logout with X-Session-Token", 204)),
    req("X-Session-Token after logout", "GET", "/api/sessions", headers={**ACCEPT, "X-Session-Token": "{{session_token}}"}, tests=status("X-Session-Token after logout", 401)),
]

# Django rotates csrftoken at login: every response's Set-Cookie refreshes the variable, as a
# Postman collection for a Django API usually does it.
capture = '''pm.response.headers.each((h) => {
  if (h.key.toLowerCase() === "set-cookie") {
    const m = /^csrftoken=([^;]*)/.exec(h.value);
    if (m && m[1]) pm.collectionVariables.set("csrftoken", m[1]);
  }
});'''

collection = {
    "info": {
        "name": "latch: every dialect's login sequence",
        "description": "Token, register, login, status, an authenticated call and logout in each of latch's dialects, as a Postman user would write them. Run with newman; baseUrl is the server.",
        "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
    },
    "variable": [{"key": "baseUrl", "value": "http://127.0.0.1:8080"}],
    "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": capture.split("\n")}}],
    "item": [
        {"name": "drupal", "item": drupal},
        {"name": "services", "item": services("services", "/rest/")},
        {"name": "services-q", "item": services("services-q", "/?q=rest/")},
        {"name": "django", "item": django},
        {"name": "platformos", "item": platformos},
    ],
}
print(json.dumps(collection, indent=2))
