#!/usr/bin/python3
"""Chaos driver for tests/integration/test_soak.sh (standard library only).

Owns the dev server on 127.0.0.1:PORT (a port chosen once by the caller) and,
for --duration seconds, alternates healthy gaps with one disturbance at a time,
each undone before the next:

  restart   stop the server (SIGTERM or SIGKILL), keep it down, start it again
            on the same port with the same root token file, re-write the
            secrets (the dev server keeps everything in memory)
  freeze    SIGSTOP the server (connections queue, nothing answers), SIGCONT
  seal      seal, wait, unseal
  delay     delay fault (300-2500 ms) on one or both secret paths
  e500      500 on one or both secret paths until removed
  e500once  one 500 per secret path (count = 1): a retry gets through
  drop      the server closes the connection without answering (secret paths)

The kinds are drawn from a shuffled deck, so each happens at least once per
round of eight (restart twice). After --duration it leaves the server healthy
and waits (at most --linger seconds) for --stop-file, then stops the server and exits.

Files written under --dir:
  chaos.log      one line per event: "<unix time> <event> <details>"
  windows        "<spawn time> <secrets written time>" per (re)start: while a
                 fresh server has no secrets yet it answers 404
  server.pid     the current server's pid
  summary.json   counts per kind, restarts, failures of the driver itself
Only 127.0.0.1 is ever contacted. Values and tokens are never logged.
"""
import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

KINDS = ["restart", "freeze", "seal", "delay", "e500", "e500once", "drop"]


