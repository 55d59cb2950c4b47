"""Helpers of the MQTT tests: Debian's mosquitto broker on a free loopback port, a paho-mqtt
subscriber that keeps the last message of every topic, and what each exported value should
read given the twin's JSON state. Every wait is bounded; everything started is stopped."""

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import paho.mqtt.client as mqtt

MOSQUITTO = "/usr/sbin/mosquitto"
WAIT_S = 30.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """mosquitto on 127.0.0.1:`port`, anonymous, without persistence (a restart forgets every
    retained message), queues unbounded so that a burst of discovery is never dropped."""

    def __init__(self, port):
        self.port = port
        self.tmp = tempfile.mkdtemp(prefix="ambi-mqtt-")
        self.conf = os.path.join(self.tmp, "mosquitto.conf")
        with open(self.conf, "w") as f:
            f.write(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    "max_queued_messages 0\nmax_inflight_messages 0\nlog_dest stderr\n")
        self.proc = None
        self.log = open(os.path.join(self.tmp, "log"), "w+b")

    def start(self):
        if not os.access(MOSQUITTO, os.X_OK):
            raise RuntimeError(f"{MOSQUITTO} is missing: install Debian's mosquitto package")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", self.conf], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited at start: {self.output()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto does not listen on {self.port}: {self.output()}")

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def close(self):
        self.kill()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
        return False


class Subscriber:
    """A paho-mqtt client subscribed (QoS 1) to `topics`; `last` maps each topic to its last
    payload (text)."""

    def __init__(self, port, topics=("ambimeter/#", "homeassistant/#")):
        self.last = {}
        self.count = 0
        self.lock = threading.Lock()
        self.client = mqtt.Client(client_id=f"test-{os.getpid()}-{time.monotonic_ns()}",
                                  clean_session=True)
        self.topics = topics
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port, keepalive=30)
        self.client.loop_start()

    def _on_connect(self, client, userdata, flags, rc):
        client.subscribe([(t, 1) for t in self.topics])

    def _on_message(self, client, userdata, message):
        with self.lock:
            self.last[message.topic] = message.payload.decode()
            self.count += 1

    def snapshot(self):
        with self.lock:
            return dict(self.last)

    def wait_for(self, check, timeout=WAIT_S):
        """Waits until `check(snapshot)` returns true; returns the snapshot (or the last one)."""
        deadline = time.monotonic() + timeout
        while True:
            snap = self.snapshot()
            if check(snap) or time.monotonic() > deadline:
                return snap
            time.sleep(0.1)

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# Register name endings of the instant values → their key in the state's measurement.
_INSTANT_KEYS = {"voltage": "v", "current": "i", "active_power": "p_kw",
                 "reactive_power": "q_kvar", "apparent_power": "s_kva", "power_factor": "pf",
                 "quadrant": "quadrant", "current_direction": "direction"}


def expected_value(name, state):
    """What register `name` should publish, from GET /api/v1/state."""
    energy = state["energy"]
    if name in energy:
        return energy[name]
    m = state["measurement"]
    status = state["status"]
    simple = {"frequency": m["hz"], "error_code": status["error_code"],
              "power_down_counter": status["power_down_counter"],
              "status_word": status["status_word"], "tariff": status["tariff"]}
    if name in simple:
        return simple[name]
    for pair in ("l1_l2", "l1_l3", "l2_l3"):
        if name == f"{pair}_voltage":
            return m["line_voltages"][pair]
    phase, _, rest = name.partition("_")
    if phase in ("l1", "l2", "l3") and rest in _INSTANT_KEYS:
        value = m[phase.upper()][_INSTANT_KEYS[rest]]
    else:
        rest = name[len("total_"):] if name.startswith("total_") else name
        value = m["total"][_INSTANT_KEYS[rest]]
    if value in ("F", "R"):
        return 1 if value == "R" else 0
    return value
