// axios with a tough-cookie jar (axios-cookiejar-support), as Node apps and tests use it
// against a real Drupal or Django site, driving each latch dialect's whole sequence: token,
// register, login, status, an authenticated call, logout.
//
// Usage: node axios_clients.mjs BASE_URL
// Prints one line per dialect, `PASS axios <dialect>` or `FAIL axios <dialect>: <step>: …`,
// and exits 1 if any failed.

import { randomBytes } from "node:crypto";

import axios from "axios";
import { wrapper } from "axios-cookiejar-support";
import { CookieJar } from "tough-cookie";

const PASSWORD = "a long pass phrase 1";
const base = process.argv[2].replace(/\/$/, "");

function client() {
  const jar = new CookieJar();
  const http = wrapper(
    axios.create({
      baseURL: base,
      jar,
      maxRedirects: 0,
      validateStatus: () => true,
      // Keep the body as text: login_status answers a bare 1 or 0.
      transformResponse: [(data) => data],
    }),
  );
  return {
    async send(method, url, { headers = {}, json } = {}) {
      const response = await http.request({ method, url, headers, data: json });
      return { status: response.status, headers: response.headers, text: response.data ?? "" };
    },
    async cookie(name) {
      const cookies = await jar.getCookies(base);
      return cookies.find((c) => c.key === name)?.value;
    },
  };
}

function expect(step, condition, answer) {
  if (!condition) {
    const detail = answer ? `${answer.status} ${String(answer.text).slice(0, 300)}` : "";
    throw new Error(`${step}: ${detail}`);
  }
}

const json = (answer) => JSON.parse(answer.text);

async function drupal(c, user) {
  const token = await c.send("GET", "/session/token");
  expect("token", token.status === 200 && token.text.length === 43, token);
  const registered = await c.send("POST", "/user/register?_format=json", {
    headers: { "X-CSRF-Token": token.text },
    json: {
      name: [{ value: user }],
      mail: [{ value: `${user}@example.com` }],
      pass: [{ value: PASSWORD }],
    },
  });
  expect("register", registered.status === 200, registered);
  const uid = json(registered).uid[0].value;
  const login = await c.send("POST", "/user/login?_format=json", {
    json: { name: user, pass: PASSWORD },
  });
  expect("login", login.status === 200, login);
  const tokens = json(login);
  const status = await c.send("GET", "/user/login_status?_format=json");
  expect("status", status.text === "1", status);
  const me = await c.send("PATCH", `/user/${uid}?_format=json`, {
    headers: { "X-CSRF-Token": tokens.csrf_token },
    json: { mail: [{ value: `${user}@example.org` }], pass: [{ existing: PASSWORD }] },
  });
  expect("authenticated call", me.status === 200, me);
  expect("authenticated call", json(me).mail[0].value === `${user}@example.org`, me);
  const logout = await c.send("POST", `/user/logout?_format=json&token=${tokens.logout_token}`);
  expect("logout", logout.status === 204, logout);
  const after = await c.send("GET", "/user/login_status?_format=json");
  expect("logout", after.text === "0", after);
}

async function services(c, user, prefix = "/rest/") {
  // Bodiless POSTs go as JSON, as jDrupal and DrupalGap send them.
  const token = await c.send("POST", `${prefix}user/token.json`, { json: {} });
  expect("token", token.status === 200, token);
  const registered = await c.send("POST", `${prefix}user/register.json`, {
    headers: { "X-CSRF-Token": json(token).token },
    json: { name: user, mail: `${user}@example.com`, pass: PASSWORD },
  });
  expect("register", registered.status === 200, registered);
  const uid = json(registered).uid;
  // Without mail verification Drupal 7 logs the new account in; log out to log in for real.
  const sessionToken = await c.send("GET", "/services/session/token");
  const out = await c.send("POST", `${prefix}user/logout.json`, {
    headers: { "X-CSRF-Token": sessionToken.text },
    json: {},
  });
  expect("register", out.status === 200, out);
  const login = await c.send("POST", `${prefix}user/login.json`, {
    json: { username: user, password: PASSWORD },
  });
  expect("login", login.status === 200, login);
  const csrf = { "X-CSRF-Token": json(login).token };
  const connect = await c.send("POST", `${prefix}system/connect.json`, { headers: csrf, json: {} });
  expect("status", connect.status === 200 && json(connect).user.uid === uid, connect);
  const me = await c.send("GET", `${prefix}user/${uid}.json`);
  expect("authenticated call", me.status === 200 && json(me).mail === `${user}@example.com`, me);
  const logout = await c.send("POST", `${prefix}user/logout.json`, { headers: csrf, json: {} });
  expect("logout", logout.status === 200, logout);
  const after = await c.send("POST", `${prefix}system/connect.json`, { json: {} });
  expect("logout", String(json(after).user.uid) === "0", after);
}

