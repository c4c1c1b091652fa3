#!/usr/bin/env python3
"""Sourced as a tool by scripts/e2e/notify.sh: an AMI client that logs in and
writes every event Asterisk sends to a file, as a listener of the site's
would see them. Usage: ami-events.py PORT USER SECRET OUT READY SECONDS.
READY is written once the login is accepted; it exits after SECONDS or when
killed."""
import socket
import sys
import time

port, user, secret, out, ready, secs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6])
deadline = time.monotonic() + secs
sock = None
# Asterisk opens its manager port a moment after it starts.
while sock is None:
    try:
        sock = socket.create_connection(("127.0.0.1", int(port)), timeout=1)
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("AMI: no connection on port " + port)
        time.sleep(0.2)
sock.settimeout(0.5)
sock.sendall(("Action: Login\r\nUsername: %s\r\nSecret: %s\r\nEvents: user\r\n\r\n" % (user, secret)).encode())
buf = b""
logged_in = False
with open(out, "ab", buffering=0) as f:
    while time.monotonic() < deadline:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        if not data:
            break
        f.write(data)
        buf += data
        if not logged_in and b"Response: Success" in buf:
            logged_in = True
            open(ready, "w").close()
        elif not logged_in and b"Response: Error" in buf:
            sys.exit("AMI: login refused")
