"""A loopback SMTP server for latch's integration tests.

Every message it accepts is written, decoded, to DIR as one JSON file:
{"from", "to", "subject", "message_id", "text", "html", "tls", "login"}, where "tls" says
whether the message came over an encrypted connection and "login" is the user that
authenticated (or null). With --reply it refuses every message with that SMTP reply instead
(e.g. "451 4.3.0 Try again later" or "550 5.1.1 No such user"). --delay makes it wait that many
seconds before answering DATA, like a slow server.

TLS: --tls starttls offers STARTTLS with the certificate --cert and key --key (with
--require-starttls it refuses to take mail before the upgrade); --tls implicit speaks TLS from
the first byte (SMTPS). --auth USER:PASSWORD requires that login before taking mail, and
offers AUTH only over TLS.

Usage: python3 sink.py --port PORT --dir DIR [--reply "CODE TEXT"] [--delay SECONDS]
         [--tls starttls|implicit --cert PEM --key PEM] [--require-starttls] [--auth USER:PASS]
It prints "ready" once it accepts connections, and runs until it is killed.
"""

import argparse
import asyncio
import email
import email.policy
import json
import logging
import os
import signal
import ssl
import uuid
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword, TLSSetupException


class Sink:
    def __init__(self, directory, reply, delay):
        self.directory = directory
        self.reply = reply
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.reply:
            return self.reply
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        record = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "subject": str(message["subject"] or ""),
            "message_id": str(message["message-id"] or ""),
            "text": text.get_content() if text is not None else "",
            "html": html.get_content() if html is not None else None,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "login": session.auth_data.login.decode() if session.authenticated else None,
        }
        name = uuid.uuid4().hex
        temporary = os.path.join(self.directory, name + ".tmp")
        with open(temporary, "w", encoding="utf-8") as out:
            json.dump(record, out)
        # Renamed into place so a reader never sees half a message.
        os.rename(temporary, os.path.join(self.directory, name + ".json"))
        return "250 OK"


class Authenticator:
    def __init__(self, user, password):
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        good = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.user
            and auth_data.password == self.password
        )
        # handled=False: aiosmtpd itself then answers a refusal with 535.
        return AuthResult(success=good, handled=False, auth_data=auth_data)


def tls_options(args):
    """The Controller arguments for the --tls, --require-starttls and --auth options."""
    options = {}
    if args.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
        if args.tls == "starttls":
            options["tls_context"] = context
            options["require_starttls"] = args.require_starttls
        else:
            options["ssl_context"] = context
    if args.auth:
        user, _, password = args.auth.partition(":")
        options["authenticator"] = Authenticator(user, password)
        options["auth_required"] = True
        # aiosmtpd counts only a STARTTLS upgrade as TLS; an implicit TLS connection is
        # encrypted from the start, so AUTH is safe there too.
        options["auth_require_tls"] = args.tls != "implicit"
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
    return options


def not_a_refused_handshake(record):
    """Drops the traceback aiosmtpd logs when a client rejects the certificate: the tests that
    do so expect it."""
    error = record.exc_info[1] if record.exc_info else None
    return not isinstance(error, (TLSSetupException, ssl.SSLError))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--reply")
    parser.add_argument("--delay", type=float, default=0)
    parser.add_argument("--tls", choices=["starttls", "implicit"])
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--require-starttls", action="store_true")
    parser.add_argument("--auth")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    # aiosmtpd warns about its own deprecated session attribute and about AUTH without STARTTLS
    # (see above); real errors still show.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    logging.getLogger("mail.log").addFilter(not_a_refused_handshake)
    # Blocked before the server thread starts, so only sigwait below receives them.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    controller = Controller(
        Sink(args.dir, args.reply, args.delay),
        hostname="127.0.0.1",
        port=args.port,
        **tls_options(args),
    )
    controller.start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


if __name__ == "__main__":
    main()
