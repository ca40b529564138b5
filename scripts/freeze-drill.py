#!/usr/bin/env python3
"""The frozen-database drill of issue 13 (figures for RELIABILITY.md).

Seeds a private embedded cluster, starts `leadline serve` on it (default settings unless
given after `--`), keeps AGENTS agents busy (CLAIM, then DISPOSE or RELEASE), freezes
PostgreSQL with SIGSTOP (the postmaster and every child) for FREEZE seconds, and reports:

  - held:  requests in flight at the SIGSTOP (they hold a database connection):
           time from SIGSTOP to their reply, and the reply's code;
  - fresh: a request sent on an idle logged-in session 0.5 s into the freeze, and a new
           connection's AUTH sent then: time from their sending to the reply;
  - after SIGCONT: time until a CLAIM is served again.

    python3 scripts/freeze-drill.py [--leadline .build/debug/leadline] [-- serve flags…]

Run as root (the cluster runs as the postgres OS user) or as the owner of the directory.
"""
import argparse, os, re, shutil, signal, socket, subprocess, sys, threading, time

ap = argparse.ArgumentParser()
ap.add_argument("--leadline", default=".build/debug/leadline")
ap.add_argument("--dir", default=f"/tmp/llfreeze-{os.getpid()}")
ap.add_argument("--agents", type=int, default=8)
ap.add_argument("--freeze", type=float, default=12.0)
ap.add_argument("--port", type=int, default=17878)
ap.add_argument("serve", nargs="*")
args = ap.parse_args()
LL = os.path.abspath(args.leadline)


class Client:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.f = self.s.makefile("rb")
        self.line()  # HELLO

    def line(self):
        return self.f.readline().decode().rstrip("\n")

    def call(self, request):
        self.s.sendall((request + "\n").encode())
        first = self.line()
        lines = [first]
        m = re.match(r"OK rows=(\d+)", first)
        if m:
            lines += [self.line() for _ in range(int(m.group(1)))]
        return lines


def field(line, key):
    m = re.search(r"(?:^| )" + key + r"=(\S+)", line)
    return m.group(1) if m else None


def code(line):
    return line.split()[1] if line.startswith("ERR") else None


def children(ppid):
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = open(f"/proc/{name}/stat").read()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2:].split()[1]) == ppid:
                out.append(int(name))
    return out


def main():
    seed = subprocess.run([LL, "seed", "--data-dir", args.dir, "--leads", "5000"], capture_output=True, text=True, check=True)
    tokens = {}
    for line in seed.stdout.splitlines():
        if line.startswith("agent=") and "team=north" in line and "role=team_lead" not in line:
            tokens[field(line, "agent")] = field(line, "token")
    agents = list(tokens)[: args.agents]
    serve = subprocess.Popen([LL, "serve", "--data-dir", args.dir, "--port", str(args.port), "--metrics-port", "off",
                              "--log-level", "warning"] + args.serve, stderr=open(args.dir + "/serve.log", "w"))
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", args.port)).close()
                break
            except OSError:
                time.sleep(0.1)
        run(agents, tokens)
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait()
        pidfile = args.dir + "/pgdata/postmaster.pid"
        if os.path.exists(pidfile):  # serve stops the cluster it started; in case it did not
            pid = int(open(pidfile).read().split()[0])
            try:
                os.kill(pid, signal.SIGCONT)
                os.kill(pid, signal.SIGQUIT)
                time.sleep(1)
            except ProcessLookupError:
                pass
        shutil.rmtree(args.dir, ignore_errors=True)


