"""A pool of query worker processes, each with the release's store open read-only.

Why processes: Oxigraph evaluates a query in native code that Python cannot interrupt. A
query that runs past the time limit is stopped for real by killing its worker, which is then
replaced. The event loop only waits on a pipe, in a thread, so it is never blocked.
"""

from __future__ import annotations

import asyncio
import select
import subprocess
import sys
import threading

from .query_worker import read_message, write_message
from .sparql_exec import Job, Outcome


class _Worker:
    def __init__(self, store_spec: str):
        self.process = subprocess.Popen([sys.executable, "-m", "bikgraph.web.query_worker", store_spec],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        self._ready = False

    def _wait_readable(self, timeout: float) -> bool:
        readable, _, _ = select.select([self.process.stdout], [], [], timeout)
        return bool(readable)

    def _receive(self):
        message = read_message(self.process.stdout)
        if message is None:
            raise EOFError("the query worker exited")
        return message

    def call(self, job: Job, timeout: float) -> Outcome:
        """Run a job; raise TimeoutError after `timeout` seconds."""
        if not self._ready:
            if not self._wait_readable(max(timeout, 30.0)):
                raise TimeoutError
            self._receive()
            self._ready = True
        write_message(self.process.stdin, job)
        if not self._wait_readable(timeout):
            raise TimeoutError
        return self._receive()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(5)
        for stream in (self.process.stdin, self.process.stdout):
            stream.close()

    def stop(self) -> None:
        try:
            self.process.stdin.close()  # end of input: the worker exits
            self.process.wait(2)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()
        else:
            self.process.stdout.close()


class QueryPool:
    def __init__(self, store_spec: str, size: int, timeout_s: float):
        """store_spec: the JSON a worker opens its store from (see query_worker.py)."""
        self.store_spec, self.size, self.timeout_s = store_spec, size, timeout_s
        self._idle: list[_Worker] = []
        self._available: asyncio.Semaphore | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.killed = 0  # workers stopped for running past the limit (for tests and metrics)

    def _take(self) -> _Worker:
        with self._lock:
            return self._idle.pop() if self._idle else _Worker(self.store_spec)

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if self._closed:
                worker.stop()
            else:
                self._idle.append(worker)

    def _run(self, job: Job) -> Outcome:
        worker = self._take()
        try:
            outcome = worker.call(job, self.timeout_s)
        except TimeoutError:
            worker.kill()
            self.killed += 1
            return Outcome.error(503, f"the query ran longer than {self.timeout_s:g} s, the time limit of this "
                                      f"endpoint, and was stopped")
        except (EOFError, OSError, ValueError):
            worker.kill()
            return Outcome.error(500, "the query worker stopped unexpectedly; the query was not answered")
        self._give_back(worker)
        return outcome

    async def run(self, job: Job) -> Outcome:
        if self._available is None:
            self._available = asyncio.Semaphore(self.size)
        async with self._available:
            return await asyncio.to_thread(self._run, job)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._idle = self._idle, []
        for worker in workers:
            worker.stop()
