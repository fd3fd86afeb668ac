//! The HTML pages: the login form, the logged-in state with its logout button, and the CSRF
//! failure page. Self-contained (inline CSS), so they work offline and without JavaScript;
//! where passkeys are on, the login page loads one script of latch's own for its passkey
//! button, which stays hidden without it.

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1b1d21;\
margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}\
main{background:#fff;padding:2rem 2.5rem;border-radius:8px;box-shadow:0 1px 4px #0002;\
width:min(22rem,90vw)}h1{font-size:1.4rem;margin-top:0}label{display:block;font-weight:600;\
margin:1rem 0 .3rem}input[type=text],input[type=password]{width:100%;box-sizing:border-box;\
padding:.55rem;font-size:1rem;border:1px solid #767b85;border-radius:4px}\
input:focus,button:focus{outline:3px solid #2d6cdf;outline-offset:1px}\
button{margin-top:1.4rem;width:100%;padding:.65rem;font-size:1rem;border:0;border-radius:4px;\
background:#1f5fbf;color:#fff;cursor:pointer}.error{background:#fdecea;color:#8a1c12;\
padding:.7rem;border-radius:4px;border:1px solid #f1aea6}code{overflow-wrap:anywhere}";

/// Escapes text for HTML content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>\n",
        escape(title)
    )
}

/// What the login form shows besides its fields.
pub struct LoginForm<'a> {
    pub action: &'a str,
    pub token: &'a str,
    pub next: Option<&'a str>,
    pub username: &'a str,
    pub error: Option<&'a str>,
    /// The passkey button, where passkeys are on.
    pub passkey: Option<PasskeyButton<'a>>,
}

/// Where the passkey button's script and its request options come from.
pub struct PasskeyButton<'a> {
    pub script: &'a str,
    pub options: &'a str,
}

fn passkey_button(form: &LoginForm<'_>, next: &str) -> String {
    let Some(button) = &form.passkey else {
        return String::new();
    };
    format!(
        "<div id=\"passkey\" hidden><p class=\"error\" role=\"alert\" id=\"passkey-error\" \
         hidden></p><button type=\"button\" id=\"passkey-login\" data-options=\"{options}\">\
         Sign in with a passkey</button></div>\
         <form method=\"post\" action=\"{action}\" id=\"passkey-form\" hidden>\
         <input type=\"hidden\" name=\"csrfmiddlewaretoken\" value=\"{token}\">{next}\
         <input type=\"hidden\" name=\"ceremony\"><input type=\"hidden\" name=\"credential\">\
         </form><script src=\"{script}\" defer></script>",
        options = escape(button.options),
        action = escape(form.action),
        token = escape(form.token),
        script = escape(button.script),
    )
}

pub fn login_form(form: &LoginForm<'_>) -> String {
    let error = form.error.map_or(String::new(), |e| {
        format!(
            "<p class=\"error\" role=\"alert\" id=\"login-error\">{}</p>",
            escape(e)
        )
    });
    let described = if form.error.is_some() {
        " aria-describedby=\"login-error\" aria-invalid=\"true\""
    } else {
        ""
    };
    let next = form.next.map_or(String::new(), |n| {
        format!(
            "<input type=\"hidden\" name=\"next\" value=\"{}\">",
            escape(n)
        )
    });
    let body = format!(
        "<h1>Log in</h1>{error}<form method=\"post\" action=\"{action}\">\
         <input type=\"hidden\" name=\"csrfmiddlewaretoken\" value=\"{token}\">{next}\
         <label for=\"id_username\">Username</label>\
         <input type=\"text\" name=\"username\" id=\"id_username\" value=\"{username}\" \
         autocomplete=\"username\" autocapitalize=\"none\" required autofocus{described}>\
         <label for=\"id_password\">Password</label>\
         <input type=\"password\" name=\"password\" id=\"id_password\" \
         autocomplete=\"current-password\" required{described}>\
         <label for=\"id_code\">Authentication code (if your account uses a second factor)\
         </label><input type=\"text\" name=\"code\" id=\"id_code\" inputmode=\"numeric\" \
         autocomplete=\"one-time-code\" autocapitalize=\"none\">\
         <button type=\"submit\" id=\"login-submit\">Log in</button></form>{passkey}",
        passkey = passkey_button(form, &next),
        action = escape(form.action),
        token = escape(form.token),
        username = escape(form.username),
    );
    document("Log in", &body)
}

pub fn logged_in(name: &str, logout_action: &str, token: &str) -> String {
    let body = format!(
        "<h1>Logged in</h1><p id=\"logged-in-as\">You are logged in as \
         <strong>{name}</strong>.</p><form method=\"post\" action=\"{action}\">\
         <input type=\"hidden\" name=\"csrfmiddlewaretoken\" value=\"{token}\">\
         <button type=\"submit\" id=\"logout-submit\">Log out</button></form>",
        name = escape(name),
        action = escape(logout_action),
        token = escape(token),
    );
    document("Logged in", &body)
}

/// The form the reset mail's link opens: it posts the link's `uid` and `token` with the new
/// password, twice, to dj-rest-auth's confirm endpoint.
pub struct ResetForm<'a> {
    pub action: &'a str,
    pub csrf_token: &'a str,
    pub uid: &'a str,
    pub token: &'a str,
}

pub fn reset_form(form: &ResetForm<'_>) -> String {
    let body = format!(
        "<h1>Set a new password</h1><form method=\"post\" action=\"{action}\">\
         <input type=\"hidden\" name=\"csrfmiddlewaretoken\" value=\"{csrf}\">\
         <input type=\"hidden\" name=\"uid\" value=\"{uid}\">\
         <input type=\"hidden\" name=\"token\" value=\"{token}\">\
         <label for=\"id_new_password1\">New password</label>\
         <input type=\"password\" name=\"new_password1\" id=\"id_new_password1\" \
         autocomplete=\"new-password\" required autofocus>\
         <label for=\"id_new_password2\">New password confirmation</label>\
         <input type=\"password\" name=\"new_password2\" id=\"id_new_password2\" \
         autocomplete=\"new-password\" required>\
         <button type=\"submit\" id=\"reset-submit\">Change my password</button></form>",
        action = escape(form.action),
        csrf = escape(form.csrf_token),
        uid = escape(form.uid),
        token = escape(form.token),
    );
    document("Set a new password", &body)
}

pub fn csrf_failure(reason: &str, advice: &str) -> String {
    let body = format!(
        "<h1>Forbidden (403)</h1><p>CSRF verification failed. Request aborted.</p>\
         <p class=\"error\" role=\"alert\">Reason: <code id=\"csrf-reason\">{}</code></p>\
         <p>{}</p>",
        escape(reason),
        escape(advice)
    );
    document("403 Forbidden", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_escaped_everywhere() {
        let page = login_form(&LoginForm {
            action: "/auth/login/",
            token: "t",
            next: Some("/\"><script>"),
            username: "<b>",
            error: Some("a & b"),
            passkey: None,
        });
        assert!(!page.contains("<script>") && !page.contains("<b>"));
        assert!(page.contains("a &amp; b") && page.contains("&quot;&gt;&lt;script&gt;"));
    }
}
