#!/usr/bin/env python3
"""JetStream housekeeping for the local scripts, over NATS's plain text
protocol so that no `nats` CLI is needed.

    jetstream.py check  [URL]              exit 0 when JetStream answers
    jetstream.py delete NAMESPACE [URL]    delete the namespace's streams

URL defaults to nats://127.0.0.1:4222. The stream names are those
`tagwarden-bus` derives from a namespace (`<NAMESPACE upper>_<STREAM>`);
only those six are touched, never other streams on the server.
"""

import json
import socket
import sys
import uuid

STREAMS = ["DISCOVERY", "TARGETS", "TAGS", "SCANS", "VULNDB", "DEADLETTER"]
TIMEOUT = 5.0


class Nats:
    """One connection; request/reply on a private inbox."""

    def __init__(self, url):
        host, port = parse(url)
        try:
            self.sock = socket.create_connection((host, port), timeout=TIMEOUT)
        except OSError as err:
            fail(f"cannot connect to NATS at {host}:{port} ({err})")
        self.file = self.sock.makefile("rwb")
        if not self.file.readline().startswith(b"INFO "):
            fail(f"{host}:{port} does not speak the NATS protocol")
        # headers + no_responders: a request nobody serves (JetStream off)
        # comes back at once as a 503 status instead of timing out.
        connect = {"verbose": False, "pedantic": False, "headers": True, "no_responders": True}
        self.send(f"CONNECT {json.dumps(connect)}\r\nPING\r\n".encode())
        self.expect_pong()
        self.sid = 0

    def send(self, data):
        self.file.write(data)
        self.file.flush()

    def expect_pong(self):
        while True:
            line = self.file.readline()
            if line.startswith(b"PONG"):
                return
            if line.startswith(b"-ERR"):
                fail(f"NATS refused the connection: {line.decode().strip()}")
            if not line:
                fail("NATS closed the connection")

    def request(self, subject, payload=b""):
        """The JSON reply to `subject`, or None when nobody answers."""
        self.sid += 1
        inbox = f"_INBOX.{uuid.uuid4().hex}"
        self.send(
            f"SUB {inbox} {self.sid}\r\nUNSUB {self.sid} 1\r\n"
            f"PUB {subject} {inbox} {len(payload)}\r\n".encode()
            + payload
            + b"\r\n"
        )
        try:
            while True:
                line = self.file.readline()
                if not line:
                    fail("NATS closed the connection")
                if line.startswith(b"PING"):
                    self.send(b"PONG\r\n")
                elif line.startswith(b"-ERR"):
                    fail(f"NATS error: {line.decode().strip()}")
                elif line.startswith(b"MSG "):
                    size = int(line.split()[-1])
                    body = self.file.read(size + 2)[:size]
                    return json.loads(body)
                elif line.startswith(b"HMSG "):
                    # A status message (503 no responders): no JetStream.
                    parts = line.split()
                    size = int(parts[-1])
                    self.file.read(size + 2)
                    return None
        except socket.timeout:
            return None


def parse(url):
    rest = url.split("://", 1)[-1].split(",")[0]
    host, _, port = rest.rpartition(":")
    return (host or "127.0.0.1", int(port or 4222))


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def check(nats):
    info = nats.request("$JS.API.INFO")
    if info is None:
        fail("NATS answers but JetStream does not: start nats-server with -js")
    if "error" in info:
        fail(f"JetStream: {info['error'].get('description', info['error'])}")


def delete(nats, namespace):
    check(nats)
    prefix = f"{namespace.upper()}_" if namespace else ""
    for stream in STREAMS:
        name = prefix + stream
        reply = nats.request(f"$JS.API.STREAM.DELETE.{name}")
        if reply is None:
            fail(f"JetStream did not answer the deletion of {name}")
        error = reply.get("error")
        # 10059: stream not found, which is what we want anyway.
        if error and error.get("err_code") != 10059:
            fail(f"cannot delete stream {name}: {error.get('description', error)}")


def main(argv):
    if len(argv) < 2 or argv[1] not in ("check", "delete"):
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    if argv[1] == "check":
        check(Nats(argv[2] if len(argv) > 2 else "nats://127.0.0.1:4222"))
    else:
        if len(argv) < 3:
            fail("delete needs a namespace")
        namespace = argv[2]
        if not namespace.replace("-", "").replace("_", "").isalnum():
            fail(f"namespace {namespace!r} may only hold letters, digits, '-' and '_'")
        delete(Nats(argv[3] if len(argv) > 3 else "nats://127.0.0.1:4222"), namespace)


if __name__ == "__main__":
    main(sys.argv)
