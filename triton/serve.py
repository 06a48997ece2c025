#!/usr/bin/env python3
"""Local Triton for ipt: PyTriton serving the CPU synthesizer, the GPU-cost simulator and the engine simulator.

Started by the local stack as

    .venv/bin/python triton/serve.py --http-port 18000 --grpc-port 18001 --metrics-port 18002

It speaks the same KServe v2 protocol as production Triton (readiness at
/v2/health/ready, configs at /v2/models/<m>/config, batched infer at
/v2/models/<m>/infer; the decoupled engine sim through the generate extension,
/v2/models/<m>/generate). All three endpoints bind 127.0.0.1 by default.

The engine sim is the model repository's Python-backend model
(model_repository/instruction_synthesizer_engine_sim), copied into PyTriton's
model store with its parameters set from the --engine-* flags, so Triton runs
it exactly as a model repository would: one decoupled instance whose
execute() returns at once, hundreds of requests in its engine.
Stops cleanly on SIGTERM or SIGINT (PyTriton shuts Triton down and cleans
its workspace).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

# The shared package lives next to this file (triton/ipt_synth).
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from ipt_synth import engine, engine_model, service, sim  # noqa: E402
from ipt_synth.observe import ENV_VAR as OBSERVE_ENV, Observer  # noqa: E402

LOG = logging.getLogger("ipt.triton")
MODELS = (service.CPU_MODEL, service.SIM_MODEL, engine_model.ENGINE_MODEL)
ENGINE_REPO_DIR = Path(__file__).resolve().parent / "model_repository" / engine_model.ENGINE_MODEL
# Engine-sim parameters that have their own --engine-* flag (the fault and observe files share the
# flags of the other models).
ENGINE_FLAG_PARAMS = tuple(p for p in engine_model.PARAMS if p.key not in ("fault_file", "observe_file"))


def engine_flag(key: str) -> str:
    """--engine-<name> for a parameter key: ipt_max_num_seqs → --engine-max-num-seqs."""
    name = key.lower().removeprefix("ipt_").removeprefix("engine_")
    return "--engine-" + name.replace("_", "-")


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="serve.py",
        description="Serve ipt's CPU instruction synthesizer, GPU-cost simulator and engine simulator over Triton.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        epilog="Sim capacity with full batches: C = instances * max_batch / "
        "((batch_delay_ms + per_token_ms * T) / 1000) prompts/s, T = longest generation in tokens. "
        "Engine sim capacity at saturation, S = max_num_seqs, P uncached prompt tokens, N output tokens: "
        "C = S * 1000 / ((N * overhead_ms + S * (N - 1) * per_seq_ms + S * P * per_prefill_token_ms) * time_scale) "
        "requests/s.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address for HTTP, GRPC and metrics endpoints")
    p.add_argument("--http-port", type=int, default=18000)
    p.add_argument("--grpc-port", type=int, default=18001)
    p.add_argument("--metrics-port", type=int, default=18002)
    p.add_argument("--models", default=",".join(MODELS), help=f"comma-separated subset of {','.join(MODELS)}")
    p.add_argument("--cpu-max-batch", type=int, default=64, help="max_batch_size of the CPU model")
    p.add_argument("--cpu-instances", type=int, default=1, help="instances of the CPU model")
    p.add_argument("--max-queue-delay-us", type=int, default=2000,
                   help="dynamic batcher: how long a request may wait for batch-mates")
    p.add_argument("--sim-batch-delay-ms", type=float, default=50.0, help="fixed simulated cost of one batch")
    p.add_argument("--sim-per-token-ms", type=float, default=0.5, help="simulated cost per generated token")
    p.add_argument("--sim-max-batch", type=int, default=16, help="max_batch_size of the sim model")
    p.add_argument("--sim-instances", type=int, default=1, help="instances of the sim model (run in parallel)")
    p.add_argument("--sim-token-mode", choices=sim.TOKEN_MODES, default="generated",
                   help="T = longest generated output, or largest requested max_tokens")
    p.add_argument("--sim-answer", choices=sim.ANSWER_MODES, default="mined",
                   help="sim outputs: the CPU synthesizer's, or pairs echoed from the text (near-zero CPU)")
    for param in ENGINE_FLAG_PARAMS:
        p.add_argument(engine_flag(param.key), dest=param.key, default=param.default, help=f"engine sim: {param.help}")
    p.add_argument("--observe-file", default=os.environ.get(OBSERVE_ENV),
                   help=f"append one JSON line per executed batch (env {OBSERVE_ENV}); off by default")
    p.add_argument("--fault-file", default=None,
                   help="while this file exists every batch fails (endpoint-level fault injection for tests)")
    p.add_argument("--log-verbose", type=int, default=0, help="Triton server verbosity")
    args = p.parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = sorted(set(models) - set(MODELS))
    if unknown or not models:
        p.error(f"--models: unknown {unknown or 'empty list'}; choose from {', '.join(MODELS)}")
    args.models = models
    for name in ("cpu_max_batch", "cpu_instances", "sim_max_batch", "sim_instances"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")
    try:
        args.sim = sim.SimConfig(args.sim_batch_delay_ms, args.sim_per_token_ms, args.sim_max_batch,
                                 args.sim_instances, args.sim_token_mode, args.sim_answer)
        args.engine_params = {param.key: getattr(args, param.key) for param in ENGINE_FLAG_PARAMS}
        args.engine_params["fault_file"] = args.fault_file or ""
        args.engine_params["observe_file"] = args.observe_file or ""
        args.engine = engine_model.settings_from_params(args.engine_params)
    except ValueError as err:
        p.error(str(err))
    return args


def write_engine_model(store: Path, params: Dict[str, str]) -> Path:
    """Put the repository's engine-sim model into a Triton model store, parameters set to `params`."""
    target = store / engine_model.ENGINE_MODEL
    (target / "1").mkdir(parents=True, exist_ok=True)
    template = (ENGINE_REPO_DIR / "config.pbtxt").read_text()
    (target / "config.pbtxt").write_text(engine_model.render_config(template, params))
    # A link, so model.py still finds the ipt_synth package next to the repository.
    link = target / "1" / "model.py"
    if link.exists() or link.is_symlink():
        link.unlink()
    link.symlink_to(ENGINE_REPO_DIR / "1" / "model.py")
    return target


