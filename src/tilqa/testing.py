"""For tests and benchmarks, not for production: a throwaway Ray cluster on this machine
(`LocalCluster`, to try `tilqa build --ray` on) and a free loopback port.

Nothing here is imported by tilqa's own code; Ray is imported only when a cluster starts.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .encoders.ray import import_ray
from .errors import ClusterError, SettingsError

# The address the local cluster's nodes take and are reached at: a loopback address. Not
# 127.0.0.1, which Ray (2.60) replaces by the machine's network address unless told the cluster has
# one node (RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, which then refuses a second node). Ray still
# listens on all interfaces for any node address but 127.0.0.1, without authentication: the
# cluster lives only as long as a test or benchmark.
LOOPBACK = "127.0.0.2"


class LocalCluster:
    """A throwaway Ray cluster of `nodes` nodes on this machine, at a loopback address with no
    dashboard: for trying `--ray`, for tests and for benchmarks, not for production.

    Each node is a `ray start --block` in its own process group, stopped by that group's id (not
    `ray stop`, which would stop every Ray process of the machine's user).

        with LocalCluster(nodes=2) as cluster:
            RayEncoder(address=cluster.address).encode(texts)
    """

    def __init__(self, nodes: int = 1, cpus_per_node: int = 1, temp_dir: str | Path | None = None,
                 start_timeout: float = 180.0) -> None:
        if nodes < 1 or cpus_per_node < 1:
            raise SettingsError("a local cluster needs at least 1 node of at least 1 CPU")
        self.nodes = nodes
        self.cpus_per_node = cpus_per_node
        self.start_timeout = start_timeout
        self._own_temp = temp_dir is None
        # Ray's socket paths must stay short (AF_UNIX: 107 bytes): a short folder under /tmp.
        self.temp_dir = Path(temp_dir) if temp_dir is not None else Path(tempfile.mkdtemp(prefix="tilqa-ray-"))
        self.port = free_port(LOOPBACK)
        self.address = f"{LOOPBACK}:{self.port}"
        self._processes: list[subprocess.Popen] = []

    def _start_node(self, head: bool) -> None:
        beside_python = Path(sys.executable).with_name("ray")  # the `ray` of this environment
        ray = str(beside_python) if beside_python.exists() else shutil.which("ray")
        if ray is None:
            raise ClusterError("the `ray` command is not installed: pip install 'tilqa[ray]'")
        command = [ray, "start", "--block", "--num-cpus", str(self.cpus_per_node), "--disable-usage-stats",
                   "--node-ip-address", LOOPBACK, "--temp-dir", str(self.temp_dir)]
        if head:
            command += ["--head", "--port", str(self.port), "--include-dashboard", "false"]
        else:
            command += ["--address", self.address]
        log_file = (self.temp_dir / f"node-{len(self._processes)}.log").open("wb")
        with log_file:
            self._processes.append(
                subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                                 start_new_session=True)
            )

    def start(self) -> "LocalCluster":
        """Start the head, then the other nodes; return once all of them are in the cluster.

        :raises ClusterError: when a node does not join within `start_timeout` seconds.
        """
        import_ray()
        self.temp_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._start_node(head=True)
            self._wait(lambda: _port_open(LOOPBACK, self.port), "the head node")
            for _ in range(self.nodes - 1):
                self._start_node(head=False)
            self._wait_for_nodes()
        except BaseException:
            self._own_temp = False  # keep the nodes' logs, which the error points to
            self.stop()
            raise
        return self

    def _wait_for_nodes(self) -> None:
        """Wait until all nodes are alive in the cluster, asking from a separate process so that
        this one does not join the cluster (a process holds one Ray connection)."""
        waiter = subprocess.Popen(
            [sys.executable, "-c", _WAIT_FOR_NODES, self.address, str(self.nodes), str(self.start_timeout)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            self._wait(lambda: waiter.poll() is not None, f"{self.nodes} nodes")
        finally:
            if waiter.poll() is None:
                waiter.kill()
            waiter.wait()
        if waiter.returncode != 0:
            raise ClusterError(f"{self.nodes} nodes of the local Ray cluster did not start; see the logs in {self.temp_dir}")

    def _wait(self, ready: Any, what: str) -> None:
        deadline = time.monotonic() + self.start_timeout
        while not ready():
            dead = [p for p in self._processes if p.poll() is not None]
            if dead:
                raise ClusterError(f"a Ray node exited while starting; see the logs in {self.temp_dir}")
            if time.monotonic() > deadline:
                raise ClusterError(f"{what} of the local Ray cluster did not start in {self.start_timeout:.0f} s")
            time.sleep(0.5)

    def stop(self) -> None:
        """Stop every node: the others first (so they can drain), then the head; each by its
        process group, after a grace period of a few seconds."""
        for process in reversed(self._processes):
            _stop_group(process, grace=10.0)
        self._processes.clear()
        if self._own_temp:
            shutil.rmtree(self.temp_dir, ignore_errors=True)

    @property
    def pids(self) -> list[int]:
        """The process-group ids of the nodes (each `ray start --block` leads its own group)."""
        return [p.pid for p in self._processes]

    def __enter__(self) -> "LocalCluster":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


# Run as `python -c _WAIT_FOR_NODES ADDRESS NODES TIMEOUT`: exits 0 once NODES nodes are alive.
_WAIT_FOR_NODES = """
import sys, time, ray
address, nodes, deadline = sys.argv[1], int(sys.argv[2]), time.monotonic() + float(sys.argv[3])
ray.init(address=address, logging_level="ERROR", log_to_driver=False)
while sum(1 for n in ray.nodes() if n["Alive"]) < nodes:
    if time.monotonic() > deadline:
        sys.exit(1)
    time.sleep(0.5)
"""


def _stop_group(process: subprocess.Popen, grace: float) -> None:
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 30.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            continue
        if sig == signal.SIGTERM:
            # `ray start --block` has returned; anything of its group still alive is killed.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        return


def free_port(host: str = "127.0.0.1") -> int:
    """A port on `host` that nothing listens on now (the OS picks it)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _port_open(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False
