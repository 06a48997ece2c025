"""Optional server-side observation log: one JSON line per executed batch.

Integration tests read it to see, from the server's side, which prompts
arrived and how Triton's dynamic batcher grouped them. Off unless a path is
given (flag --observe-file or env IPT_TRITON_OBSERVE_FILE).

Line format: {"model": str, "batch_size": int, "requests": int,
              "prompts": [str, ...], "time": float (unix seconds, batch start)}
"""

from __future__ import annotations

import json
import os
import threading
from typing import Optional, Sequence

ENV_VAR = "IPT_TRITON_OBSERVE_FILE"


class Observer:
    def __init__(self, path: Optional[str]) -> None:
        self.path = path or None
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, path: Optional[str] = None) -> "Observer":
        return cls(path or os.environ.get(ENV_VAR) or None)

    @property
    def enabled(self) -> bool:
        return self.path is not None

    def record(self, model: str, prompts: Sequence[str], requests: int, started: float) -> None:
        if self.path is None:
            return
        line = json.dumps(
            {"model": model, "batch_size": len(prompts), "requests": requests, "prompts": list(prompts),
             "time": started},
            ensure_ascii=False,
        ) + "\n"
        data = line.encode("utf-8")
        # One O_APPEND write per line under a lock: instances share the file and
        # a reader must never see half a line from two interleaved writers.
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
