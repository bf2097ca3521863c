#!/usr/bin/python3
"""A webhook receiver for tests: listens on loopback, records every request
it gets as one JSON line, and answers from a script of responses.

It is also usable as a stand-in HTTP proxy: a request whose target is an
absolute URL ("POST http://host:port/path") is recorded like any other, with
that URL as its path, so a test can tell that a client went through it.

    webhook-receiver.py --log FILE [--script SPEC[,SPEC...]] [--secret whsec_...]
                        [--cert PEM --key PEM] [--port-file FILE] [--port PORT] [--serial]

Prints the port it listens on as the first line of stdout. Each SPEC is
    STATUS[;location=URL][;sleep=SECONDS][;body=BYTES][;retry_after=SECONDS]
one per request in order; the last one repeats. With --secret, each record
says whether the Standard Webhooks signature verified (computed here with
Python's hmac module, independently of the C code under test). With
--serial it takes one message at a time, like an endpoint with a rate
limit: the others wait in their connections until it has answered.
"""

import argparse
import base64
import hashlib
import hmac
import http.server
import json
import socketserver
import ssl
import sys
import threading
import time


def parse_script(text):
    steps = []
    for spec in text.split(","):
        parts = spec.strip().split(";")
        step = {"status": int(parts[0])}
        for p in parts[1:]:
            key, _, value = p.partition("=")
            step[key] = value
        steps.append(step)
    return steps


def verify_signature(secret, headers, body):
    """The Standard Webhooks v1 check, written from the specification."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        return False
    key = base64.b64decode(secret[len("whsec_"):] if secret.startswith("whsec_") else secret)
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for entry in signatures.split(" "):
        version, _, sig = entry.partition(",")
        if version == "v1" and hmac.compare_digest(sig, expected):
            return True
    return False


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.log = open(args.log, "a", encoding="utf-8")
        self.steps = parse_script(args.script)
        self.count = 0
        self.secret = args.secret
        self.serial = threading.Lock() if args.serial else None

    def next_step(self):
        with self.lock:
            step = self.steps[min(self.count, len(self.steps) - 1)]
            self.count += 1
            return step

    def record(self, entry):
        with self.lock:
            self.log.write(json.dumps(entry) + "\n")
            self.log.flush()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_any(self):
        state = self.server.state
        if state.serial:
            with state.serial:
                self.handle_one()
        else:
            self.handle_one()

    def handle_one(self):
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        entry = {
            "method": self.command,
            "path": self.path,
            "headers": headers,
            "body": body.decode("utf-8", "replace"),
            "time": time.time(),
        }
        if state.secret:
            entry["signature_valid"] = verify_signature(state.secret, headers, body)
        state.record(entry)

        step = state.next_step()
        if "sleep" in step:
            time.sleep(float(step["sleep"]))
        payload = b"x" * int(step["body"]) if "body" in step else b"ok\n"
        try:
            self.send_response(step["status"])
            if "location" in step:
                self.send_header("Location", step["location"])
            if "retry_after" in step:
                self.send_header("Retry-After", step["retry_after"])
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass

    do_POST = handle_any
    do_GET = handle_any
    do_PUT = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # Clients that hang up early are part of the tests (timeouts, capped
        # responses, failed TLS handshakes): one line, not a traceback.
        sys.stderr.write("webhook-receiver: %r\n" % (sys.exc_info()[1],))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", required=True)
    parser.add_argument("--script", default="200")
    parser.add_argument("--secret")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    # A fixed port, for a receiver that goes down and comes back where the
    # sender expects it. Default: any free one.
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--serial", action="store_true")
    args = parser.parse_args()

    server = Server(("127.0.0.1", args.port), Handler)
    server.state = State(args)
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)

    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
