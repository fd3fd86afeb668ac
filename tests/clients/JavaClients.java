// Java's own java.net.http.HttpClient with a CookieManager, as its documentation sets it up,
// driving each latch dialect's whole sequence: token, register, login, status, an
// authenticated call, logout. Runs from source (Java 11+): java JavaClients.java BASE_URL
// Prints one line per dialect, `PASS java <dialect>` or `FAIL java <dialect>: <step>: …`,
// and exits 1 if any failed.

import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.HttpCookie;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class JavaClients {
    static final String PASSWORD = "a long pass phrase 1";
    static String base;

    static class Failure extends Exception {
        Failure(String message) {
            super(message);
        }
    }

    static class Client {
        final CookieManager cookies = new CookieManager(null, CookiePolicy.ACCEPT_ALL);
        final HttpClient http = HttpClient.newBuilder()
                .cookieHandler(cookies)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();

        HttpResponse<String> send(String method, String path, String json, String... headers)
                throws Exception {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path));
            for (int i = 0; i < headers.length; i += 2) {
                request.header(headers[i], headers[i + 1]);
            }
            if (json != null) {
                request.header("Content-Type", "application/json");
            }
            request.method(method, json == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(json));
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        }

        String cookie(String name) {
            for (HttpCookie cookie : cookies.getCookieStore().getCookies()) {
                if (cookie.getName().equals(name)) {
                    return cookie.getValue();
                }
            }
            return null;
        }
    }

    static void expect(String step, boolean condition, HttpResponse<String> answer)
            throws Failure {
        if (!condition) {
            String body = answer == null ? "" : answer.body();
            String status = answer == null ? "" : answer.statusCode() + " ";
            throw new Failure(step + ": " + status + body.substring(0, Math.min(300, body.length())));
        }
    }

    /** The first value of `"key": value` in a JSON text, as text (quotes dropped). */
    static String field(String json, String key) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\"\\s*:\\s*(?:\"([^\"]*)\"|(-?\\d+))")
                .matcher(json);
        if (!m.find()) {
            return null;
        }
        return m.group(1) != null ? m.group(1) : m.group(2);
    }

    static void drupal(Client c, String user) throws Exception {
        var token = c.send("GET", "/session/token", null);
        expect("token", token.statusCode() == 200 && token.body().length() == 43, token);
        var registered = c.send("POST", "/user/register?_format=json",
                "{\"name\":[{\"value\":\"" + user + "\"}],\"mail\":[{\"value\":\"" + user
                        + "@example.com\"}],\"pass\":[{\"value\":\"" + PASSWORD + "\"}]}",
                "X-CSRF-Token", token.body());
        expect("register", registered.statusCode() == 200, registered);
        String uid = field(registered.body(), "value");
        var login = c.send("POST", "/user/login?_format=json",
                "{\"name\":\"" + user + "\",\"pass\":\"" + PASSWORD + "\"}");
        expect("login", login.statusCode() == 200, login);
        var status = c.send("GET", "/user/login_status?_format=json", null);
        expect("status", status.body().equals("1"), status);
        var me = c.send("PATCH", "/user/" + uid + "?_format=json",
                "{\"mail\":[{\"value\":\"" + user + "@example.org\"}],\"pass\":[{\"existing\":\""
                        + PASSWORD + "\"}]}",
                "X-CSRF-Token", field(login.body(), "csrf_token"));
        expect("authenticated call", me.statusCode() == 200
                && me.body().contains(user + "@example.org"), me);
        var logout = c.send("POST", "/user/logout?_format=json&token="
                + field(login.body(), "logout_token"), null);
        expect("logout", logout.statusCode() == 204, logout);
        status = c.send("GET", "/user/login_status?_format=json", null);
        expect("logout", status.body().equals("0"), status);
    }

    static void services(Client c, String user, String prefix) throws Exception {
        // Bodiless POSTs go as JSON, as jDrupal and DrupalGap send them.
        var token = c.send("POST", prefix + "user/token.json", "{}");
        expect("token", token.statusCode() == 200, token);
        var registered = c.send("POST", prefix + "user/register.json",
                "{\"name\":\"" + user + "\",\"mail\":\"" + user + "@example.com\",\"pass\":\""
                        + PASSWORD + "\"}",
                "X-CSRF-Token", field(token.body(), "token"));
        expect("register", registered.statusCode() == 200, registered);
        String uid = field(registered.body(), "uid");
        // Without mail verification Drupal 7 logs the new account in; log out to log in.
        var sessionToken = c.send("GET", "/services/session/token", null);
        var out = c.send("POST", prefix + "user/logout.json", "{}",
                "X-CSRF-Token", sessionToken.body());
        expect("register", out.statusCode() == 200, out);
        var login = c.send("POST", prefix + "user/login.json",
                "{\"username\":\"" + user + "\",\"password\":\"" + PASSWORD + "\"}");
        expect("login", login.statusCode() == 200, login);
        String csrf = field(login.body(), "token");
        var connect = c.send("POST", prefix + "system/connect.json", "{}", "X-CSRF-Token", csrf);
        expect("status", connect.statusCode() == 200
                && uid.equals(field(connect.body(), "uid")), connect);
        var me = c.send("GET", prefix + "user/" + uid + ".json", null);
        expect("authenticated call", me.statusCode() == 200
                && (user + "@example.com").equals(field(me.body(), "mail")), me);
        var logout = c.send("POST", prefix + "user/logout.json", "{}", "X-CSRF-Token", csrf);
        expect("logout", logout.statusCode() == 200, logout);
        connect = c.send("POST", prefix + "system/connect.json", "{}");
        expect("logout", "0".equals(field(connect.body(), "uid")), connect);
    }

    static void django(Client c, String user) throws Exception {
        var page = c.send("GET", "/auth/login/", null);
        expect("token", page.statusCode() == 200 && c.cookie("csrftoken") != null, page);
        var registered = c.send("POST", "/dj-rest-auth/registration/",
                "{\"username\":\"" + user + "\",\"email\":\"" + user
                        + "@example.com\",\"password1\":\"" + PASSWORD + "\",\"password2\":\""
                        + PASSWORD + "\"}",
                "X-CSRFToken", c.cookie("csrftoken"));
        expect("register", registered.statusCode() == 204, registered);
        // Registration logs in; log out to log in for real.
        var out = c.send("POST", "/dj-rest-auth/logout/", null, "X-CSRFToken", c.cookie("csrftoken"));
        expect("register", out.statusCode() == 200, out);
        var login = c.send("POST", "/dj-rest-auth/login/",
                "{\"username\":\"" + user + "\",\"password\":\"" + PASSWORD + "\"}",
                "X-CSRFToken", c.cookie("csrftoken"));
        expect("login", login.statusCode() == 204 && c.cookie("sessionid") != null, login);
        var me = c.send("GET", "/dj-rest-auth/user/", null);
        expect("status", me.statusCode() == 200 && user.equals(field(me.body(), "username")), me);
        var changed = c.send("POST", "/dj-rest-auth/password/change/",
                "{\"old_password\":\"" + PASSWORD + "\",\"new_password1\":\"" + PASSWORD
                        + "!\",\"new_password2\":\"" + PASSWORD + "!\"}",
                "X-CSRFToken", c.cookie("csrftoken"));
        expect("authenticated call", changed.statusCode() == 200, changed);
        var logout = c.send("POST", "/dj-rest-auth/logout/", null, "X-CSRFToken", c.cookie("csrftoken"));
        expect("logout", logout.statusCode() == 200, logout);
        me = c.send("GET", "/dj-rest-auth/user/", null);
        expect("logout", me.statusCode() == 401 || me.statusCode() == 403, me);
    }

    static void platformos(Client c, String user) throws Exception {
        var anonymous = c.send("GET", "/api/sessions", null, "Accept", "application/json");
        expect("token", anonymous.statusCode() == 401, anonymous);
        String mail = user + "@example.com";
        var registered = c.send("POST", "/api/users",
                "{\"form_name\":\"reference_rest_api_create_users\",\"form\":{\"email\":\"" + mail
                        + "\",\"password\":\"" + PASSWORD + "\",\"name\":\"" + user + "\"}}",
                "Accept", "application/json");
        expect("register", registered.statusCode() == 201, registered);
        String uid = field(registered.body(), "id");
        var login = c.send("POST", "/api/sessions",
                "{\"form_name\":\"reference_rest_api_create_sessions\",\"form\":{\"email\":\""
                        + mail + "\",\"password\":\"" + PASSWORD + "\"}}",
                "Accept", "application/json");
        expect("login", login.statusCode() == 201, login);
        String csrf = login.headers().firstValue("x-csrf-token").orElse("");
        var status = c.send("GET", "/api/sessions", null, "Accept", "application/json");
        expect("status", status.statusCode() == 200 && mail.equals(field(status.body(), "email")), status);
        var updated = c.send("PUT", "/api/users/" + uid,
                "{\"form_name\":\"reference_rest_api_update_users\",\"form\":{\"email\":\"" + user
                        + "@example.org\",\"current_password\":\"" + PASSWORD + "\"}}",
                "Accept", "application/json", "X-CSRF-Token", csrf);
        expect("authenticated call", updated.statusCode() == 204, updated);
        var out = c.send("DELETE", "/api/sessions",
                "{\"form_name\":\"reference_rest_api_delete_sessions\"}",
                "Accept", "application/json", "X-CSRF-Token", csrf);
        expect("logout", out.statusCode() == 204, out);
        status = c.send("GET", "/api/sessions", null, "Accept", "application/json");
        expect("logout", status.statusCode() == 401, status);
    }

    interface Sequence {
        void run(Client c, String user) throws Exception;
    }

    public static void main(String[] args) {
        base = args[0].replaceAll("/$", "");
        String[] names = {"drupal", "services", "services-q", "django", "platformos"};
        Sequence[] sequences = {
            JavaClients::drupal,
            (c, user) -> services(c, user, "/rest/"),
            (c, user) -> services(c, user, "/?q=rest/"),
            JavaClients::django,
            JavaClients::platformos,
        };
        boolean failed = false;
        SecureRandom random = new SecureRandom();
        for (int i = 0; i < names.length; i++) {
            byte[] suffix = new byte[3];
            random.nextBytes(suffix);
            String user = "java_" + names[i].replace("-", "_") + "_" + HexFormat.of().formatHex(suffix);
            try {
                sequences[i].run(new Client(), user);
                System.out.println("PASS java " + names[i]);
            } catch (Exception e) {
                failed = true;
                System.out.println("FAIL java " + names[i] + ": " + e.getMessage());
            }
        }
        System.exit(failed ? 1 : 0);
    }
}
