"""Token sequences for the engine simulator: what its KV cache holds and its step costs count.

A tokenizer here maps (prompt, output) to the token sequence of prompt + output and the number of
those tokens that belong to the prompt. The engine only compares tokens for equality (prefix-cache
block hashes) and counts them, so any hashable token works:

- "mistral-7b-v0.1": the synthesizer's own tokenizer — the Hugging Face tokenizer vLLM loads for
  Mistral-7B-v0.1 (built by triton/tools/tokenizer_reference.py from the SentencePiece model that
  mistral-common ships), so prompt and output lengths, and where round r + 1's tokens stop matching
  round r's, are the real model's. The whole text is encoded at once, i.e. the model is assumed to
  have generated the canonical tokens of its output.
- "chars": the package's estimate, protocol.CHARS_PER_TOKEN characters per token (no dependency).
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from typing import Any, Callable, Hashable, List, Tuple

from .protocol import CHARS_PER_TOKEN

TOKENIZERS = ("mistral-7b-v0.1", "chars")

Tokens = Tuple[List[Hashable], int]  # (prompt + output tokens, prompt length)
Tokenizer = Callable[[str, str], Tokens]


def chars(prompt: str, output: str) -> Tokens:
    text = prompt + output
    step = CHARS_PER_TOKEN
    return [text[i : i + step] for i in range(0, len(text), step)], math.ceil(len(prompt) / step)


def _reference_module() -> Any:
    path = Path(__file__).resolve().parents[1] / "tools" / "tokenizer_reference.py"
    spec = importlib.util.spec_from_file_location("ipt_tokenizer_reference", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def mistral() -> Tokenizer:
    """The Mistral-7B-v0.1 tokenizer (needs sentencepiece, tokenizers and mistral-common)."""
    import sentencepiece

    ref = _reference_module()
    hf = ref.hf_tokenizer(sentencepiece.SentencePieceProcessor(model_file=ref.MODEL))

    def encode(prompt: str, output: str) -> Tokens:
        enc = hf.encode(prompt + output, add_special_tokens=False)
        cut = len(prompt)
        prompt_len = sum(1 for start, _ in enc.offsets if start < cut)
        return list(enc.ids), prompt_len

    return encode


def load(name: str) -> Tokenizer:
    if name == "chars":
        return chars
    if name == "mistral-7b-v0.1":
        return mistral()
    raise ValueError(f"unknown tokenizer {name!r}; choose from {', '.join(TOKENIZERS)}")
