"""The processes a benchmark starts (the server, stress-ng) end with it, on every exit path.

`spawn` runs a child in its own process group and asks the kernel to send it SIGTERM when
the benchmark dies, even by SIGKILL (Linux's PR_SET_PDEATHSIG); `stop` ends the child's whole
group, its own children too; `cancel_on_signals` turns SIGTERM and SIGHUP into a cancellation
of the benchmark's task, so every `finally` runs. (Chromium needs none of this: Playwright's
driver closes the browsers it launched when the benchmark goes, SIGKILL included.)
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import subprocess
from typing import Any

_PR_SET_PDEATHSIG = 1


def spawn(args: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
    """Start `args` as a child that cannot outlive this process."""
    parent = os.getpid()

    def die_with_parent() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return subprocess.Popen(args, start_new_session=True, preexec_fn=die_with_parent, **kwargs)


def stop(process: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """End `process` and everything in its process group: SIGTERM, then SIGKILL."""
    group = process.pid  # its own session and group (spawn)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        process.wait(timeout)
    with contextlib.suppress(ProcessLookupError):  # stragglers the leader left behind
        os.killpg(group, signal.SIGKILL)


def cancel_on_signals() -> None:
    """SIGTERM or SIGHUP cancels the running task (call it from the benchmark's main task)."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    for signum in (signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, task.cancel)
