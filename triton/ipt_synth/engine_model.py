"""instruction_synthesizer_engine_sim: the engine simulator behind the vLLM model's Triton interface.

Decoupled with max_batch_size 0, like Triton's vLLM backend: `execute()`
hands each request to the engine thread and returns at once, so Triton keeps
delivering new requests while earlier ones are being generated; each answer
is sent on its request's response sender, with the final flag, when the
engine samples its last token. One model instance holds hundreds of requests.
A request Triton reports cancelled (its gRPC call was cancelled or its
connection closed) is dropped between engine steps and answered CANCELLED,
as the vLLM backend aborts it in vLLM.

Knobs are config.pbtxt `parameters` (string values); `PARAMS` lists them with
their defaults, and serve.py turns the same table into flags. Two are the
names the vLLM model's config publishes, so a client reads them the same way
from either: `ipt_max_num_seqs` (the engine's max_num_seqs, a concurrency
hint) and `ipt_max_model_len`.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple

import numpy as np

from . import miner, protocol, service, sim, tokens
from .engine import DEFAULT_PRESET, PRESETS, Engine, EngineConfig, Sequence, StepCost
from .engine_metrics import VllmMetrics
from .observe import Observer
from .runner import CANCELLED, EngineRunner, StatsServer

ENGINE_MODEL = "instruction_synthesizer_engine_sim"


@dataclass(frozen=True)
class Param:
    key: str
    default: str
    help: str


PARAMS: Tuple[Param, ...] = (
    Param("ipt_max_num_seqs", "256", "max_num_seqs: sequences scheduled at once (published as a concurrency hint)"),
    Param("ipt_max_model_len", "4096", "max_model_len: longer prompts are rejected, outputs capped to fit"),
    Param("engine_preset", DEFAULT_PRESET, f"step-cost and KV-cache preset ({', '.join(PRESETS)})"),
    Param("engine_time_scale", "1", "wall seconds per simulated GPU second (10 = ten times slower)"),
    Param("engine_max_num_batched_tokens", "8192", "per-step token budget (chunked prefill)"),
    Param("engine_kv_cache_tokens", "", "KV-cache capacity in tokens (empty: the preset's)"),
    Param("engine_block_size", "16", "KV-cache block size in tokens"),
    Param("engine_enable_prefix_caching", "true", "reuse cached block-aligned prompt prefixes"),
    Param("engine_overhead_ms", "", "fixed cost of a step (empty: the preset's)"),
    Param("engine_per_seq_ms", "", "cost per decoding sequence in a step (empty: the preset's)"),
    Param("engine_per_prefill_token_ms", "", "cost per prefill token in a step (empty: the preset's)"),
    Param("engine_tokenizer", "mistral-7b-v0.1",
          f"tokens counted and cached: {' or '.join(tokens.TOKENIZERS)} (characters / 4, no dependency)"),
    Param("engine_answer", "mined", "outputs: the CPU synthesizer's (mined) or text slices (echo, near-zero CPU)"),
    Param("engine_cancel_check_ms", "100",
          "how often requests are asked whether their client cancelled them (each ask is an IPC to Triton)"),
    Param("engine_stats_port", "0", "serve the engine's accounting as JSON on 127.0.0.1:PORT (0: off)"),
    Param("REPORT_CUSTOM_METRICS", "true",
          "publish running/waiting/KV use and token counters on Triton's /metrics under the vLLM backend's names"),
    Param("fault_file", "", "while this file exists every request fails (endpoint fault injection)"),
    Param("observe_file", "", "append one JSON line per request (also env IPT_TRITON_OBSERVE_FILE)"),
)
DEFAULTS: Dict[str, str] = {p.key: p.default for p in PARAMS}


@dataclass(frozen=True)
class EngineSettings:
    engine: EngineConfig
    time_scale: float
    answer: str
    tokenizer: str
    stats_port: int
    cancel_check_s: float
    report_metrics: bool
    fault_file: Optional[str]
    observe_file: Optional[str]


def _bool(value: str) -> bool:
    if value.lower() in ("true", "1", "yes", "on"):
        return True
    if value.lower() in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def settings_from_params(params: Mapping[str, str]) -> EngineSettings:
    """Settings from parameter strings (missing or empty ones take the defaults); ValueError if invalid."""
    unknown = sorted(set(params) - set(DEFAULTS) - {"ipt_sampling_parameters"})
    if unknown:
        raise ValueError(f"unknown engine sim parameters {unknown}")
    p = {k: (params.get(k) or d) for k, d in DEFAULTS.items()}
    preset_name = p["engine_preset"]
    if preset_name not in PRESETS:
        raise ValueError(f"unknown engine_preset {preset_name!r}; choose from {', '.join(PRESETS)}")
    preset = PRESETS[preset_name]

    def num(key: str, fallback: float) -> float:
        return float(p[key]) if p[key] else fallback

    cost = StepCost(
        overhead_ms=num("engine_overhead_ms", preset.cost.overhead_ms),
        per_seq_ms=num("engine_per_seq_ms", preset.cost.per_seq_ms),
        per_prefill_token_ms=num("engine_per_prefill_token_ms", preset.cost.per_prefill_token_ms),
    )
    engine = EngineConfig(
        max_num_seqs=int(p["ipt_max_num_seqs"]),
        max_num_batched_tokens=int(p["engine_max_num_batched_tokens"]),
        kv_cache_tokens=int(num("engine_kv_cache_tokens", preset.kv_cache_tokens)),
        block_size=int(p["engine_block_size"]),
        enable_prefix_caching=_bool(p["engine_enable_prefix_caching"]),
        max_model_len=int(p["ipt_max_model_len"]),
        cost=cost,
    )
    time_scale = float(p["engine_time_scale"])
    if time_scale <= 0:
        raise ValueError("engine_time_scale must be > 0")
    if p["engine_answer"] not in sim.ANSWER_MODES:
        raise ValueError(f"engine_answer must be one of {sim.ANSWER_MODES}")
    if p["engine_tokenizer"] not in tokens.TOKENIZERS:
        raise ValueError(f"engine_tokenizer must be one of {tokens.TOKENIZERS}")
    cancel_check_s = float(p["engine_cancel_check_ms"]) / 1000.0
    if cancel_check_s <= 0:
        raise ValueError("engine_cancel_check_ms must be > 0")
    port = int(p["engine_stats_port"])
    if not 0 <= port <= 65535:
        raise ValueError("engine_stats_port must be 0..65535")
    return EngineSettings(engine, time_scale, p["engine_answer"], p["engine_tokenizer"], port, cancel_check_s,
                          _bool(p["REPORT_CUSTOM_METRICS"]), p["fault_file"] or None, p["observe_file"] or None)


_PARAM_VALUE = r'(key:\s*"{key}"\s*value:\s*\{{\s*string_value:\s*")((?:[^"\\]|\\.)*)(")'


def render_config(template: str, overrides: Mapping[str, str]) -> str:
    """config.pbtxt text with the string values of the given parameters replaced (each must exist)."""
    out = template
    for key, value in overrides.items():
        pattern = re.compile(_PARAM_VALUE.format(key=re.escape(key)))
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        out, n = pattern.subn(lambda m: m.group(1) + escaped + m.group(3), out)
        if n != 1:
            raise ValueError(f"parameter {key!r} appears {n} times in the config template")
    return out


def answer(prompt: str, max_tokens: int, mode: str) -> str:
    """The generated text (before any prompt echo): deterministic from the prompt, cut at max_tokens."""
    if mode == "echo":
        return protocol.truncate_to_tokens(sim.echo_answer(prompt), max_tokens)
    return miner.synthesize(prompt, max_tokens)


def params_of(model_config: Dict[str, Any]) -> Dict[str, str]:
    return {k: v.get("string_value", "") for k, v in model_config.get("parameters", {}).items()}


class EngineModel:
    """Triton's TritonPythonModel interface (Triton instantiates `TritonPythonModel` with no arguments)."""

    def initialize(self, args: Dict[str, str]) -> None:
        import triton_python_backend_utils as pb_utils  # only importable inside Triton

        self.pb = pb_utils
        model_config = json.loads(args["model_config"])
        if not pb_utils.using_decoupled_model_transaction_policy(model_config):
            raise pb_utils.TritonModelException(f"{ENGINE_MODEL} must be decoupled")
        self.name = args.get("model_name", ENGINE_MODEL)
        self.settings = settings_from_params(params_of(model_config))
        self.tokenizer = tokens.load(self.settings.tokenizer)
        self.fault = service.FaultSwitch(self.settings.fault_file)
        self.observer = Observer.from_env(self.settings.observe_file)
        self.runner = EngineRunner(Engine(self.settings.engine), self.settings.time_scale,
                                   cancel_check_s=self.settings.cancel_check_s).start()
        self.stats_server: Optional[StatsServer] = None
        if self.settings.stats_port:
            self.stats_server = StatsServer(self.runner, self.settings.stats_port).start()
        self.metrics: Optional[VllmMetrics] = None
        if self.settings.report_metrics:
            labels = {"model": self.name, "version": str(args.get("model_version", "1"))}
            try:
                self.metrics = VllmMetrics(pb_utils, self.runner, labels).start()
            except Exception as err:  # e.g. a server started without metrics
                pb_utils.Logger.log_warn(f"{self.name}: no custom metrics ({err})")
        pb_utils.Logger.log_info(f"{self.name}: {self.settings}")

    def execute(self, requests: List[Any]) -> None:
        pb = self.pb
        for request in requests:
            sender = request.get_response_sender()
            try:
                prompt, params, exclude = self._parse(request)
                self.fault.check()
                if service.FAULT_MARKER in prompt:
                    raise service.InjectedFault(f"injected inference failure ({service.FAULT_MARKER} in the prompt)")
                self.observer.record(self.name, [prompt], 1, time.time())
                output = answer(prompt, params.max_tokens, self.settings.answer)
                seq = Sequence.from_text(prompt, output, params.max_tokens, self.tokenizer)
            except (service.EndpointFault, service.InjectedFault) as err:
                # Server-side failures a client may retry elsewhere (gRPC sees UNAVAILABLE; Triton's HTTP
                # generate extension answers every model error with 400, so there only the message differs).
                # Logged too: the server log is where a drill counts the failures it injected.
                pb.Logger.log_warn(f"{self.name}: {err}")
                self._fail(sender, str(err), pb.TritonError.UNAVAILABLE)
                continue
            except Exception as err:  # a malformed request fails alone
                self._fail(sender, f"bad request: {err}", pb.TritonError.INVALID_ARG)
                continue
            text = output if exclude else prompt + output
            # As the vLLM backend asks; older Python backends cannot tell, and their requests run to the end.
            cancelled = getattr(sender, "is_cancelled", None)
            self.runner.submit(seq, lambda _seq, error, s=sender, t=text: self._respond(s, t, error), cancelled)
        return None

    def _parse(self, request: Any) -> Tuple[str, protocol.SamplingParameters, bool]:
        pb = self.pb
        text = pb.get_input_tensor_by_name(request, "text_input")
        params = pb.get_input_tensor_by_name(request, "sampling_parameters")
        excl = pb.get_input_tensor_by_name(request, "exclude_input_in_output")
        items = service.items_from_arrays(
            text.as_numpy(),
            params.as_numpy() if params is not None else None,
            excl.as_numpy() if excl is not None else None,
        )
        if len(items) != 1:
            raise ValueError(f"one prompt per request, got {len(items)}")
        item = items[0]
        return item.prompt, item.params, item.exclude_input_in_output

    def _respond(self, sender: Any, text: str, error: Optional[str]) -> None:
        if error == CANCELLED:  # nobody waits for it; the final flag closes its response sender
            self._fail(sender, error, getattr(self.pb.TritonError, "CANCELLED", self.pb.TritonError.UNAVAILABLE))
            return
        if error is not None:  # the engine rejected it: too long for the model or the cache
            self._fail(sender, error, self.pb.TritonError.INVALID_ARG)
            return
        pb = self.pb
        tensor = pb.Tensor("text_output", np.array([text.encode("utf-8")], dtype=np.object_))
        sender.send(pb.InferenceResponse(output_tensors=[tensor]), flags=pb.TRITONSERVER_RESPONSE_COMPLETE_FINAL)

    def _fail(self, sender: Any, message: str, code: Any) -> None:
        pb = self.pb
        sender.send(pb.InferenceResponse(output_tensors=[], error=pb.TritonError(message, code)),
                    flags=pb.TRITONSERVER_RESPONSE_COMPLETE_FINAL)

    def finalize(self) -> None:
        if self.metrics is not None:
            self.metrics.stop()
        if self.stats_server is not None:
            self.stats_server.stop()
        self.runner.stop("model unloaded before the request finished")
