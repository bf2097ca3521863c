#!/usr/bin/python3
"""A real browser on a real review page: Debian's chromium, headless,
driven through chromedriver's WebDriver HTTP API (Python's standard library
only), opens the review link a real jitd sent to a real webhook receiver,
clicks Approve, and must see the result page; meanwhile a requester waits
on io.jit.WaitDecision, as pam_jit does, and must be released with the
approver's name and the grant's end. Screenshots of both pages are kept in
--artifacts.

    browser-review.py --jitd PATH --receiver PATH --artifacts DIR

Exits 77 (skipped) without root, chromium or chromedriver.
"""

import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C WebDriver element key


def skip(why):
    print("browser-review: skipped: " + why)
    sys.exit(77)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what, predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class Varlink:
    """io.jit over its AF_UNIX socket: JSON messages ending in a NUL."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(path)
        self.buf = b""

    def send(self, method, parameters, more=False):
        parameters = dict(parameters, protocol=1)
        msg = {"method": method, "parameters": parameters}
        if more:
            msg["more"] = True
        self.sock.sendall(json.dumps(msg).encode() + b"\0")

    def receive(self):
        while b"\0" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("jitd closed the connection")
            self.buf += chunk
        msg, _, self.buf = self.buf.partition(b"\0")
        return json.loads(msg)

    def call(self, method, **parameters):
        self.send(method, parameters)
        return self.receive()

    def close(self):
        self.sock.close()


class WebDriver:
    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port
        self.session = None

    def request(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        # chromedriver is on loopback: never through a proxy
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(req, timeout=60) as r:
            return json.loads(r.read())["value"]

    def start(self, profile):
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--disable-dev-shm-usage", "--no-proxy-server", "--window-size=480,900",
                         "--user-data-dir=" + profile],
            },
        }}}
        value = self.request("POST", "/session", caps)
        self.session = value["sessionId"]

    def cmd(self, method, what, body=None):
        return self.request(method, "/session/%s/%s" % (self.session, what), body)

    def find(self, css):
        value = self.cmd("POST", "element", {"using": "css selector", "value": css})
        if ELEMENT not in value:
            raise AssertionError("no element %r on %s: %r" % (css, self.cmd("GET", "url"), value))
        return value[ELEMENT]

    def text(self, css):
        return self.cmd("GET", "element/%s/text" % self.find(css))

    def text_when_loaded(self, css):
        """The text, or None while the page is still being replaced (after a
        click, chromedriver answers 404 "no such element" or "stale element
        reference" until the next page has loaded)."""
        try:
            return self.text(css)
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            raise

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.cmd("GET", "screenshot")))

    def quit(self):
        if self.session:
            try:
                self.request("DELETE", "/session/" + self.session)
            except Exception:
                pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jitd", required=True)
    ap.add_argument("--receiver", required=True)
    ap.add_argument("--artifacts", required=True)
    args = ap.parse_args()

    if os.geteuid() != 0:
        skip("needs root (jitd's socket, the admin's identity)")
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            skip("%s is not installed (apt-get install chromium chromium-driver)" % path)

    os.makedirs(args.artifacts, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="jit-browser.")
    os.chmod(tmp, 0o755)
    procs = []
    driver = None
    try:
        secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
        secret_path = os.path.join(tmp, "hook.secret")
        with open(secret_path, "w") as f:
            f.write(secret + "\n")
        os.chmod(secret_path, 0o600)

        log = os.path.join(tmp, "receiver.log")
        receiver = subprocess.Popen([sys.executable, args.receiver, "--log", log, "--secret", secret],
                                    stdout=subprocess.PIPE, text=True)
        procs.append(receiver)
        port = int(receiver.stdout.readline())

        sock = os.path.join(tmp, "io.jit")
        conf = os.path.join(tmp, "jitd.conf")
        with open(conf, "w") as f:
            f.write("[jitd]\nsocket = %s\nstate_directory = %s/state\nrequest_ttl = 300\n"
                    "[sudo]\nusers = nobody\ndefault_duration = 30m\nmax_duration = 2h\napprovers = carol\n"
                    "[review]\nlisten = 127.0.0.1:0\n"
                    "[webhook ops]\nurl = http://127.0.0.1:%d/hook\nallow_http_loopback = yes\nsecret_file = %s\n"
                    % (sock, tmp, port, secret_path))
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent/jit-browser-no-bus")
        jitd = subprocess.Popen([args.jitd, "--config", conf, "--audit-log", os.path.join(tmp, "audit.jsonl")],
                                env=env, stderr=open(os.path.join(args.artifacts, "jitd.log"), "w"))
        procs.append(jitd)
        wait_until("jitd's socket", lambda: os.path.exists(sock))

        v = Varlink(sock)
        reply = v.call("io.jit.Request", user="nobody", action="sudo", service="sshd", rhost="192.0.2.7",
                       tty="ssh", reason="fix the <b>broken</b> deploy")
        request_id = reply["parameters"]["request_id"]
        v.close()

        def link():
            if not os.path.exists(log):
                return None
            for line in open(log):
                body = json.loads(json.loads(line)["body"])
                if body.get("data", {}).get("request_id") == request_id:
                    for l in body["data"].get("review_links", []):
                        if l.get("approver") == "carol":
                            return l["url"]
            return None
        url = wait_until("the webhook with the review link", link)

        # The requester's wait, as pam_jit's auth phase does it.
        waiter = Varlink(sock)
        waiter.send("io.jit.WaitDecision", {"request_id": request_id}, more=True)
        first = waiter.receive()
        assert first["parameters"]["state"] == "pending", first

        cd_port = free_port()
        chromedriver = subprocess.Popen([CHROMEDRIVER, "--port=%d" % cd_port],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(chromedriver)
        driver = WebDriver(cd_port)

        def ready():
            try:
                return driver.request("GET", "/status").get("ready")
            except Exception:
                return False
        wait_until("chromedriver", ready)
        profile = os.path.join(tmp, "profile")
        os.mkdir(profile)
        driver.start(profile)

        driver.cmd("POST", "url", {"url": url})
        title = driver.text("h1")
        assert title == "Access request", title
        page = driver.text("body")
        assert "nobody" in page and "sudo" in page and "fix the <b>broken</b> deploy" in page, page
        driver.screenshot(os.path.join(args.artifacts, "review-page.png"))

        button = driver.find("form.approve button[type=submit]")
        driver.cmd("POST", "element/%s/click" % button, {})
        wait_until("the result page", lambda: driver.text_when_loaded("h1") == "Approved")
        result = driver.text("body")
        assert "You approved" in result, result
        driver.screenshot(os.path.join(args.artifacts, "review-approved.png"))

        final = waiter.receive()["parameters"]
        assert final["state"] == "approved", final
        assert final["approver"] == "carol", final
        assert final["expires_at"] > time.time(), final
        waiter.close()

        # Reloading the result (the browser asks to re-send the form) or
        # going back to the link: a clear page, no second grant.
        driver.cmd("POST", "url", {"url": url})
        assert driver.text("h1") == "Already approved", driver.text("h1")

        v = Varlink(sock)
        grants = v.call("io.jit.List", filter="active")["parameters"]["grants"]
        assert len(grants) == 1 and grants[0]["approver"] == "carol", grants
        v.close()
        print("browser-review: ok; screenshots in %s" % args.artifacts)
        return 0
    finally:
        if driver:
            driver.quit()
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
