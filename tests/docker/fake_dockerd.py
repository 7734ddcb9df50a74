#!/usr/bin/env python3
"""A small server speaking the Docker Engine HTTP API on a unix socket, for
the faults a real dockerd cannot be made to show: a daemon that accepts and
never answers, an inspect answer of 20 MiB, an event line over 1 MiB. It
answers the requests the Docker source makes (GET /events, /containers/json,
/containers/ID/json, with or without a /v1.xx prefix) exactly as dockerd does
(chunked event stream, JSON bodies), and counts them.

    fake_dockerd.py SOCKET CONFIG.json STATS.json

CONFIG: {"mode": "hang" | "api",
         "containers": [{"id", "name", "labels", "netns", "ip", "created",
                         "pad_mib": N (environment padding), "listed": bool}],
         "events": [{"id": ..., "action": "start", "pad_mib": N}]}
Events are sent on the stream once the list was answered. STATS gets
{"connections": N, "requests": {"events": N, "list": N, "inspect/ID": N}}.
"""
import json
import os
import re
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler

SOCK, CONF, STATS = sys.argv[1:4]
conf = json.load(open(CONF))
lock = threading.Lock()
stats = {"connections": 0, "requests": {}}
listed = threading.Event()
stop = threading.Event()


def count(key):
    with lock:
        stats["requests"][key] = stats["requests"].get(key, 0) + 1
        tmp = STATS + ".tmp"
        with open(tmp, "w") as f:
            json.dump(stats, f)
        os.replace(tmp, STATS)


def inspect_body(c):
    env = ["A=1"]
    if c.get("pad_mib"):
        env.append("PAD=" + "p" * (c["pad_mib"] << 20))
    return json.dumps({
        "Id": c["id"], "Created": c.get("created", "2024-05-01T10:20:30.5Z"),
        "Path": "/bhsleep", "Args": [],
        "State": {"Status": "running", "Running": True, "Pid": 1},
        "Image": "sha256:0", "Name": "/" + c["name"],
        "HostConfig": {"NetworkMode": "bridge"},
        "Config": {"Image": "fake:test", "Env": env, "Labels": c.get("labels", {})},
        "NetworkSettings": {
            "SandboxKey": c["netns"],
            "Networks": {"fake": {"IPAddress": c.get("ip", "")}},
        },
    }).encode()


def event_line(e):
    attrs = {"name": e["id"][:12], "image": "fake:test"}
    if e.get("pad_mib"):
        attrs["big"] = "x" * (e["pad_mib"] << 20)
    return (json.dumps({
        "status": e.get("action", "start"), "id": e["id"], "from": "fake:test",
        "Type": "container", "Action": e.get("action", "start"),
        "Actor": {"ID": e["id"], "Attributes": attrs},
        "scope": "local", "time": int(time.time()), "timeNano": time.time_ns(),
    }) + "\n").encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        with lock:
            stats["connections"] += 1

    def send_json(self, body, code=200):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def do_GET(self):
        path = re.sub(r"^/v1\.\d+", "", self.path.split("?")[0])
        if conf["mode"] == "hang":
            count("hang")
            while not stop.wait(1):
                pass		# accepted, read, never answered
            return
        if path == "/events":
            count("events")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            listed.wait(30)
            time.sleep(0.3)
            for e in conf.get("events", []):
                self.chunk(event_line(e))
            while not stop.wait(1):
                pass
            return
        if path == "/containers/json":
            count("list")
            body = json.dumps([{"Id": c["id"], "Names": ["/" + c["name"]]}
                               for c in conf["containers"] if c.get("listed", True)]).encode()
            self.send_json(body)
            listed.set()
            return
        m = re.match(r"^/containers/([^/]+)/json$", path)
        if m:
            count("inspect/" + m.group(1))
            for c in conf["containers"]:
                if c["id"] == m.group(1):
                    self.send_json(inspect_body(c))
                    return
        self.send_json(b'{"message":"No such container"}', 404)


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if os.path.exists(SOCK):
    os.unlink(SOCK)
srv = Server(SOCK, Handler)
try:
    srv.serve_forever()
finally:
    stop.set()
