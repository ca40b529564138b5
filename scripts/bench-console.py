#!/usr/bin/env python3
"""Times the floor console against a running `leadline serve --console-port N` (stdlib only).

    python3 scripts/bench-console.py --url http://127.0.0.1:7880 --agent north-lead --token T \
        --pause-agent north-agent1 --pid $(pgrep -f 'leadline serve') [--boards 200] [--runs 20]

It logs in like a browser (login form, CSRF), then measures:
  1. a board render: GET /board plus GET /api/floor (the feed's snapshot: QUEUES and AGENTS
     of the login's team, or every team for an admin), `--runs` times;
  2. the queries behind it uncached: POST /api/verb QUEUES and AGENTS, `--runs` times each;
  3. change to page: with one live feed open, PAUSE then RESUME `--pause-agent` and time
     until a `floor` event shows the new status;
  3b. with `--claim-agent NAME --claim-token TOKEN --protocol-port N`: CLAIM on the
     protocol port as that agent, time until a `floor` event shows its team's `held` one
     higher (a claim sends no NOTIFY of its own: it reaches the board through the board
     fold's `leadline_board`), then RELEASE and time until `held` is back;
  4. memory: the server's RSS (from /proc/PID/status) before and after opening `--boards`
     live feeds (each one HTTP connection with an open event stream), held for 5 s.
"""
import argparse
import http.client
import json
import re
import socket
import statistics
import time
import urllib.parse


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Browser:
    def __init__(self, url):
        parsed = urllib.parse.urlparse(url)
        self.host, self.port = parsed.hostname, parsed.port
        self.cookies = {}
        self.csrf = ""

    def conn(self):
        return http.client.HTTPConnection(self.host, self.port, timeout=30)

    def request(self, method, path, body=None, headers=None):
        c = self.conn()
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        for name, value in r.getheaders():
            if name.lower() == "set-cookie":
                k, v = value.split(";")[0].split("=", 1)
                if v:
                    self.cookies[k] = v
                else:
                    self.cookies.pop(k, None)
        c.close()
        return r.status, data

    def log_in(self, agent, token):
        _, page = self.request("GET", "/login")
        csrf = re.search(rb'name="csrf" value="([0-9a-f]+)"', page).group(1).decode()
        body = urllib.parse.urlencode({"csrf": csrf, "agent": agent, "token": token})
        status, _ = self.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 303 and "leadline_console" in self.cookies, "login failed (%d)" % status
        _, page = self.request("GET", "/board")
        found = re.search(rb'<meta name="csrf" content="([0-9a-f]+)">', page)
        assert found, "no board page (is the agent a team lead or admin?)"
        self.csrf = found.group(1).decode()

    def verb(self, verb, args):
        body = json.dumps({"verb": verb, "args": args})
        status, data = self.request("POST", "/api/verb", body, {"Content-Type": "application/json", "X-CSRF-Token": self.csrf})
        return json.loads(data)

    def stream(self):
        """An open /api/events stream (a raw socket, read by the caller)."""
        s = socket.create_connection((self.host, self.port), timeout=30)
        cookie = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        s.sendall(("GET /api/events HTTP/1.1\r\nHost: %s:%d\r\nCookie: %s\r\nAccept: text/event-stream\r\n\r\n"
                   % (self.host, self.port, cookie)).encode())
        return s


class Feed:
    """An open /api/events stream, read event by event (http.client undoes the chunking)."""
    def __init__(self, browser):
        self.c = browser.conn()
        cookie = "; ".join("%s=%s" % kv for kv in browser.cookies.items())
        self.c.request("GET", "/api/events", headers={"Cookie": cookie, "Accept": "text/event-stream"})
        self.r = self.c.getresponse()
        assert self.r.status == 200, self.r.status

    def next_floor(self):
        while True:
            lines = []
            while True:
                line = self.r.readline()
                if not line:
                    raise EOFError("event stream closed")
                if line in (b"\n", b"\r\n"):
                    break
                lines.append(line.rstrip(b"\r\n"))
            if lines and lines[0] == b"event: floor":
                return json.loads(b"".join(l[6:] for l in lines if l.startswith(b"data: ")))

    def close(self):
        self.c.close()


def held(floor, team):
    return next(int(r["held"]) for r in floor["queues"] if r["team"] == team and r["view"] == "all")


