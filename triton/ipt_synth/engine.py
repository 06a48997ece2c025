"""A continuous-batching engine simulator: schedules like vLLM, costs like a GPU step.

Pure and clock-free: `Engine.step()` plans one iteration, applies it and
returns how long it took on the simulated GPU; `EngineRunner` (runner.py)
plays the steps out in wall-clock time. Tests drive `step()` directly.

What it reproduces of vLLM's scheduler (V1, FCFS):

- iteration-level scheduling: every step each running sequence is given its
  next tokens (a prefill chunk, or one decode token); new sequences join
  between steps; a sequence that has sampled its last token leaves at once;
- `max_num_seqs` running sequences at most, and a per-step token budget
  `max_num_batched_tokens` (chunked prefill: a long prompt is prefilled over
  several steps; each decode costs one token of the budget). Running
  sequences are scheduled before waiting ones;
- a paged KV cache of `kv_cache_tokens` in blocks of `block_size`: a running
  sequence holds ceil(computed tokens / block_size) blocks. When a running
  sequence needs a block and none is free, the newest running sequence is
  preempted: its blocks are freed, it goes back to the front of the waiting
  queue, and when readmitted it is recomputed (prefill of prompt + the tokens
  generated so far). No new sequence is admitted in a step that preempted;
- automatic prefix caching: a full block is identified by a hash chain over
  its content and the blocks before it; a new sequence skips the prefill of
  its longest cached block-aligned prefix (always computing at least its last
  token); blocks nobody references stay cached in the free-block queue and
  are reused least recently freed first (never-used blocks before them, a
  finished sequence's tail before its head), as vLLM's free queue does.

Tokens: a sequence is the token list of its prompt + output (tokens.py: the
synthesizer's Mistral tokenizer, or characters / 4); prefix-cache blocks are
keyed by those tokens. Round r + 1 of a chain starts with round r's prompt
and output verbatim, so its blocks match as far as the tokenization agrees.

Step time (simulated GPU, milliseconds):

    step_ms = overhead_ms + per_seq_ms × decoding_sequences + per_prefill_token_ms × prefill_tokens

Capacity: with S = max_num_seqs sequences always running (a queue waiting),
prompts of P uncached tokens and N output tokens, each step samples one token
per sequence and S/N sequences finish per step, so

    C = S / (N × overhead_ms + S × (N − 1) × per_seq_ms + S × P × per_prefill_token_ms) × 1000   requests/s

(`capacity()`), provided a step's tokens fit the budget: S + S × P / N ≤ max_num_batched_tokens.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any, Deque, Dict, Hashable, List, Optional

from .tokens import Tokenizer, chars

TokenList = List[Hashable]


@dataclass(frozen=True)
class StepCost:
    """Simulated GPU time of one engine step, in milliseconds at time scale 1."""

    overhead_ms: float
    per_seq_ms: float
    per_prefill_token_ms: float

    def step_ms(self, decoding_seqs: int, prefill_tokens: int) -> float:
        return self.overhead_ms + self.per_seq_ms * decoding_seqs + self.per_prefill_token_ms * prefill_tokens


@dataclass(frozen=True)
class Preset:
    cost: StepCost
    kv_cache_tokens: int
    source: str


# "h100-7b": Mistral-7B (the synthesizer's base) in bf16 on one H100 80 GB, vLLM defaults. Sources
# (triton/README.md has the arithmetic): overhead_ms — a batch-1 decode step reads all weights (4.3 ms
# at 3.35 TB/s) plus launch, and vLLM's nightly latency test runs Llama-3.1-8B at ~6.5 ms per step at
# batch 8; per_seq_ms — vLLM peaks near 12 500 output tokens/s for Llama-3.1-8B on one H100, i.e. a
# 256-sequence step of 20.5 ms; per_prefill_token_ms — compute-bound prefill, 14.4 GFLOP per token at
# ~40 % of 989 TFLOP/s; kv_cache_tokens — 128 KiB of KV per token in the ~55 GiB left by 0.9 × 80 GiB.
PRESETS: Dict[str, Preset] = {
    "h100-7b": Preset(
        StepCost(overhead_ms=6.0, per_seq_ms=0.057, per_prefill_token_ms=0.035),
        kv_cache_tokens=28_000 * 16,
        source="Mistral-7B bf16, one H100 80GB, vLLM defaults (triton/README.md)",
    ),
}
DEFAULT_PRESET = "h100-7b"


@dataclass(frozen=True)
class EngineConfig:
    max_num_seqs: int = 256
    # What the vLLM model's 1/model.json pins (vLLM's own default for its API server on an H100).
    max_num_batched_tokens: int = 8192
    kv_cache_tokens: int = PRESETS[DEFAULT_PRESET].kv_cache_tokens
    block_size: int = 16
    enable_prefix_caching: bool = True
    max_model_len: int = 4096
    cost: StepCost = PRESETS[DEFAULT_PRESET].cost

    def __post_init__(self) -> None:
        if self.max_num_seqs < 1 or self.max_num_batched_tokens < 1 or self.block_size < 1:
            raise ValueError("max_num_seqs, max_num_batched_tokens and block_size must be >= 1")
        if self.kv_cache_tokens < self.block_size:
            raise ValueError("kv_cache_tokens must hold at least one block")
        if self.max_model_len < 2:
            raise ValueError("max_model_len must be >= 2")
        c = self.cost
        if min(c.overhead_ms, c.per_seq_ms, c.per_prefill_token_ms) < 0:
            raise ValueError("step costs must be >= 0")

    @property
    def num_blocks(self) -> int:
        return self.kv_cache_tokens // self.block_size


def capacity(cfg: EngineConfig, prompt_tokens: float, output_tokens: float, time_scale: float = 1.0) -> float:
    """Requests/s at saturation (see the module docstring), prompts of `prompt_tokens` uncached tokens."""
    s, n, c = cfg.max_num_seqs, output_tokens, cfg.cost
    per_step_batch_ms = n * c.overhead_ms + s * (n - 1) * c.per_seq_ms + s * prompt_tokens * c.per_prefill_token_ms
    return float("inf") if per_step_batch_ms <= 0 else s * 1000.0 / (per_step_batch_ms * time_scale)


class Sequence:
    """One request inside the engine: its prompt + output tokens (any hashable tokens, see tokens.py).

    `payload` is the caller's (e.g. how to answer it).
    """

    __slots__ = ("tokens", "prompt_tokens", "max_new", "payload", "computed", "generated", "blocks", "registered",
                 "prefilled", "hashes", "prefix_hit_tokens", "preempted")

    def __init__(self, tokens: TokenList, prompt_tokens: int, max_tokens: int, payload: Any = None) -> None:
        self.tokens = tokens  # what the KV cache holds once the sequence is done
        self.prompt_tokens = max(1, prompt_tokens)
        # A model emits at least one token (EOS) even for an empty answer; never more than asked.
        self.max_new = max(1, min(len(tokens) - prompt_tokens, max_tokens))
        self.payload = payload
        self.computed = 0  # tokens whose KV is in the cache
        self.generated = 0  # tokens sampled so far
        self.blocks: List[Optional[int]] = []  # block hash, or None for a block not (yet) shareable
        self.registered = 0  # blocks looked at for hashing so far
        self.prefilled = False  # in decode phase (for this residency)
        self.hashes: List[int] = []
        self.prefix_hit_tokens = 0
        self.preempted = 0

    @classmethod
    def from_text(cls, prompt: str, output: str, max_tokens: int, tokenizer: Tokenizer = chars,
                  payload: Any = None) -> "Sequence":
        tokens, prompt_tokens = tokenizer(prompt, output)
        return cls(tokens, prompt_tokens, max_tokens, payload)

    @property
    def num_tokens(self) -> int:
        return self.prompt_tokens + self.generated

    @property
    def finished(self) -> bool:
        return self.generated >= self.max_new


def block_hashes(tokens: TokenList, block_size: int) -> List[int]:
    """Hash chain over the full blocks of `tokens`: a block's key covers its tokens and every block before it."""
    out: List[int] = []
    prev = 0
    for start in range(0, len(tokens) - block_size + 1, block_size):
        prev = hash((prev, tuple(tokens[start : start + block_size])))
        out.append(prev)
    return out


