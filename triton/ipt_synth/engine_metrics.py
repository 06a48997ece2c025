"""The engine sim's state on Triton's /metrics under the names Triton's vLLM backend uses.

With `REPORT_CUSTOM_METRICS` on, the vLLM backend publishes vLLM's scheduler
state as Triton custom metrics labelled {model, version}; a client that
watches `vllm:num_requests_running` / `vllm:num_requests_waiting` on the
metrics endpoint therefore sees the engine sim exactly as it would see the
production model. Published from a thread every `interval_s` (each update is
an IPC to the Triton process, too dear for every step).
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Dict, List

from .runner import EngineRunner

LOG = logging.getLogger("ipt_synth.engine")

GAUGES = (
    ("vllm:num_requests_running", "Number of requests currently running on GPU.", "running"),
    ("vllm:num_requests_waiting", "Number of requests waiting to be processed.", "waiting"),
    ("vllm:gpu_cache_usage_perc", "GPU KV-cache usage. 1 means 100 percent usage.", "kv_usage"),
)
COUNTERS = (
    ("vllm:prompt_tokens_total", "Number of prefill tokens processed.", "prefill_tokens"),
    ("vllm:generation_tokens_total", "Number of generation tokens processed.", "generated_tokens"),
    ("vllm:num_preemptions_total", "Number of preemptions.", "preemptions"),
    # Not a vLLM name: the engine sim's own count of requests dropped because their client cancelled them.
    ("ipt_engine_cancelled_requests_total", "Requests dropped unfinished because their client cancelled them.",
     "requests_cancelled"),
)


class VllmMetrics:
    def __init__(self, pb: Any, runner: EngineRunner, labels: Dict[str, str], interval_s: float = 0.05) -> None:
        self.families: List[Any] = []  # a family must outlive its metrics

        def metric(name: str, description: str, kind: Any) -> Any:
            family = pb.MetricFamily(name=name, description=description, kind=kind)
            self.families.append(family)
            return family.Metric(labels=labels)

        self.runner = runner
        self.interval_s = interval_s
        self.gauges = [(metric(n, d, pb.MetricFamily.GAUGE), key) for n, d, key in GAUGES]
        self.counters = [(metric(n, d, pb.MetricFamily.COUNTER), key) for n, d, key in COUNTERS]
        self.published: Dict[str, float] = {key: 0 for _, _, key in COUNTERS + GAUGES}
        self._gauges_set = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="engine-metrics", daemon=True)

    def start(self) -> "VllmMetrics":
        self._thread.start()
        return self

    def publish(self) -> None:
        stats = self.runner.stats()
        for gauge, key in self.gauges:  # only changes cross to the Triton process (an idle engine costs nothing)
            if stats[key] != self.published[key] or not self._gauges_set:
                gauge.set(float(stats[key]))
                self.published[key] = stats[key]
        self._gauges_set = True
        for counter, key in self.counters:
            delta = stats[key] - self.published[key]
            if delta > 0:
                counter.increment(float(delta))
                self.published[key] = stats[key]

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.publish()
            except Exception as err:  # metrics are an aid; the engine keeps serving without them
                LOG.warning("engine sim: publishing metrics failed: %s", err)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
