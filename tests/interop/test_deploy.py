"""deploy/: the container image recipe and the Kubernetes StatefulSet of a sharded fleet
(docs/fleet.md "Kubernetes"). No container runtime runs here, so this checks what can be
checked without one, against the real binary:

- the shell line of the pod turns its name into `--shard K/N`, and N is the replica count;
- each shard's Service exposes exactly the gateway ports that shard of deploy/fleet.toml
  listens on (the shards are started, on free ports shifted from the file's);
- the image's runtime packages hold every library the binary links.
"""
import os
import re
import shutil
import socket
import subprocess

import pytest
import yaml

from interop import Twin

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
DEPLOY = os.path.join(ROOT, "deploy")


def documents(name):
    with open(os.path.join(DEPLOY, name)) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def statefulset():
    return next(d for d in documents("statefulset.yaml") if d["kind"] == "StatefulSet")


def container():
    return statefulset()["spec"]["template"]["spec"]["containers"][0]


def shard_services():
    services = {}
    for d in documents("services.yaml"):
        pod = d["spec"]["selector"]["statefulset.kubernetes.io/pod-name"]
        services[int(pod.rsplit("-", 1)[1])] = d
    return services


def env(name):
    return next(e["value"] for e in container()["env"] if e["name"] == name)


def test_the_pod_runs_the_shard_of_its_ordinal_and_n_is_the_replica_count():
    replicas = statefulset()["spec"]["replicas"]
    assert int(env("SHARDS")) == replicas
    assert sorted(shard_services()) == list(range(replicas))
    line = container()["args"][0]
    assert '--shard "${POD_NAME##*-}/${SHARDS}"' in line
    assert "--fleet /etc/ambimeter/fleet.toml" in line
    mounts = {m["name"]: m["mountPath"] for m in container()["volumeMounts"]}
    assert mounts["fleet"] == "/etc/ambimeter" and mounts["state"] in line
    # The shell the image runs it with gives K/N from the pod's name.
    for k in range(replicas):
        out = subprocess.run(["/bin/sh", "-c", 'echo "${POD_NAME##*-}/${SHARDS}"'],
                             env={"POD_NAME": f"ambimeter-{k}", "SHARDS": env("SHARDS")},
                             capture_output=True, text=True, check=True).stdout.strip()
        assert out == f"{k}/{replicas}"
    kustomization = documents("kustomization.yaml")[0]
    assert kustomization["configMapGenerator"][0]["files"] == ["fleet.toml"]
    for name in kustomization["resources"]:
        assert os.path.exists(os.path.join(DEPLOY, name))


def free_port_block(count):
    """A base port with `count` free ports above it (checked by binding each)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + count >= 65535:
            continue
        try:
            socks = []
            for p in range(base, base + count):
                s = socket.socket()
                s.bind(("127.0.0.1", p))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    pytest.skip("no block of free ports")


def test_each_shards_service_exposes_the_ports_that_shard_listens_on(binary, tmp_path):
    text = open(os.path.join(DEPLOY, "fleet.toml")).read()
    file_ports = [int(p) for p in re.findall(r"^port = (\d+)$", text, re.M)]
    assert file_ports, "the file gives its gateways fixed ports"
    container_ports = {p["containerPort"] for p in container()["ports"]}
    assert set(file_ports) <= container_ports
    base = free_port_block(len(file_ports))
    delta = base - min(file_ports)
    shifted = re.sub(r"^port = (\d+)$", lambda m: f"port = {int(m.group(1)) + delta}", text,
                     flags=re.M)
    path = tmp_path / "fleet.toml"
    path.write_text(shifted)
    replicas = statefulset()["spec"]["replicas"]
    services = shard_services()
    for k in range(replicas):
        with Twin(binary, str(tmp_path / f"s{k}"), "--fleet", str(path), "--shard",
                  f"{k}/{replicas}", "--mbus-tcp", "off") as shard:
            listening = sorted(int(g["modbus_tcp"].rsplit(":", 1)[1]) - delta
                               for g in shard.ready["gateways"])
            exposed = sorted(p["port"] for p in services[k]["spec"]["ports"] if p["name"] != "http")
            assert listening == exposed, f"shard {k}"
            assert shard.ready["meters"] == 2 * 247


SANITIZER_RUNTIMES = {"libasan8", "libubsan1"}   # the test build's, not the image's
BASE_IMAGE = {"libc6", "libstdc++6", "libgcc-s1"}


def test_the_images_runtime_packages_hold_every_library_the_binary_links(binary):
    if shutil.which("dpkg") is None:
        pytest.skip("no dpkg to name the packages")
    dockerfile = open(os.path.join(DEPLOY, "Dockerfile")).read()
    runtime = dockerfile.split("FROM debian:12-slim", 1)[1]
    installed = set(re.findall(r"\b(lib[a-z0-9+.-]+|zlib1g)\b", runtime.split("&&")[1]))
    libs = [line.split("=>")[1].split()[0] for line in
            subprocess.run(["ldd", binary], capture_output=True, text=True, check=True)
            .stdout.splitlines() if "=>" in line and "/" in line]
    needed = set()
    for lib in libs:
        owner = subprocess.run(["dpkg", "-S", os.path.realpath(lib)], capture_output=True,
                               text=True)
        if owner.returncode != 0:
            owner = subprocess.run(["dpkg", "-S", lib], capture_output=True, text=True)
        assert owner.returncode == 0, f"no package owns {lib}"
        needed.add(owner.stdout.split(":", 1)[0])
    missing = needed - installed - BASE_IMAGE - SANITIZER_RUNTIMES
    assert not missing, f"deploy/Dockerfile's runtime stage lacks {sorted(missing)}"
