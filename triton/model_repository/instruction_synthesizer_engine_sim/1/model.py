"""Triton Python backend entry for instruction_synthesizer_engine_sim.

All logic lives in the shared ipt_synth package (also used by triton/serve.py),
so the model repository and the local PyTriton server answer identically.
The package is found via the IPT_SYNTH_PATH environment variable
(the directory that contains ipt_synth/), else relative to this file
(<triton>/model_repository/<model>/1/model.py).
"""

import os
import sys
from pathlib import Path


def _shared_path() -> str:
    return os.environ.get("IPT_SYNTH_PATH") or str(Path(__file__).resolve().parents[3])


if _shared_path() not in sys.path:
    sys.path.insert(0, _shared_path())

from ipt_synth.engine_model import EngineModel  # noqa: E402


class TritonPythonModel(EngineModel):
    pass
