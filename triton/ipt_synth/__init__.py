"""ipt_synth: the CPU stand-in for the instruction synthesizer.

One package shared by the Triton model repository (Python backend model.py
files) and the local PyTriton launcher (triton/serve.py), so both serve the
exact same bytes for the same prompt.

Modules:
    protocol  prompt parsing, output formatting, sampling parameters, tokens
    textutil  sentence / word splitting used by the miner
    miner     the deterministic rule-based task miner (the "CPU synthesizer")
    sim       the GPU-cost simulator's delay model
    engine    the continuous-batching engine simulator (scheduler and step cost)
    runner    plays engine steps in wall time; the engine's JSON stats endpoint
    engine_model  the engine simulator's Triton model and parameters
    engine_metrics  its state on Triton's /metrics under the vLLM backend's names
    observe   optional server-side log of executed batches
    service   batch execution on numpy tensors (what both front ends call)
"""

__all__ = ["protocol", "textutil", "miner", "sim", "engine", "runner", "engine_model", "engine_metrics", "observe", "service"]
