"""Batch execution shared by both front ends (PyTriton launcher, Triton Python backend).

Both hand us, per Triton request, numpy arrays shaped [batch, 1]:
text_input (BYTES), optional sampling_parameters (BYTES, JSON) and optional
exclude_input_in_output (BOOL). A dynamic batch is a list of such requests.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import List, Optional, Sequence

import numpy as np

from . import miner, protocol, sim
from .observe import Observer

CPU_MODEL = "instruction_synthesizer_cpu"
# Fault injection for the local models only: a prompt carrying this marker fails its whole batch, the
# way a poison input can crash a real inference server. Tests use it to prove a poison record ends in
# the dead-letter topic without stopping anything else.
FAULT_MARKER = "[[ipt-fault:inference-error]]"
SIM_MODEL = "instruction_synthesizer_sim"


class InjectedFault(RuntimeError):
    """Raised for a batch holding FAULT_MARKER."""


class EndpointFault(RuntimeError):
    """Raised for every batch while an endpoint's fault file exists."""


class FaultSwitch:
    """Endpoint-level fault injection for the local server: while `path` exists, every batch fails.

    FAULT_MARKER poisons one prompt wherever it goes; this instead breaks one *server* for a while
    (a sick GPU node that still answers its health check), so a client has to route around it. A
    file is the switch because a test driver can flip it from outside without an extra port, and
    checking it costs one stat per batch.
    """

    def __init__(self, path: Optional[str]) -> None:
        self.path = path

    @property
    def enabled(self) -> bool:
        return bool(self.path)

    def check(self) -> None:
        if self.path and os.path.exists(self.path):
            raise EndpointFault(f"injected endpoint fault: {self.path} exists")


@dataclass(frozen=True)
class Item:
    prompt: str
    params: protocol.SamplingParameters
    exclude_input_in_output: bool


def _as_str(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _column(arr: Optional[np.ndarray], n: int) -> List[object]:
    """Flatten an optional [n, 1] (or [n]) tensor into n python values (None if absent)."""
    if arr is None:
        return [None] * n
    flat = np.asarray(arr).reshape(-1)
    if flat.size == 1 and n > 1:  # tolerate a single value for the whole request
        return [flat[0]] * n
    if flat.size != n:
        raise ValueError(f"expected {n} values, got shape {np.asarray(arr).shape}")
    return list(flat)


def items_from_arrays(
    text_input: np.ndarray, sampling_parameters: Optional[np.ndarray], exclude_input_in_output: Optional[np.ndarray]
) -> List[Item]:
    prompts = [_as_str(p) for p in np.asarray(text_input).reshape(-1)]
    n = len(prompts)
    params = [protocol.parse_sampling_parameters(v) for v in _column(sampling_parameters, n)]
    # vLLM's backend prepends the prompt unless exclude_input_in_output is true;
    # an absent tensor therefore means "include the prompt".
    excludes = [bool(v) if v is not None else False for v in _column(exclude_input_in_output, n)]
    return [Item(p, s, e) for p, s, e in zip(prompts, params, excludes)]


def to_output_array(texts: Sequence[str]) -> np.ndarray:
    return np.array([[t.encode("utf-8")] for t in texts], dtype=np.object_).reshape(len(texts), 1)


def run_cpu(items: Sequence[Item]) -> List[str]:
    return [miner.generate(i.prompt, i.params.max_tokens, i.exclude_input_in_output) for i in items]


def run_sim(items: Sequence[Item], cfg: sim.SimConfig) -> List[str]:
    """CPU answers, released only after the simulated GPU time of the batch."""
    started = time.monotonic()
    if cfg.answer == "echo":
        generated = [sim.echo_answer(i.prompt) for i in items]
    else:
        generated = [miner.synthesize(i.prompt, i.params.max_tokens) for i in items]
    tokens = sim.batch_tokens(
        cfg, [protocol.estimate_tokens(g) for g in generated], [i.params.max_tokens for i in items]
    )
    sim.wait_until(started + sim.batch_delay_s(cfg, tokens))
    return [g if i.exclude_input_in_output else i.prompt + g for g, i in zip(generated, items)]


def execute(
    model: str, requests: Sequence[Sequence[Item]], observer: Observer, sim_cfg: Optional[sim.SimConfig] = None
) -> List[List[str]]:
    """Run one dynamic batch (a list of requests, each a list of items) as a single model batch."""
    started = time.time()
    flat = [item for req in requests for item in req]
    if any(FAULT_MARKER in i.prompt for i in flat):
        raise InjectedFault(f"injected inference failure ({FAULT_MARKER} in a prompt of this batch)")
    observer.record(model, [i.prompt for i in flat], len(requests), started)
    outs = run_sim(flat, sim_cfg) if sim_cfg is not None else run_cpu(flat)
    result: List[List[str]] = []
    pos = 0
    for req in requests:
        result.append(outs[pos : pos + len(req)])
        pos += len(req)
    return result
