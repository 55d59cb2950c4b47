#!/usr/bin/env python3
"""MQTT publishing benchmark (docs/mqtt.md): `ambimeter run --meters N --mqtt` with a real
clock at speed 1 and a constant load on every meter (so every round has energy to send),
against Debian's mosquitto on a free loopback port. It prints how long the first round takes
(every meter's discovery configs, availability and states: until the broker's count of
retained topics stops growing), then, over a window, the messages per second of the rounds
that follow (changed values only; the broker's count of messages received) and the CPU the
twin uses as a share of one core.

    python3 bench/mqtt_bench.py [--discovery off] BUILD_DIR [METERS=1000] [WINDOW_SECONDS=30]

Loopback only; the broker, the process and their folders are removed at the end.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import paho.mqtt.client as mqtt

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BrokerCounts:
    """The broker's $SYS counters (every second): retained topics and messages received
    (mosquitto 2.0.11 leaves $SYS/broker/publish/messages/received at 0)."""

    RETAINED = "$SYS/broker/retained messages/count"
    RECEIVED = "$SYS/broker/messages/received"

    def __init__(self, port):
        self.values = {}
        self.lock = threading.Lock()
        self.client = mqtt.Client(client_id=f"bench-{os.getpid()}")
        self.client.on_connect = lambda c, u, f, rc: c.subscribe(
            [(self.RETAINED, 0), (self.RECEIVED, 0)])
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_message(self, client, userdata, message):
        with self.lock:
            self.values[message.topic] = int(message.payload)

    def get(self, topic):
        with self.lock:
            return self.values.get(topic, 0)


def main(argv):
    discovery = "on"
    if len(argv) > 2 and argv[1] == "--discovery":
        discovery = argv[2]
        argv = argv[:1] + argv[3:]
    build = argv[1]
    meters = int(argv[2]) if len(argv) > 2 else 1000
    window = float(argv[3]) if len(argv) > 3 else 30.0
    tmp = tempfile.mkdtemp(prefix="ambi-mqtt-bench-")
    port = free_port()
    conf = os.path.join(tmp, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                "sys_interval 1\n")
    broker = subprocess.Popen(["/usr/sbin/mosquitto", "-c", conf], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    twin = None
    try:
        time.sleep(0.5)
        counts = BrokerCounts(port)
        cmd = [os.path.join(build, "ambimeter"), "run", "--http", "127.0.0.1:0", "--state",
               os.path.join(tmp, "state"), "--modbus-tcp", "127.0.0.1:0", "--mbus-tcp", "off",
               "--meters", str(meters), "--load", "all=230V,10A", "--mqtt",
               f"mqtt://127.0.0.1:{port}", "--mqtt-discovery", discovery]
        started = time.monotonic()
        twin = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        ready = json.loads(twin.stdout.readline())
        at_ready = time.monotonic()
        # The first round is over when the retained topics stop growing for 3 s.
        retained, last_growth = 0, at_ready
        while time.monotonic() - last_growth < 3.0 or retained == 0:
            time.sleep(0.25)
            now = counts.get(BrokerCounts.RETAINED)
            if now != retained:
                retained, last_growth = now, time.monotonic()
        first = last_growth - at_ready  # within the broker's 1 s $SYS period
        count0, cpu0, t0 = counts.get(BrokerCounts.RECEIVED), cpu_seconds(twin.pid), time.monotonic()
        time.sleep(window)
        count1, cpu1, t1 = counts.get(BrokerCounts.RECEIVED), cpu_seconds(twin.pid), time.monotonic()
        result = {"meters": meters, "discovery": discovery,
                  "ready_s": round(at_ready - started, 2),
                  "first_round_topics": retained,
                  "first_round_s": round(first, 1),
                  "first_round_messages_per_s": round(retained / max(first, 0.001)),
                  "interval_s": ready["mqtt"]["interval_s"],
                  "window_s": round(t1 - t0, 1),
                  "messages_per_s": round((count1 - count0) / (t1 - t0)),
                  "cpu_share": round((cpu1 - cpu0) / (t1 - t0), 3)}
        print(json.dumps(result))
    finally:
        if twin is not None and twin.poll() is None:
            twin.send_signal(signal.SIGTERM)
            try:
                twin.wait(60)
            except subprocess.TimeoutExpired:
                twin.kill()
        broker.kill()
        broker.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv)
