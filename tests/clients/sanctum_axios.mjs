// axios in Node with a tough-cookie jar, driving Laravel Sanctum's SPA flow against latch as
// a Laravel front end's server-side code or test suite does: GET /sanctum/csrf-cookie, then
// every unsafe request with the XSRF-TOKEN cookie's value in X-XSRF-TOKEN (the browser's
// axios copies it by itself; in Node the jar holds it), and an Origin on the stateful list.
// Then an app's token from /sanctum/token as `Authorization: Bearer`.
//
// Usage: node sanctum_axios.mjs BASE_URL ORIGIN STACK   (STACK: fortify or breeze)
// Prints one line per flow, `PASS sanctum-axios <flow>` or `FAIL sanctum-axios <flow>: …`,
// and exits 1 if any failed.

import { randomBytes } from "node:crypto";

import axios from "axios";
import { wrapper } from "axios-cookiejar-support";
import { CookieJar } from "tough-cookie";

const [base, origin, stack] = process.argv.slice(2);
const PASSWORD = "a long pass phrase 1";

function spa() {
  const jar = new CookieJar();
  const http = wrapper(
    axios.create({
      baseURL: base.replace(/\/$/, ""),
      jar,
      withCredentials: true,
      maxRedirects: 0,
      validateStatus: () => true,
      headers: { Accept: "application/json", Origin: origin, Referer: `${origin}/` },
    }),
  );
  // What the browser's axios does with withXSRFToken: the cookie's value, URL-decoded.
  http.interceptors.request.use(async (config) => {
    const cookies = await jar.getCookies(base);
    const xsrf = cookies.find((c) => c.key === "XSRF-TOKEN");
    if (xsrf) config.headers["X-XSRF-TOKEN"] = decodeURIComponent(xsrf.value);
    return config;
  });
  return { http, jar };
}

function expect(step, condition, response) {
  if (!condition) {
    const body = response ? JSON.stringify(response.data)?.slice(0, 300) : "";
    throw new Error(`${step}: ${response?.status} ${body}`);
  }
}

async function session() {
  const { http, jar } = spa();
  const user = `spa${randomBytes(4).toString("hex")}`;
  const email = `${user}@example.com`;
  const csrf = await http.get("/sanctum/csrf-cookie");
  expect("csrf-cookie", csrf.status === 204, csrf);
  const xsrf = (await jar.getCookies(base)).find((c) => c.key === "XSRF-TOKEN");
  expect("csrf-cookie readable by scripts", xsrf && !xsrf.httpOnly, csrf);

  const refused = await axios.post(`${base}/login`, { email, password: PASSWORD }, {
    validateStatus: () => true,
    headers: { Accept: "application/json" },
  });
  expect("login without the token is 419", refused.status === 419, refused);
  expect("419 message", refused.data.message === "CSRF token mismatch.", refused);

  const registered = await http.post("/register", {
    name: user, email, password: PASSWORD, password_confirmation: PASSWORD,
  });
  expect("register", registered.status === (stack === "fortify" ? 201 : 204), registered);
  const me = await http.get("/api/user");
  expect("user after register", me.status === 200 && me.data.email === email, me);
  expect("user shape", me.data.created_at.endsWith(".000000Z") && me.data.name === user, me);

  const out = await http.post("/logout");
  expect("logout", out.status === 204, out);
  const gone = await http.get("/api/user");
  expect("user after logout", gone.status === 401 && gone.data.message === "Unauthenticated.", gone);

  const wrong = await http.post("/login", { email, password: "not the password" });
  expect("wrong password", wrong.status === 422, wrong);
  expect("wrong password text", wrong.data.errors.email[0] === "These credentials do not match our records.", wrong);

  const login = await http.post("/login", { email, password: PASSWORD, remember: true });
  if (stack === "fortify") {
    expect("login", login.status === 200 && login.data.two_factor === false, login);
  } else {
    expect("login", login.status === 204, login);
  }
  const again = await http.get("/api/user");
  expect("user after login", again.status === 200 && again.data.email === email, again);
  const last = await http.post("/logout");
  expect("logout again", last.status === 204, last);
  return email;
}

async function token(email) {
  const app = axios.create({ baseURL: base, validateStatus: () => true, headers: { Accept: "application/json" } });
  const issued = await app.post("/sanctum/token", { email, password: PASSWORD, device_name: "phone" });
  expect("token", issued.status === 200 && /^[0-9a-f]{32}\|latch_pat_/.test(issued.data), issued);
  const me = await app.get("/api/user", { headers: { Authorization: `Bearer ${issued.data}` } });
  expect("user by token", me.status === 200 && me.data.email === email, me);
  const forged = issued.data.replace(/^[0-9a-f]/, (c) => (c === "0" ? "1" : "0"));
  const refused = await app.get("/api/user", { headers: { Authorization: `Bearer ${forged}` } });
  expect("token with another id", refused.status === 401, refused);
}

let failed = false;
let email;
for (const [flow, run] of [["session", async () => { email = await session(); }], ["token", () => token(email)]]) {
  try {
    await run();
    console.log(`PASS sanctum-axios ${flow}`);
  } catch (error) {
    failed = true;
    console.log(`FAIL sanctum-axios ${flow}: ${error.message}`);
  }
}
process.exit(failed ? 1 : 0);
