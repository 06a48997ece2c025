"""GPU-cost simulator: the CPU synthesizer's answers, delivered at a GPU's pace.

A batch of B prompts costs

    delay = batch_delay_ms + per_token_ms * T        (milliseconds)

where T is the largest number of tokens generated for any prompt of the batch
(token mode "generated", the default: decoding runs until the longest
sequence finishes) or the largest max_tokens requested (mode "max_tokens":
a worst case that does not depend on the text). Batches on one instance run
one after another; instances run in parallel. So with full batches the
server's exact capacity is

    C = instances * max_batch / ((batch_delay_ms + per_token_ms * T) / 1000)   prompts/s

e.g. 2 instances, max_batch 16, 50 ms + 0.5 ms/token, T = 400:
C = 2 * 16 / 0.25 = 128 prompts/s.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence

TOKEN_MODES = ("generated", "max_tokens")
# "mined": the CPU synthesizer's answers (realistic text, ~7 ms of Python per prompt).
# "echo": pairs cut from the prompt's own text, nearly free — benchmarks that measure the pipeline's
# own overhead need a model whose cost is ~0, which the miner's CPU time on a small box is not.
ANSWER_MODES = ("mined", "echo")


@dataclass(frozen=True)
class SimConfig:
    batch_delay_ms: float = 50.0
    per_token_ms: float = 0.5
    max_batch: int = 16
    instances: int = 1
    token_mode: str = "generated"
    answer: str = "mined"

    def __post_init__(self) -> None:
        if self.batch_delay_ms < 0 or self.per_token_ms < 0:
            raise ValueError("sim delays must be >= 0")
        if self.max_batch < 1 or self.instances < 1:
            raise ValueError("sim max_batch and instances must be >= 1")
        if self.token_mode not in TOKEN_MODES:
            raise ValueError(f"sim token_mode must be one of {TOKEN_MODES}")
        if self.answer not in ANSWER_MODES:
            raise ValueError(f"sim answer must be one of {ANSWER_MODES}")


def batch_tokens(cfg: SimConfig, generated_tokens: Sequence[int], max_tokens: Sequence[int]) -> int:
    """T for one batch: the longest generation (or the largest max_tokens)."""
    values = generated_tokens if cfg.token_mode == "generated" else max_tokens
    return max(values, default=0)


def batch_delay_s(cfg: SimConfig, tokens: int) -> float:
    return (cfg.batch_delay_ms + cfg.per_token_ms * tokens) / 1000.0


def capacity(cfg: SimConfig, tokens: int) -> float:
    """Prompts per second the simulator sustains with full batches of T = `tokens`."""
    delay = batch_delay_s(cfg, tokens)
    return float("inf") if delay == 0 else cfg.instances * cfg.max_batch / delay


def wait_until(deadline: float, sleep: Callable[[float], None] = time.sleep) -> None:
    """Sleep to an absolute monotonic deadline (the batch's own CPU work counts toward it)."""
    remaining = deadline - time.monotonic()
    if remaining > 0:
        sleep(remaining)


ECHO_QUESTIONS = (
    "What does the text say first?",
    "What comes next in the text?",
    "How does the passage continue?",
    "What does the text say after that?",
)


def echo_answer(prompt: str) -> str:
    """Synthesizer-format pairs whose answers are slices of the prompt's last text (no mining).

    About the size of a mined answer, and different per text, so downstream parsing and token
    counting see realistic work rather than one cached string.
    """
    start = prompt.rfind("<CON> ")
    end = prompt.rfind(" </CON>")
    text = prompt[start + 6 : end] if 0 <= start < end else prompt
    step = 240
    pairs = []
    for i, question in enumerate(ECHO_QUESTIONS):
        piece = text[i * step : (i + 1) * step].strip()
        if not piece:
            break
        pairs.append(f"<QUE> {question} <ANS> {piece} </END>")
    return "\n\n".join(pairs)
