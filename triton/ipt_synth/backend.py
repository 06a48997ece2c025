"""Triton Python-backend glue for the model repository's CPU and sim models.

model.py files stay three lines long: they put this package on sys.path and
instantiate `make_model(kind)`. `triton_python_backend_utils` exists only
inside Triton's Python stub, so it is imported lazily here.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional

from . import service, sim
from .observe import Observer

LOG = logging.getLogger("ipt_synth")


def _param(model_config: Dict[str, Any], key: str, default: str) -> str:
    """A `parameters { key: ... value: { string_value: ... } }` entry of config.pbtxt."""
    value = model_config.get("parameters", {}).get(key, {}).get("string_value", "")
    return value if value != "" else default


def sim_config_from_model_config(model_config: Dict[str, Any]) -> sim.SimConfig:
    """Sim knobs from config.pbtxt: delays from parameters, batch and instances from the config itself."""
    instances = sum(int(g.get("count", 1)) for g in model_config.get("instance_group", [])) or 1
    return sim.SimConfig(
        batch_delay_ms=float(_param(model_config, "sim_batch_delay_ms", "50")),
        per_token_ms=float(_param(model_config, "sim_per_token_ms", "0.5")),
        max_batch=int(model_config.get("max_batch_size", 16)) or 1,
        instances=instances,
        token_mode=_param(model_config, "sim_token_mode", "generated"),
    )


class SynthModel:
    """Implements Triton's TritonPythonModel interface for one of our CPU models."""

    def __init__(self, kind: str) -> None:
        if kind not in ("cpu", "sim"):
            raise ValueError(f"unknown model kind {kind!r}")
        self.kind = kind

    def initialize(self, args: Dict[str, str]) -> None:
        import triton_python_backend_utils as pb_utils  # only importable inside Triton

        self.pb = pb_utils
        self.model_config = json.loads(args["model_config"])
        self.name = args.get("model_name", service.SIM_MODEL if self.kind == "sim" else service.CPU_MODEL)
        self.sim_cfg: Optional[sim.SimConfig] = (
            sim_config_from_model_config(self.model_config) if self.kind == "sim" else None
        )
        self.observer = Observer.from_env(_param(self.model_config, "observe_file", "") or None)
        if self.sim_cfg is not None:
            pb_utils.Logger.log_info(
                f"{self.name}: {self.sim_cfg}; capacity at T=400: {sim.capacity(self.sim_cfg, 400):.1f} prompts/s"
            )

    def execute(self, requests: List[Any]) -> List[Any]:
        pb = self.pb
        batch: List[List[service.Item]] = []
        errors: Dict[int, str] = {}
        for idx, request in enumerate(requests):
            try:
                text = pb.get_input_tensor_by_name(request, "text_input")
                params = pb.get_input_tensor_by_name(request, "sampling_parameters")
                excl = pb.get_input_tensor_by_name(request, "exclude_input_in_output")
                batch.append(
                    service.items_from_arrays(
                        text.as_numpy(),
                        params.as_numpy() if params is not None else None,
                        excl.as_numpy() if excl is not None else None,
                    )
                )
            except Exception as err:  # a malformed request fails alone, not its batch-mates
                errors[idx] = f"bad request: {err}"
                batch.append([])
        outputs = service.execute(self.name, [b for i, b in enumerate(batch) if i not in errors],
                                  self.observer, self.sim_cfg)
        responses = []
        it = iter(outputs)
        for idx in range(len(requests)):
            if idx in errors:
                responses.append(pb.InferenceResponse(output_tensors=[], error=pb.TritonError(errors[idx])))
            else:
                tensor = pb.Tensor("text_output", service.to_output_array(next(it)))
                responses.append(pb.InferenceResponse(output_tensors=[tensor]))
        return responses

    def finalize(self) -> None:
        pass


def make_model(kind: str) -> type:
    """A TritonPythonModel class (Triton instantiates it with no arguments)."""

    class TritonPythonModel(SynthModel):
        def __init__(self) -> None:
            super().__init__(kind)

    return TritonPythonModel
