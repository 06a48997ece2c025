"""The synthesizer's byte-level interface (ARCHITECTURE.md §2) and vLLM-like request knobs.

Everything here mirrors what the production model (vLLM backend serving the
fine-tuned Mistral) sees and returns, so the CPU models are drop-in.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Tuple

LOG = logging.getLogger("ipt_synth")

BOS = "<s>"
EOS = "</s>"
CON_OPEN = "<CON>"
CON_CLOSE = "</CON>"
QUE = "<QUE>"
ANS = "<ANS>"
END = "</END>"

# A reading block is `<s> <CON> T </CON>\n\n`; these are its two fixed halves.
READING_HEAD = f"{BOS} {CON_OPEN} "
READING_TAIL = f" {CON_CLOSE}\n\n"

PAIR_SEPARATOR = "\n\n"

# vLLM's SamplingParams defaults max_tokens to 16 when a request names none.
# We mirror it so a client that forgets max_tokens fails the same way locally
# as it would in production (short, cut-off outputs), not only on the GPU.
VLLM_DEFAULT_MAX_TOKENS = 16

# The CPU models estimate tokens from characters: Mistral's tokenizer averages
# roughly four characters of English per token. Only used to honour
# max_tokens approximately and to size the simulator's delay.
CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """Approximate token count of `text` (chars / 4, rounded up)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def truncate_to_tokens(text: str, max_tokens: int) -> str:
    """Cut `text` to about `max_tokens` tokens, mid-way like a model hitting its limit.

    A real model stops wherever its budget runs out, usually inside a pair, so
    the last piece is cut off (and the ARCHITECTURE.md §2 parser drops it).
    """
    if max_tokens <= 0:
        return ""
    budget = max_tokens * CHARS_PER_TOKEN
    return text if len(text) <= budget else text[:budget]


@dataclass(frozen=True)
class ReadingPrompt:
    """A prompt split into its parts: the history rounds and the last text."""

    text: str  # T of the last reading block ("" for an empty text)
    history: str  # everything before the last reading block
    history_rounds: int  # number of finished rounds (`</s>`-terminated) in history
    well_formed: bool  # False when no reading block could be found


def reading_block(text: str) -> str:
    """Render the reading block for `text` exactly as ARCHITECTURE.md §2 prescribes."""
    if text == "":
        return BOS
    return f"{READING_HEAD}{text}{READING_TAIL}"


def _block_starts(prompt: str) -> Iterable[int]:
    """Offsets where a reading block may start: the prompt start or right after `</s>`.

    Requiring the `</s>` boundary keeps a text that merely quotes `<s> <CON> `
    from being mistaken for a new block.
    """
    pos = prompt.find(READING_HEAD)
    while pos != -1:
        if pos == 0 or prompt.endswith(EOS, 0, pos):
            yield pos
        pos = prompt.find(READING_HEAD, pos + 1)


def parse_prompt(prompt: str) -> ReadingPrompt:
    """Extract the LAST reading block's text (and the history before it).

    prompt = history rounds (each `<s> <CON> T </CON>\\n\\n` + pairs + `</s>`)
    followed by the reading block of the text to synthesize for.
    """
    if prompt.endswith(READING_TAIL):
        starts = list(_block_starts(prompt))
        if starts:
            start = starts[-1]
            end = len(prompt) - len(READING_TAIL)
            if start + len(READING_HEAD) <= end:
                history = prompt[:start]
                return ReadingPrompt(
                    text=prompt[start + len(READING_HEAD) : end],
                    history=history,
                    history_rounds=history.count(EOS),
                    well_formed=True,
                )
    if prompt.endswith(BOS) and (len(prompt) == len(BOS) or prompt[: -len(BOS)].endswith(EOS)):
        # The reading block of an empty text is just `<s>`.
        history = prompt[: -len(BOS)]
        return ReadingPrompt(text="", history=history, history_rounds=history.count(EOS), well_formed=True)
    # Not in the trained format: a real model would ramble; we answer nothing.
    return ReadingPrompt(text="", history=prompt, history_rounds=prompt.count(EOS), well_formed=False)


def _clean(s: str) -> str:
    """Keep a question/answer free of the markers the parser splits on."""
    for marker in (QUE, ANS, END, EOS, BOS, CON_OPEN, CON_CLOSE):
        s = s.replace(marker, " ")
    return s.strip()


def format_pair(question: str, answer: str) -> str:
    """One pair block: `<QUE> Q <ANS> A </END>`."""
    return f"{QUE} {_clean(question)} {ANS} {_clean(answer)} {END}"


def format_pairs(pairs: Iterable[Tuple[str, str]]) -> str:
    """Pair blocks joined by `\\n\\n` — the synthesizer's whole output."""
    return PAIR_SEPARATOR.join(format_pair(q, a) for q, a in pairs)


@dataclass(frozen=True)
class SamplingParameters:
    """The subset of vLLM sampling parameters the CPU models act on."""

    max_tokens: int = VLLM_DEFAULT_MAX_TOKENS
    temperature: float = 1.0  # accepted and ignored: the CPU miner is always greedy


def parse_sampling_parameters(raw: Optional[Any]) -> SamplingParameters:
    """Parse the `sampling_parameters` JSON string (bytes or str) leniently.

    Bad JSON or bad values fall back to defaults with a warning instead of
    failing the whole dynamic batch, which would also fail innocent requests
    that happened to be batched with it.
    """
    if raw is None:
        return SamplingParameters()
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    if isinstance(raw, str) and raw.strip() == "":
        return SamplingParameters()
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(data, dict):
            raise ValueError("sampling_parameters must be a JSON object")
        max_tokens = data.get("max_tokens", VLLM_DEFAULT_MAX_TOKENS)
        max_tokens = VLLM_DEFAULT_MAX_TOKENS if max_tokens is None else int(max_tokens)
        temperature = float(data.get("temperature", 1.0))
    except (ValueError, TypeError) as err:
        LOG.warning("ignoring invalid sampling_parameters %r: %s", raw, err)
        return SamplingParameters()
    return SamplingParameters(max_tokens=max(0, max_tokens), temperature=temperature)
