"""A loopback SMTP server for latch's integration tests.

Every message it accepts is written, decoded, to DIR as one JSON file:
{"from", "to", "subject", "message_id", "text", "html"}. With --reply it refuses every message
with that SMTP reply instead (e.g. "451 4.3.0 Try again later" or "550 5.1.1 No such user").
--delay makes it wait that many seconds before answering DATA, like a slow server.

Usage: python3 sink.py --port PORT --dir DIR [--reply "CODE TEXT"] [--delay SECONDS]
It prints "ready" once it accepts connections, and runs until it is killed.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import uuid

from aiosmtpd.controller import Controller


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
        }
        name = uuid.uuid4().hex
        temporary = os.path.join(self.directory, name + ".tmp")
        with open(temporary, "w", encoding="utf-8") as out:
            json.dump(record, out)
        # Renamed into place so a reader never sees half a message.
        os.rename(temporary, os.path.join(self.directory, name + ".json"))
        return "250 OK"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--reply")
    parser.add_argument("--delay", type=float, default=0)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    # Blocked before the server thread starts, so only sigwait below receives them.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    controller = Controller(
        Sink(args.dir, args.reply, args.delay), hostname="127.0.0.1", port=args.port
    )
    controller.start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


if __name__ == "__main__":
    main()