class BlockPool:
    """KV blocks, with vLLM's free-block queue.

    Free blocks wait in one queue, least recently freed first: never-used blocks, then blocks as
    sequences free them (a sequence's tail first). A freed block keeps its cached content (if
    hashed) until the queue hands it out again; a cache hit takes it back out of the queue.
    """

    def __init__(self, num_blocks: int) -> None:
        self.num_blocks = num_blocks
        self.fresh = num_blocks  # never used: at the head of the queue
        self.queue: "OrderedDict[object, None]" = OrderedDict()  # hash (cached) or ("free", n)
        self.refs: Dict[int, int] = {}  # cached blocks in use, by hash
        self.cached_free = 0  # hashed blocks in the queue
        self.evictions = 0
        self._uncached = itertools.count()

    @property
    def free(self) -> int:
        """Blocks a sequence can still get (cached free blocks included)."""
        return self.fresh + len(self.queue)

    @property
    def used(self) -> int:
        return self.num_blocks - self.free

    def is_cached(self, h: int) -> bool:
        return h in self.refs or h in self.queue

    def is_cached_free(self, h: int) -> bool:
        return h in self.queue

    def share(self, h: int) -> None:
        if h in self.queue:
            del self.queue[h]
            self.cached_free -= 1
            self.refs[h] = 1
        else:
            self.refs[h] += 1

    def allocate(self, n: int) -> None:
        if n > self.free:
            raise RuntimeError("KV cache over-allocated")
        for _ in range(n):
            if self.fresh:
                self.fresh -= 1
                continue
            key, _ = self.queue.popitem(last=False)
            if not isinstance(key, tuple):
                self.cached_free -= 1
                self.evictions += 1

    def register(self, h: int) -> bool:
        """A private full block becomes shareable under `h` (content already cached: stays private)."""
        if self.is_cached(h):
            return False
        self.refs[h] = 1
        return True

    def release(self, h: Optional[int]) -> None:
        if h is None:
            self.queue[("free", next(self._uncached))] = None
            return
        left = self.refs[h] - 1
        if left:
            self.refs[h] = left
        else:
            del self.refs[h]
            self.queue[h] = None
            self.cached_free += 1