async function django(c, user) {
  const page = await c.send("GET", "/auth/login/");
  expect("token", page.status === 200 && (await c.cookie("csrftoken")), page);
  const csrf = async () => ({ "X-CSRFToken": await c.cookie("csrftoken") });
  const registered = await c.send("POST", "/dj-rest-auth/registration/", {
    headers: await csrf(),
    json: { username: user, email: `${user}@example.com`, password1: PASSWORD, password2: PASSWORD },
  });
  expect("register", registered.status === 204, registered);
  // Registration logs in; log out to log in for real.
  const out = await c.send("POST", "/dj-rest-auth/logout/", { headers: await csrf() });
  expect("register", out.status === 200, out);
  const login = await c.send("POST", "/dj-rest-auth/login/", {
    headers: await csrf(),
    json: { username: user, password: PASSWORD },
  });
  expect("login", login.status === 204 && (await c.cookie("sessionid")), login);
  const me = await c.send("GET", "/dj-rest-auth/user/");
  expect("status", me.status === 200 && json(me).username === user, me);
  const changed = await c.send("POST", "/dj-rest-auth/password/change/", {
    headers: await csrf(),
    json: { old_password: PASSWORD, new_password1: `${PASSWORD}!`, new_password2: `${PASSWORD}!` },
  });
  expect("authenticated call", changed.status === 200, changed);
  const logout = await c.send("POST", "/dj-rest-auth/logout/", { headers: await csrf() });
  expect("logout", logout.status === 200, logout);
  const after = await c.send("GET", "/dj-rest-auth/user/");
  expect("logout", after.status === 401 || after.status === 403, after);
}

async function platformos(c, user) {
  const accept = { Accept: "application/json" };
  const anonymous = await c.send("GET", "/api/sessions", { headers: accept });
  expect("token", anonymous.status === 401, anonymous);
  const mail = `${user}@example.com`;
  const registered = await c.send("POST", "/api/users", {
    headers: accept,
    json: {
      form_name: "reference_rest_api_create_users",
      form: { email: mail, password: PASSWORD, name: user },
    },
  });
  expect("register", registered.status === 201, registered);
  const uid = json(registered).id;
  const login = await c.send("POST", "/api/sessions", {
    headers: accept,
    json: { form_name: "reference_rest_api_create_sessions", form: { email: mail, password: PASSWORD } },
  });
  expect("login", login.status === 201, login);
  const csrf = { ...accept, "X-CSRF-Token": login.headers["x-csrf-token"] };
  const status = await c.send("GET", "/api/sessions", { headers: accept });
  expect("status", status.status === 200 && json(status).user.email === mail, status);
  const updated = await c.send("PUT", `/api/users/${uid}`, {
    headers: csrf,
    json: {
      form_name: "reference_rest_api_update_users",
      form: { email: `${user}@example.org`, current_password: PASSWORD },
    },
  });
  expect("authenticated call", updated.status === 204, updated);
  const out = await c.send("DELETE", "/api/sessions", {
    headers: csrf,
    json: { form_name: "reference_rest_api_delete_sessions" },
  });
  expect("logout", out.status === 204, out);
  const after = await c.send("GET", "/api/sessions", { headers: accept });
  expect("logout", after.status === 401, after);
}

const dialects = [
  ["drupal", drupal],
  ["services", services],
  ["services-q", (c, user) => services(c, user, "/?q=rest/")],
  ["django", django],
  ["platformos", platformos],
];

let failed = false;
for (const [dialect, run] of dialects) {
  const user = `axios_${dialect.replace("-", "_")}_${randomBytes(3).toString("hex")}`;
  try {
    await run(client(), user);
    console.log(`PASS axios ${dialect}`);
  } catch (e) {
    failed = true;
    console.log(`FAIL axios ${dialect}: ${e.message}`);
  }
}
process.exit(failed ? 1 : 0);
