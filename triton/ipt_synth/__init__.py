"""ipt_synth: the CPU stand-in for the instruction synthesizer.

One package shared by the Triton model repository (Python backend model.py
files) and the local PyTriton launcher (triton/serve.py), so both serve the
exact same bytes for the same prompt.

Modules:
    protocol  prompt parsing, output formatting, sampling parameters, tokens
    textutil  sentence / word splitting used by the miner
    miner     the deterministic rule-based task miner (the "CPU synthesizer")
    sim       the GPU-cost simulator's delay model
    observe   optional server-side log of executed batches
    service   batch execution on numpy tensors (what both front ends call)
"""

__all__ = ["protocol", "textutil", "miner", "sim", "observe", "service"]