@dataclass
class StepResult:
    duration_ms: float
    decoding_seqs: int
    prefill_tokens: int
    finished: List[Sequence] = field(default_factory=list)
    preempted: int = 0


@dataclass
class EngineStats:
    steps: int = 0
    busy_ms: float = 0.0
    requests_received: int = 0
    requests_finished: int = 0
    requests_rejected: int = 0
    prompt_tokens: int = 0  # of admitted prompts (first admission)
    prefix_hit_tokens: int = 0  # prefill skipped thanks to the prefix cache (first admission)
    prefill_tokens: int = 0  # prefill computed, recomputation after preemption included
    generated_tokens: int = 0
    preemptions: int = 0
    requests_cancelled: int = 0  # dropped unfinished because their client cancelled them


class Engine:
    def __init__(self, cfg: EngineConfig) -> None:
        self.cfg = cfg
        self.pool = BlockPool(cfg.num_blocks)
        self.running: List[Sequence] = []
        self.waiting: Deque[Sequence] = deque()
        self.stats = EngineStats()

    # -- requests -----------------------------------------------------------------------------------
    def add(self, seq: Sequence) -> None:
        """Queue a sequence; ValueError if it can never run (too long for the model or the cache)."""
        self.stats.requests_received += 1
        cfg = self.cfg
        if seq.prompt_tokens >= cfg.max_model_len:
            self.stats.requests_rejected += 1
            raise ValueError(f"prompt of {seq.prompt_tokens} tokens exceeds max_model_len {cfg.max_model_len}")
        seq.max_new = min(seq.max_new, cfg.max_model_len - seq.prompt_tokens)
        if self._blocks_for(seq.prompt_tokens + seq.max_new) > cfg.num_blocks:
            self.stats.requests_rejected += 1
            raise ValueError("sequence does not fit the KV cache")
        if cfg.enable_prefix_caching:
            seq.hashes = block_hashes(seq.tokens, cfg.block_size)
        self.waiting.append(seq)

    def cancel(self, seq: Sequence) -> bool:
        """Drop an unfinished sequence (its client is gone), freeing its KV blocks; False if it is not here."""
        if seq in self.running:
            self.running.remove(seq)
            self._free(seq)
        elif seq in self.waiting:
            self.waiting.remove(seq)
        else:
            return False
        self.stats.requests_cancelled += 1
        return True

    @property
    def idle(self) -> bool:
        return not self.running and not self.waiting

    # -- one iteration ------------------------------------------------------------------------------
    def step(self) -> Optional[StepResult]:
        if self.idle:
            return None
        cfg = self.cfg
        budget = cfg.max_num_batched_tokens
        scheduled: List[tuple] = []
        preempted = 0

        i = 0
        while i < len(self.running) and budget > 0:
            seq = self.running[i]
            num = min(seq.num_tokens - seq.computed, budget)
            new_blocks = self._blocks_for(seq.computed + num) - len(seq.blocks)
            while new_blocks > self.pool.free:
                victim = self.running.pop()
                self._preempt(victim)
                preempted += 1
                if victim is seq:
                    break
            else:
                self._grow(seq, new_blocks)
                scheduled.append((seq, num))
                budget -= num
                i += 1
                continue
            break  # seq itself was preempted: it was the last running one

        if not preempted:
            while self.waiting and len(self.running) < cfg.max_num_seqs and budget > 0:
                seq = self.waiting[0]
                hit = self._cached_prefix_blocks(seq)
                cached = hit * cfg.block_size
                num = min(seq.num_tokens - cached, budget)
                new_blocks = self._blocks_for(cached + num) - hit
                revived = sum(1 for h in seq.hashes[:hit] if self.pool.is_cached_free(h))
                if new_blocks + revived > self.pool.free:
                    break
                self.waiting.popleft()
                for h in seq.hashes[:hit]:
                    self.pool.share(h)
                seq.blocks = list(seq.hashes[:hit])
                seq.registered = hit
                seq.computed = cached
                seq.prefilled = False
                self._grow(seq, new_blocks)
                if not seq.preempted:
                    self.stats.prompt_tokens += seq.prompt_tokens
                    self.stats.prefix_hit_tokens += cached
                    seq.prefix_hit_tokens = cached
                self.running.append(seq)
                scheduled.append((seq, num))
                budget -= num

        decoding = 0
        prefill = 0
        for seq, num in scheduled:
            if seq.prefilled:
                decoding += 1
            else:
                prefill += num
        result = StepResult(cfg.cost.step_ms(decoding, prefill), decoding, prefill, preempted=preempted)

        done = False
        sampled = 0
        for seq, num in scheduled:
            seq.computed += num
            self._register_full_blocks(seq)
            if seq.computed == seq.num_tokens:
                seq.prefilled = True
                seq.generated += 1
                sampled += 1
                if seq.finished:
                    result.finished.append(seq)
                    done = True
        if done:
            self.running = [s for s in self.running if not s.finished]
            for seq in result.finished:
                self._free(seq)
        st = self.stats
        st.steps += 1
        st.busy_ms += result.duration_ms
        st.prefill_tokens += prefill
        st.generated_tokens += sampled
        st.requests_finished += len(result.finished)
        st.preemptions += preempted
        return result

    # -- KV blocks ----------------------------------------------------------------------------------
    def _blocks_for(self, tokens: int) -> int:
        return -(-tokens // self.cfg.block_size)

    def _grow(self, seq: Sequence, n: int) -> None:
        if n > 0:
            self.pool.allocate(n)
            seq.blocks.extend([None] * n)

    def _cached_prefix_blocks(self, seq: Sequence) -> int:
        if not self.cfg.enable_prefix_caching:
            return 0
        limit = min((seq.num_tokens - 1) // self.cfg.block_size, len(seq.hashes))
        hit = 0
        while hit < limit and self.pool.is_cached(seq.hashes[hit]):
            hit += 1
        return hit

    def _register_full_blocks(self, seq: Sequence) -> None:
        if not self.cfg.enable_prefix_caching:
            return
        full = min(seq.computed // self.cfg.block_size, len(seq.hashes))
        for b in range(seq.registered, full):
            h = seq.hashes[b]
            if self.pool.register(h):
                seq.blocks[b] = h
        seq.registered = max(seq.registered, full)

    def _free(self, seq: Sequence) -> None:
        # Tail blocks first, so they are the first evicted (the prefix is the likelier reuse).
        for h in reversed(seq.blocks):
            self.pool.release(h)
        seq.blocks = []
        seq.registered = 0

    def _preempt(self, seq: Sequence) -> None:
        self._free(seq)
        seq.computed = 0
        seq.prefilled = False
        seq.preempted += 1
        self.waiting.appendleft(seq)

    # -- accounting ---------------------------------------------------------------------------------
    def snapshot(self) -> Dict[str, Any]:
        st, pool = self.stats, self.pool
        return {
            "steps": st.steps,
            "busy_ms": st.busy_ms,
            "running": len(self.running),
            "waiting": len(self.waiting),
            "requests_received": st.requests_received,
            "requests_finished": st.requests_finished,
            "requests_rejected": st.requests_rejected,
            "prompt_tokens": st.prompt_tokens,
            "prefix_hit_tokens": st.prefix_hit_tokens,
            "prefill_tokens": st.prefill_tokens,
            "generated_tokens": st.generated_tokens,
            "preemptions": st.preemptions,
            "requests_cancelled": st.requests_cancelled,
            "kv_blocks_total": pool.num_blocks,
            "kv_blocks_used": pool.used,
            "kv_blocks_cached_free": pool.cached_free,
            "kv_usage": pool.used / pool.num_blocks,
            "kv_evictions": pool.evictions,
        }
