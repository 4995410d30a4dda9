"""Real receivers for what the product sends: an SMTP server (aiosmtpd) and an HTTP server on a thread, each on
a port of its own, that can be stopped (connections refused) and started again on the same port."""
import email
import json
import socket
import threading
import time
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SMTPReceiver:
    """Keeps every mail it accepts in `mails` (email.message.EmailMessage, with its envelope recipients)."""

    def __init__(self):
        self.port = free_port()
        self.mails = []
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        mail = email.message_from_bytes(envelope.content, policy=policy.default)
        self.mails.append((envelope.rcpt_tos, mail))
        return "250 OK"

    def start(self):
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        self.controller.stop()
        self.controller = None

    def to(self, address):
        """The mails to `address`."""
        return [mail for rcpt, mail in self.mails if address in rcpt]


class HTTPReceiver:
    """Answers each POST with the next of `answers` ((status, body bytes), or a callable that writes the answer
    itself), then with `default`; keeps every request in `requests` as {path, query, headers, body}."""

    def __init__(self, default=(200, b'{"errcode":0,"errmsg":"ok"}')):
        self.port = free_port()
        self.requests = []
        self.answers = []
        self.default = default
        self.server = None
        self.lock = threading.Lock()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                parts = urlsplit(self.path)
                with receiver.lock:
                    receiver.requests.append({"path": parts.path, "query": parse_qs(parts.query),
                                              "headers": dict(self.headers), "body": body})
                    answer = receiver.answers.pop(0) if receiver.answers else receiver.default
                if callable(answer):
                    answer(self)
                    return
                status, reply = answer
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)  # reuses the port, daemon threads
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.server = None

    def json_bodies(self):
        return [json.loads(r["body"]) for r in self.requests]


def slow(seconds):
    """An answer that comes after `seconds`."""
    def answer(handler):
        time.sleep(seconds)
        handler.send_response(200)
        handler.send_header("Content-Length", "2")
        handler.end_headers()
        handler.wfile.write(b"{}")
    return answer


def trickling(total_seconds, chunk=b"x"):
    """A 200 whose body comes a byte at a time for `total_seconds`, without end."""
    def answer(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", str(10 ** 9))
        handler.end_headers()
        deadline = time.monotonic() + total_seconds
        try:
            while time.monotonic() < deadline:
                handler.wfile.write(chunk)
                handler.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass  # the sender hung up, as it should
    return answer