class Driver:
    def __init__(self, a):
        self.a = a
        self.base = "http://127.0.0.1:%d" % a.port
        with open(a.token_file, encoding="utf-8") as f:
            self.token = f.read().strip()
        with open(a.secrets, encoding="utf-8") as f:
            self.secrets = json.load(f)   # {"soak/db": {"password": ...}, ...}
        self.proc = None
        self.frozen = False
        self.counts = {k: 0 for k in KINDS}
        self.errors = []
        self.restarts = 0
        self.log_f = open(os.path.join(a.dir, "chaos.log"), "a", encoding="utf-8")
        self.win_f = open(os.path.join(a.dir, "windows"), "a", encoding="utf-8")
        self.server_log = open(os.path.join(a.dir, "server.log"), "ab")
        self.addr_file = os.path.join(a.dir, "server.addr")
        self.rng = random.Random(a.seed)

    def log(self, event, detail=""):
        self.log_f.write("%.3f %s %s\n" % (time.time(), event, detail))
        self.log_f.flush()

    def error(self, what):
        self.errors.append(what)
        self.log("driver-error", what)

    def http(self, method, path, body=None, token=False, timeout=2.0):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("X-Vault-Token", self.token)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                r.read()
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
        except (OSError, ValueError) as e:
            self.log("http-error", "%s %s: %s" % (method, path.split("?")[0], type(e).__name__))
            return None

    def control(self, method, what, body=None):
        st = self.http(method, "/_control/" + what, body)
        if st not in (200, 204):
            self.error("control %s %s -> %s" % (method, what, st))
        return st

    # -- server lifetime ---------------------------------------------------
    def start(self):
        for attempt in range(5):
            try:
                os.unlink(self.addr_file)
            except FileNotFoundError:
                pass
            spawn = time.time()
            self.proc = subprocess.Popen(
                [self.a.python, self.a.server, "--listen", "127.0.0.1:%d" % self.a.port,
                 "--control", "--root-token-file", self.a.token_file,
                 "--addr-file", self.addr_file],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.server_log)
            with open(os.path.join(self.a.dir, "server.pid"), "w") as f:
                f.write("%d\n" % self.proc.pid)
            deadline = time.monotonic() + 8
            while time.monotonic() < deadline and self.proc.poll() is None \
                    and not os.path.exists(self.addr_file):
                time.sleep(0.01)
            if os.path.exists(self.addr_file):
                break
            self.log("start-retry", "attempt %d rc=%s" % (attempt, self.proc.poll()))
            self.kill_server(hard=True)
            time.sleep(0.3)
        else:
            self.error("server did not come back on port %d" % self.a.port)
            return False
        ok = True
        for path, data in self.secrets.items():
            for _ in range(3):
                if self.http("POST", "/v1/secret/data/" + path, {"data": data}, token=True) == 200:
                    break
                time.sleep(0.05)
            else:
                ok = False
        ready = time.time()
        self.win_f.write("%.6f %.6f\n" % (spawn, ready))
        self.win_f.flush()
        if not ok:
            self.error("could not write the secrets after a start")
        self.log("up", "pid=%d 404-window=%.0fms" % (self.proc.pid, (ready - spawn) * 1000))
        return ok

    def kill_server(self, hard):
        p, self.proc = self.proc, None
        if p is None or p.poll() is not None:
            return
        if self.frozen:
            p.send_signal(signal.SIGCONT)
            self.frozen = False
        p.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
        try:
            p.wait(timeout=3)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=3)

    # -- disturbances ------------------------------------------------------
    def paths(self):
        both = ["secret/data/%s" % p for p in self.secrets]
        return both if self.rng.random() < 0.6 else [self.rng.choice(both)]

    def hold(self, lo, hi):
        time.sleep(self.rng.uniform(lo, hi))

    def act(self, kind):
        if self.proc is None or self.proc.poll() is not None:
            self.error("the server died on its own (rc=%s)" % (self.proc and self.proc.poll()))
            self.start()
            if self.proc is None:
                return
        self.counts[kind] += 1
        if kind == "restart":
            hard = self.rng.random() < 0.5
            self.log("stop", "SIGKILL" if hard else "SIGTERM")
            self.kill_server(hard)
            self.restarts += 1
            self.hold(0.3, 1.5)
            self.start()
        elif kind == "freeze":
            self.log("freeze")
            self.proc.send_signal(signal.SIGSTOP)
            self.frozen = True
            self.hold(0.8, 2.0)
            self.proc.send_signal(signal.SIGCONT)
            self.frozen = False
            self.log("thaw")
        elif kind == "seal":
            self.log("seal")
            self.control("POST", "seal")
            self.hold(0.6, 2.0)
            self.control("POST", "unseal")
            self.log("unseal")
        elif kind == "delay":
            ms = self.rng.randint(300, 2500)
            ps = self.paths()
            for p in ps:
                self.control("POST", "faults", {"path": p, "delay_ms": ms})
            self.log("delay", "%dms on %d path(s)" % (ms, len(ps)))
            self.hold(1.0, 2.5)
            self.control("DELETE", "faults")
            self.log("clear")
        elif kind == "drop":
            ps = self.paths()
            for p in ps:
                self.control("POST", "faults", {"path": p, "drop": True})
            self.log("drop", "%d path(s)" % len(ps))
            self.hold(0.6, 2.0)
            self.control("DELETE", "faults")
            self.log("clear")
        elif kind in ("e500", "e500once"):
            ps = self.paths() if kind == "e500" else ["secret/data/%s" % p for p in self.secrets]
            for p in ps:
                f = {"path": p, "status": 500}
                if kind == "e500once":
                    f["count"] = 1
                self.control("POST", "faults", f)
            self.log(kind, "%d path(s)" % len(ps))
            self.hold(0.6, 2.0)
            self.control("DELETE", "faults")
            self.log("clear")

    def run(self):
        if not self.start():
            return
        with open(os.path.join(self.a.dir, "ready"), "w") as f:
            f.write("ready\n")
        self.hold(0.3, 0.8)
        end = time.monotonic() + self.a.duration
        deck = []
        while time.monotonic() < end:
            if not deck:
                deck = KINDS + ["restart"]   # restarts twice per round
                self.rng.shuffle(deck)
            self.act(deck.pop())
            self.hold(0.3, 1.2)
        self.log("calm", "chaos over; server healthy until the stop file")
        hard_end = time.monotonic() + self.a.linger
        while time.monotonic() < hard_end and not os.path.exists(self.a.stop_file):
            time.sleep(0.05)

    def summary(self):
        with open(os.path.join(self.a.dir, "summary.json"), "w") as f:
            json.dump({"counts": self.counts, "restarts": self.restarts,
                       "errors": self.errors}, f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--secrets", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--duration", type=float, default=30)
    ap.add_argument("--linger", type=float, default=15)
    ap.add_argument("--stop-file", required=True)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    def on_term(signum, frame):
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    d = Driver(a)
    try:
        d.run()
    finally:
        d.kill_server(hard=False)
        d.log("end")
        d.summary()


if __name__ == "__main__":
    main()