def run(agents, tokens):
    stop = threading.Event()
    inflight = {}  # agent -> (request, sent at)
    replies = []   # (agent, request, sent, answered, first line)
    lock = threading.Lock()

    def worker(name):
        try:
            work(name)
        except OSError:
            pass  # the server stopping at the end

    def work(name):
        c = Client(args.port)
        c.call(f"AUTH agent={name} token={tokens[name]}")
        n = 0
        while not stop.is_set():
            n += 1
            for req in ["CLAIM"]:
                lead = None
                with lock:
                    inflight[name] = (req, time.monotonic())
                r = c.call(req)
                with lock:
                    replies.append((name, req, inflight.pop(name)[1], time.monotonic(), r[0]))
                if code(r[0]) == "UNAVAILABLE":
                    time.sleep(0.1)  # a client's retry pause
                lead, lease = field(r[0], "lead"), field(r[0], "lease")
                if lead:
                    req = f'DISPOSE lead={lead} lease={lease} code=wrong_number note="drill" idem=f{n}'
                    with lock:
                        inflight[name] = (req, time.monotonic())
                    r = c.call(req)
                    with lock:
                        replies.append((name, req, inflight.pop(name)[1], time.monotonic(), r[0]))

    threads = [threading.Thread(target=worker, args=(a,), daemon=True) for a in agents]
    for t in threads:
        t.start()
    idle = Client(args.port)
    print(idle.call(f"AUTH agent={agents[0]} token={tokens[agents[0]]}")[0][:40])
    time.sleep(3)

    postmaster = int(open(args.dir + "/pgdata/postmaster.pid").read().split()[0])
    os.kill(postmaster, signal.SIGSTOP)
    pids = [postmaster]
    for p in children(postmaster):
        os.kill(p, signal.SIGSTOP)
        pids.append(p)
    t0 = time.monotonic()
    with lock:
        held = dict(inflight)
    print(f"SIGSTOP {len(pids)} processes; {len(held)} requests in flight")

    def thaw():
        time.sleep(max(0, t0 + args.freeze - time.monotonic()))
        for p in reversed(pids):
            os.kill(p, signal.SIGCONT)
    thawer = threading.Thread(target=thaw)
    thawer.start()

    time.sleep(0.5)
    s1 = time.monotonic()
    r1 = idle.call("MINE")[0]
    e1 = time.monotonic()
    print(f"fresh MINE on an idle session: {e1 - s1:.2f} s after sending ({e1 - t0:.2f} s after SIGSTOP): {r1[:60]}")
    s2 = time.monotonic()
    late = Client(args.port)
    r2 = late.call(f"AUTH agent={agents[0]} token={tokens[agents[0]]}")[0]
    e2 = time.monotonic()
    print(f"fresh connection's AUTH: {e2 - s2:.2f} s after sending ({e2 - t0:.2f} s after SIGSTOP): {r2[:60]}")
    time.sleep(max(0, t0 + 6 - time.monotonic()))
    s3 = time.monotonic()
    r3 = idle.call("MINE")[0]
    e3 = time.monotonic()
    print(f"MINE sent {s3 - t0:.2f} s after SIGSTOP: reply {e3 - s3:.2f} s after sending: {r3[:60]}")
    with lock:
        done = [r for r in replies if r[2] < t0 and r[3] >= t0]
        during = [r for r in replies if t0 <= r[2] < t0 + args.freeze]
    for name, req, sent, answered, first in sorted(done, key=lambda r: r[3]):
        print(f"held {req.split()[0]:8s} answered {answered - t0:.2f} s after SIGSTOP: {first[:60]}")
    if during:
        spans = sorted(r[3] - r[2] for r in during)
        codes = {}
        for r in during:
            codes[code(r[4]) or "OK"] = codes.get(code(r[4]) or "OK", 0) + 1
        print(f"requests sent during the freeze: {len(during)}, replies {codes}, "
              f"time to reply min {spans[0]:.2f} s, median {spans[len(spans) // 2]:.2f} s, max {spans[-1]:.2f} s")
    thawer.join()
    t1 = time.monotonic()
    while True:
        r = idle.call("MINE")[0]
        if code(r) != "UNAVAILABLE":
            break
        time.sleep(0.05)
    print(f"after SIGCONT: MINE served again in {time.monotonic() - t1:.2f} s: {r[:40]}")
    stop.set()


main()
