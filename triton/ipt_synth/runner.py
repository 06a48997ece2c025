"""Plays an Engine's steps out in wall-clock time, on its own thread, and serves its accounting.

Requests are submitted from any thread and join the engine between steps.
Each step takes its simulated duration × time_scale of wall time; a finished
sequence's `done` callback runs (on the engine thread) at the end of the step
that sampled its last token. Steps are laid end to end on an absolute
timeline while the engine is busy, so a late wake-up is caught up on the next
step instead of accumulating; a wake-up later than `max_lag_s` is not caught
up but counted in `lag_s` (the host could not keep the simulated GPU's pace),
so busy_s + idle_s + lag_s ≈ uptime_s.

A request submitted with a `cancelled` check is watched by a thread of its
own (the check may be an IPC to Triton, too dear for the engine thread):
once the check says its client cancelled it, the engine drops it between
steps, frees its KV blocks and answers it with `CANCELLED` as its error, as
vLLM's backend aborts a request Triton reports cancelled.

`StatsServer` answers `GET /` (any path) on 127.0.0.1 with the engine's
accounting as JSON (see `EngineRunner.stats()`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple

from .engine import Engine, Sequence

LOG = logging.getLogger("ipt_synth.engine")

Done = Callable[[Sequence, Optional[str]], None]  # (sequence, error or None)
Cancelled = Callable[[], bool]  # whether the request's client has cancelled it

CANCELLED = "request cancelled by its client"


class EngineRunner:
    def __init__(self, engine: Engine, time_scale: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 max_lag_s: float = 0.05, sleep: Callable[[float], None] = time.sleep,
                 cancel_check_s: float = 0.1) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        self.engine = engine
        self.time_scale = time_scale
        self.clock = clock
        self.sleep = sleep
        self.max_lag_s = max_lag_s
        self._lag_s = 0.0
        self._cond = threading.Condition()
        self._inbox: List[Tuple[Sequence, Done]] = []
        self.cancel_check_s = cancel_check_s
        self._watched: Dict[int, Tuple[Sequence, Cancelled]] = {}  # by id(seq), until answered
        self._to_cancel: List[Sequence] = []
        self._watcher: Optional[threading.Thread] = None
        self._halt = threading.Event()  # stops the watcher (the engine thread has the condition)
        # A request is never asked once its answer is on its way: Triton frees what the check reads
        # when the final response goes out, and asking then crashes the server.
        self._asking = threading.Lock()
        self._stopped = False
        self._thread: Optional[threading.Thread] = None
        self._started_at = clock()
        self._busy_since: Optional[float] = None
        self._idle_s = 0.0
        self._idle_since: Optional[float] = self._started_at

    def start(self) -> "EngineRunner":
        self._thread = threading.Thread(target=self._run, name="engine-sim", daemon=True)
        self._thread.start()
        self._watcher = threading.Thread(target=self._watch_cancellations, name="engine-sim-cancel", daemon=True)
        self._watcher.start()
        return self

    def stop(self, reason: str = "engine stopped") -> None:
        """Stop the engine thread; requests still queued or running are answered with `reason` as error."""
        self._halt.set()
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        with self._cond:
            engine = self.engine
            left = [seq for seq, _ in self._inbox] + list(engine.running) + list(engine.waiting)
            self._inbox, engine.running = [], []
            engine.waiting.clear()
        for seq in left:
            self._call(seq.payload, seq, reason)

    def submit(self, seq: Sequence, done: Done, cancelled: Optional[Cancelled] = None) -> None:
        seq.payload = done
        with self._cond:
            if cancelled is not None:
                self._watched[id(seq)] = (seq, cancelled)
            self._inbox.append((seq, done))
            self._cond.notify()

    # -- cancellation --------------------------------------------------------------------------------
    def _watch_cancellations(self) -> None:
        while True:
            with self._cond:
                if self._stopped:
                    return
                watched = list(self._watched.values())
            gone = [seq for seq, cancelled in watched if self._asks_cancel(seq, cancelled)]
            if gone:
                with self._cond:
                    self._to_cancel.extend(gone)
                    self._cond.notify()
            if self._halt.wait(self.cancel_check_s):
                return

    def _asks_cancel(self, seq: Sequence, cancelled: Cancelled) -> bool:
        try:
            with self._asking:
                return id(seq) in self._watched and bool(cancelled())
        except Exception:  # a check that fails says nothing: the request keeps running
            LOG.exception("engine sim: cancellation check failed")
            return False

    def _drop_cancelled(self) -> None:
        """Under the lock, between steps: drop what the watcher found cancelled and answer it so."""
        drop, self._to_cancel = self._to_cancel, []
        for seq in drop:
            queued = next((i for i, (s, _) in enumerate(self._inbox) if s is seq), None)
            if queued is not None:
                del self._inbox[queued]
                self.engine.stats.requests_cancelled += 1
            elif not self.engine.cancel(seq):
                continue  # finished meanwhile: its answer went out
            self._call(seq.payload, seq, CANCELLED)

    def stats(self) -> Dict[str, Any]:
        with self._cond:
            snap = self.engine.snapshot()
            now = self.clock()
            idle = self._idle_s + (now - self._idle_since if self._idle_since is not None else 0.0)
        snap["time_scale"] = self.time_scale
        snap["busy_s"] = snap["busy_ms"] * self.time_scale / 1000.0
        snap["uptime_s"] = now - self._started_at
        snap["idle_s"] = idle  # wall time with nothing running or waiting
        snap["lag_s"] = self._lag_s  # wall time lost to wake-ups too late to catch up
        cfg = self.engine.cfg
        snap["config"] = {
            "max_num_seqs": cfg.max_num_seqs, "max_num_batched_tokens": cfg.max_num_batched_tokens,
            "kv_cache_tokens": cfg.kv_cache_tokens, "block_size": cfg.block_size,
            "enable_prefix_caching": cfg.enable_prefix_caching, "max_model_len": cfg.max_model_len,
            "overhead_ms": cfg.cost.overhead_ms, "per_seq_ms": cfg.cost.per_seq_ms,
            "per_prefill_token_ms": cfg.cost.per_prefill_token_ms,
        }
        return snap

    # -- the engine thread --------------------------------------------------------------------------
    def _admit_inbox(self) -> None:
        inbox, self._inbox = self._inbox, []
        for seq, done in inbox:
            try:
                self.engine.add(seq)
            except ValueError as err:
                self._call(done, seq, str(err))

    def _run(self) -> None:
        step_end: Optional[float] = None
        while True:
            with self._cond:
                self._drop_cancelled()
                self._admit_inbox()
                while self.engine.idle and not self._inbox and not self._stopped and not self._to_cancel:
                    if self._idle_since is None:
                        self._idle_since = self.clock()
                    step_end = None
                    self._cond.wait()
                if self._stopped:
                    return
                if self.engine.idle:
                    continue  # only rejected or cancelled requests arrived
                if self._idle_since is not None:
                    self._idle_s += self.clock() - self._idle_since
                    self._idle_since = None
                result = self.engine.step()
            assert result is not None
            now = self.clock()
            if step_end is None or step_end < now - self.max_lag_s:
                if step_end is not None:
                    self._lag_s += now - step_end
                step_end = now
            step_end += result.duration_ms * self.time_scale / 1000.0
            delay = step_end - self.clock()
            if delay > 0:
                self.sleep(delay)
            for seq in result.finished:
                self._call(seq.payload, seq, None)

    def _call(self, done: Done, seq: Sequence, error: Optional[str]) -> None:
        with self._asking:
            self._watched.pop(id(seq), None)
        try:
            done(seq, error)
        except Exception:  # one bad callback must not stop the engine
            LOG.exception("engine sim: response callback failed")


class StatsServer:
    """GET → the runner's stats as JSON, on 127.0.0.1:port (port 0 picks a free one)."""

    def __init__(self, runner: EngineRunner, port: int, host: str = "127.0.0.1") -> None:
        stats = runner.stats

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                body = json.dumps(stats()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="engine-stats", daemon=True)

    def start(self) -> "StatsServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
