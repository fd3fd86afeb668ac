// The login page's "Sign in with a passkey": asks latch for request options, lets the
// browser's authenticator answer them, and submits the answer with the login form's CSRF
// token and next, so the server answers as it does to the form. Served by latch from its own
// origin, so the page's Content-Security-Policy allows no other script.
(function () {
  "use strict";
  var box = document.getElementById("passkey");
  var button = document.getElementById("passkey-login");
  var form = document.getElementById("passkey-form");
  var error = document.getElementById("passkey-error");
  if (!box || !button || !form || !window.PublicKeyCredential || !navigator.credentials) {
    return;
  }
  box.hidden = false;

  function buffer(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function text(data) {
    var bytes = new Uint8Array(data);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) {
      raw += String.fromCharCode(bytes[i]);
    }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function fail(message) {
    error.textContent = message;
    error.hidden = false;
    button.disabled = false;
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    error.hidden = true;
    fetch(button.getAttribute("data-options"), {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) {
            throw new Error(body.message || "Passkeys are not available.");
          }
          return body;
        });
      })
      .then(function (answer) {
        var options = answer.publicKey;
        options.challenge = buffer(options.challenge);
        (options.allowCredentials || []).forEach(function (allowed) {
          allowed.id = buffer(allowed.id);
        });
        return navigator.credentials.get({ publicKey: options }).then(function (credential) {
          var response = credential.response;
          form.elements.ceremony.value = answer.ceremony;
          form.elements.credential.value = JSON.stringify({
            id: credential.id,
            rawId: text(credential.rawId),
            type: credential.type,
            response: {
              authenticatorData: text(response.authenticatorData),
              clientDataJSON: text(response.clientDataJSON),
              signature: text(response.signature),
              userHandle: response.userHandle ? text(response.userHandle) : null,
            },
            extensions: {},
          });
          form.submit();
        });
      })
      .catch(function (problem) {
        var cancelled = problem && problem.name === "NotAllowedError";
        fail(cancelled ? "The passkey sign-in was cancelled or timed out." : String(problem.message || problem));
      });
  });
})();