InferFn = Callable[[List[object]], List[Dict[str, np.ndarray]]]


def make_infer(model: str, observer: Observer, sim_cfg: Optional[sim.SimConfig],
               fault: Optional[service.FaultSwitch] = None) -> InferFn:
    """A PyTriton infer callable over a dynamic batch of requests.

    Not @batch-decorated on purpose: optional inputs may be present in some
    requests and absent in others, which @batch cannot concatenate.
    """

    def infer(requests: List[object]) -> List[Dict[str, np.ndarray]]:
        if fault is not None:
            fault.check()
        batch = [
            service.items_from_arrays(
                r["text_input"],  # type: ignore[index]
                r.data.get("sampling_parameters"),  # type: ignore[attr-defined]
                r.data.get("exclude_input_in_output"),  # type: ignore[attr-defined]
            )
            for r in requests
        ]
        outs = service.execute(model, batch, observer, sim_cfg)
        return [{"text_output": service.to_output_array(o)} for o in outs]

    return infer


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    # Imported late so --help works (and fails fast on bad flags) without Triton.
    from pytriton.model_config import DynamicBatcher, ModelConfig, Tensor
    from pytriton.triton import Triton, TritonConfig, TritonLifecyclePolicy
    from pytriton.utils.workspace import Workspace

    observer = Observer(args.observe_file)
    fault = service.FaultSwitch(args.fault_file)
    inputs = [
        Tensor(name="text_input", dtype=bytes, shape=(1,)),
        Tensor(name="sampling_parameters", dtype=bytes, shape=(1,), optional=True),
        Tensor(name="exclude_input_in_output", dtype=np.bool_, shape=(1,), optional=True),
    ]
    outputs = [Tensor(name="text_output", dtype=bytes, shape=(1,))]
    batcher = DynamicBatcher(max_queue_delay_microseconds=args.max_queue_delay_us)
    config = TritonConfig(
        http_address=args.host, http_port=args.http_port,
        grpc_address=args.host, grpc_port=args.grpc_port,
        metrics_address=args.host, metrics_port=args.metrics_port,
        log_verbose=args.log_verbose,
    )

    # SIGTERM (from the stack's stop) takes the same clean path as Ctrl-C:
    # Triton.serve() catches KeyboardInterrupt and stops server and proxies.
    def on_term(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)

    # Write the model store first and let tritonserver load it at startup, so
    # /v2/health/ready only turns true once every model is loaded. (With the
    # default policy PyTriton starts an empty server and loads models after it
    # is already "ready": a readiness probe would race the model load.)
    policy = TritonLifecyclePolicy(launch_triton_on_startup=False, local_model_store=True)
    workspace = Workspace(None)
    try:
        with Triton(config=config, triton_lifecycle_policy=policy, workspace=workspace) as triton:
            for model in args.models:
                if model == engine_model.ENGINE_MODEL:
                    # Not a PyTriton binding: Triton loads it from the store with the others.
                    write_engine_model(workspace.model_store_path, args.engine_params)
                    continue
                is_sim = model == service.SIM_MODEL
                cfg = args.sim if is_sim else None
                n = args.sim_instances if is_sim else args.cpu_instances
                max_batch = args.sim_max_batch if is_sim else args.cpu_max_batch
                triton.bind(
                    model_name=model,
                    # A list of callables = that many model instances, run concurrently.
                    infer_func=[make_infer(model, observer, cfg, fault) for _ in range(n)],
                    inputs=inputs,
                    outputs=outputs,
                    config=ModelConfig(max_batch_size=max_batch, batcher=batcher),
                    strict=True,
                )
            LOG.info("serving %s on http://%s:%d (grpc %d, metrics %d)%s", ", ".join(args.models), args.host,
                     args.http_port, args.grpc_port, args.metrics_port,
                     f"; observing batches to {args.observe_file}" if observer.enabled else "")
            if fault.enabled:
                LOG.info("fault switch: every batch fails while %s exists", args.fault_file)
            if service.SIM_MODEL in args.models:
                LOG.info("sim: %s; capacity at T=400: %.1f prompts/s", args.sim, sim.capacity(args.sim, 400))
            if engine_model.ENGINE_MODEL in args.models:
                LOG.info("engine sim: %s; capacity at P=600, N=250: %.1f requests/s%s", args.engine.engine,
                         engine.capacity(args.engine.engine, 600, 250, args.engine.time_scale),
                         f"; stats on http://127.0.0.1:{args.engine.stats_port}/" if args.engine.stats_port else "")
            triton.serve()
    except KeyboardInterrupt:
        LOG.info("interrupted, Triton stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
