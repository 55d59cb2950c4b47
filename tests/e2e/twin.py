"""Shared helpers of the end-to-end tests: start `ambimeter run`, talk to its control API, run
the binary's other commands. Python 3 standard library only. Every wait is bounded."""

import json
import os
import select
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

READY_TIMEOUT_S = 15.0
HTTP_TIMEOUT_S = 30.0
EXIT_TIMEOUT_S = 15.0

# Talk to the twin directly even when the environment names an HTTP proxy.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class TwinError(Exception):
    """A twin did not start, answer or stop as expected."""


class Twin:
    """One `ambimeter run` process with a fresh (or given) state directory."""

    def __init__(self, binary, state_dir, *args, http="127.0.0.1:0"):
        self.binary = binary
        self.state_dir = state_dir
        self.args = list(args)
        self.http = http
        self.proc = None
        self.ready = None
        self.url = None
        self._stderr = None

    def start(self, timeout=READY_TIMEOUT_S):
        """Starts the process and waits for its JSON ready line; returns self."""
        cmd = [self.binary, "run", "--http", self.http, "--state", self.state_dir] + self.args
        if not any(a.startswith("--modbus-tcp") for a in self.args):
            cmd += ["--modbus-tcp", "127.0.0.1:0"]  # not the default 5020: twins run side by side
        if not any(a.startswith("--mbus-tcp") for a in self.args):
            cmd += ["--mbus-tcp", "127.0.0.1:0"]  # not the default 5021: twins run side by side
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._stderr)
        try:
            line = read_line(self.proc.stdout, timeout)
            if line is None:
                code = self.proc.poll()
                self.kill()
                raise TwinError(f"no ready line within {timeout} s (exit {code}): {self.stderr()}")
            self.ready = json.loads(line)
            if self.ready.get("event") != "ready":
                raise TwinError(f"first line is not the ready line: {line!r}")
            self.url = self.ready["http"]
        except BaseException:
            self.kill()  # a twin that did not start is not left running
            raise
        return self

    def request(self, method, path, body=None, raw=None):
        """Returns (status, decoded JSON body) for any status."""
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        try:
            with _OPENER.open(req, timeout=HTTP_TIMEOUT_S) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            text = err.read()
            try:
                return err.code, json.loads(text)
            except ValueError:
                return err.code, {"raw": text.decode(errors="replace")}

    def get(self, path):
        return self.request("GET", path)

    def put(self, path, body):
        return self.request("PUT", path, body)

    def post(self, path, body=None):
        return self.request("POST", path, body if body is not None else {})

    def state(self):
        status, body = self.get("/api/v1/state")
        if status != 200:
            raise TwinError(f"GET /api/v1/state answered {status}: {body}")
        return body

    def ok(self, method, path, body=None):
        """A request that must succeed; returns the JSON answer."""
        status, answer = self.request(method, path, body)
        if status != 200:
            raise TwinError(f"{method} {path} {body} answered {status}: {answer}")
        return answer

    def advance(self, seconds):
        return self.ok("POST", "/api/v1/clock/advance", {"seconds": seconds})

    def set_load(self, load):
        return self.ok("PUT", "/api/v1/load", load)

    def terminate(self, sig=signal.SIGTERM, timeout=EXIT_TIMEOUT_S):
        """Sends `sig` and waits for the exit; returns the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise TwinError(f"no exit within {timeout} s after signal {sig}")

    def kill(self):
        """SIGKILL (a crash); safe to call twice."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(EXIT_TIMEOUT_S)
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()

    def stderr(self):
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        self.kill()
        if exc_type is not None:  # pytest shows this under the failed test's captured output
            print(f"--- stderr of the twin {self.url} ---\n{self.stderr()[-4000:]}", flush=True)
        return False


def read_line(stream, timeout):
    """One line from a pipe within `timeout` seconds, or None."""
    deadline = time.monotonic() + timeout
    data = b""
    fd = stream.fileno()
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        readable, _, _ = select.select([fd], [], [], left)
        if not readable:
            return None
        chunk = os.read(fd, 1)
        if not chunk:
            return None
        data += chunk
    return data.decode()


def run_cli(binary, args, timeout=EXIT_TIMEOUT_S):
    """Runs the binary to its exit; returns (exit code, stdout, stderr)."""
    try:
        done = subprocess.run([binary] + list(args), capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as err:
        return None, (err.stdout or b"").decode(), (err.stderr or b"").decode()
    return done.returncode, done.stdout.decode(), done.stderr.decode()
