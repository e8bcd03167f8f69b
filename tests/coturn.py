"""A real coturn (Debian's `coturn`, installed by `make test`) on 127.0.0.1 for the TURN tests."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from aioice.turn import create_turn_endpoint

from .conftest import free_port

TURNSERVER = shutil.which("turnserver") or "/usr/bin/turnserver"


@dataclass
class Coturn:
    port: int
    secret: str
    log: Path

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def urls(self, *transports: str) -> list[str]:
        return [f"turn:127.0.0.1:{self.port}?transport={t}" for t in transports]


@contextmanager
def coturn(tmp_path: Path, secret: str) -> Iterator[Coturn]:
    """Run turnserver with the TURN REST API secret, relaying on 127.0.0.1 only."""
    port = free_port()
    relay_low = 40000 + (port % 200) * 100
    log = tmp_path / "turnserver.log"
    args = [
        TURNSERVER, "-n", "--no-cli", "--no-tls", "--no-dtls",
        "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", f"--listening-port={port}",
        f"--min-port={relay_low}", f"--max-port={relay_low + 99}",
        "--use-auth-secret", f"--static-auth-secret={secret}", "--realm=kvorum.test",
        "--allow-loopback-peers",  # the test's server is on 127.0.0.1
        f"--userdb={tmp_path / 'turndb'}", f"--pidfile={tmp_path / 'turnserver.pid'}",
        "--log-file=stdout", "--simple-log",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_listening(port, process)
        yield Coturn(port, secret, log)
    finally:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"turnserver exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


async def allocate(server: Coturn, username: str, password: str, transport: str) -> str:
    """Ask coturn for a relayed address; returns it, or raises what aioice raises on refusal."""
    endpoint, _ = await asyncio.wait_for(create_turn_endpoint(
        asyncio.DatagramProtocol, server.address, username, password, transport=transport), 10)
    try:
        host, port = endpoint.get_extra_info("sockname")
        return f"{host}:{port}"
    finally:
        endpoint.close()