def claim_to_page(b, a):
    """CLAIM / RELEASE on the protocol port; time until the board's `held` shows it."""
    p = socket.create_connection((b.host, a.protocol_port), timeout=30)
    f = p.makefile("rwb")

    def call(line):
        f.write((line + "\r\n").encode())
        f.flush()
        return f.readline().decode().strip()

    f.readline()  # the server's HELLO line
    reply = call("AUTH agent=%s token=%s" % (a.claim_agent, a.claim_token))
    assert reply.startswith("OK"), reply
    team = dict(kv.split("=", 1) for kv in reply.split()[1:])["team"]
    feed = Feed(b)
    base = held(feed.next_floor(), team)
    claims, releases = [], []
    for _ in range(5):
        t = time.monotonic()
        reply = call("CLAIM")
        assert reply.startswith("OK"), reply
        fields = dict(kv.split("=", 1) for kv in reply.split()[1:] if "=" in kv)
        while held(feed.next_floor(), team) != base + 1:
            pass
        claims.append(time.monotonic() - t)
        t = time.monotonic()
        reply = call("RELEASE lead=%s lease=%s note=bench" % (fields["lead"], fields["lease"]))
        assert reply.startswith("OK"), reply
        while held(feed.next_floor(), team) != base:
            pass
        releases.append(time.monotonic() - t)
    feed.close()
    p.close()
    summary("claim to page (held +1)", claims)
    summary("release to page (held -1)", releases)


def summary(name, samples):
    samples = sorted(samples)
    p = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]
    print("%-34s n=%d  p50=%.1f ms  p90=%.1f ms  max=%.1f ms" % (name, len(samples), p(0.5) * 1000, p(0.9) * 1000, samples[-1] * 1000))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:7880")
    ap.add_argument("--agent", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--pause-agent")
    ap.add_argument("--pid", type=int)
    ap.add_argument("--claim-agent")
    ap.add_argument("--claim-token")
    ap.add_argument("--protocol-port", type=int, default=7878)
    ap.add_argument("--boards", type=int, default=200)
    ap.add_argument("--runs", type=int, default=20)
    a = ap.parse_args()

    b = Browser(a.url)
    b.log_in(a.agent, a.token)

    renders, floors = [], []
    for _ in range(a.runs):
        t = time.monotonic()
        status, _ = b.request("GET", "/board")
        t1 = time.monotonic()
        status2, data = b.request("GET", "/api/floor")
        renders.append(time.monotonic() - t)
        floors.append(time.monotonic() - t1)
        assert status == 200 and status2 == 200
    snapshot = json.loads(data)
    print("floor: %d queue rows, %d agent rows" % (len(snapshot["queues"]), len(snapshot.get("agents", []))))
    summary("board render (page + /api/floor)", renders)
    summary("/api/floor alone", floors)
    for verb in ("QUEUES", "AGENTS"):
        samples, refused = [], []
        for _ in range(a.runs):
            t = time.monotonic()
            reply = b.verb(verb, [])
            samples.append(time.monotonic() - t)
            if not reply["ok"]:
                refused.append(reply["code"])
        summary("%s uncached (POST /api/verb)" % verb, samples)
        if refused:
            print("    %d of %d refused: %s" % (len(refused), a.runs, ", ".join(sorted(set(refused)))))

    if a.pause_agent:
        s = b.stream()
        s.settimeout(10)
        buf = b""
        while b"event: floor" not in buf:
            buf += s.recv(65536)
        samples = []
        for verb, status in (("PAUSE", "paused"), ("RESUME", "active")) * 3:
            buf = b""
            t = time.monotonic()
            assert b.verb(verb, [["agent", a.pause_agent]])["ok"]
            needle = ('"agent":"%s"' % a.pause_agent).encode()
            while True:
                buf += s.recv(1 << 20)
                events = buf.split(b"\n\n")
                if any(needle in e and ('"status":"%s"' % status).encode() in e.split(needle, 1)[1][:400] for e in events):
                    break
            samples.append(time.monotonic() - t)
        s.close()
        summary("change to page (PAUSE/RESUME)", samples)

    if a.claim_agent:
        claim_to_page(b, a)

    if a.pid:
        before = rss_kb(a.pid)
        streams = []
        for _ in range(a.boards):
            streams.append(b.stream())
        time.sleep(5)
        during = rss_kb(a.pid)
        for s in streams:
            s.close()
        print("RSS before %d live feeds: %.1f MB; with them open: %.1f MB (+%.1f MB, %.0f KB per feed)"
              % (a.boards, before / 1024, during / 1024, (during - before) / 1024, (during - before) / max(1, a.boards)))


if __name__ == "__main__":
    main()
