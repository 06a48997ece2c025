"""The engine simulator's scheduler on a virtual clock: exact steps, times and accounting."""

from __future__ import annotations

import threading
import time

import pytest

from ipt_synth.engine import Engine, EngineConfig, Sequence, StepCost, block_hashes, capacity
from ipt_synth.protocol import CHARS_PER_TOKEN
from ipt_synth.tokens import chars
from ipt_synth.runner import CANCELLED, EngineRunner

COST = StepCost(overhead_ms=2.0, per_seq_ms=0.5, per_prefill_token_ms=0.1)


def cfg(**kw) -> EngineConfig:  # type: ignore[no-untyped-def]
    base = dict(max_num_seqs=8, max_num_batched_tokens=4096, kv_cache_tokens=1 << 16, block_size=16,
                enable_prefix_caching=True, max_model_len=4096, cost=COST)
    base.update(kw)
    return EngineConfig(**base)


def text(tokens: int, seed: str = "a") -> str:
    """`tokens` tokens of distinct text (CHARS_PER_TOKEN chars each)."""
    body = "".join(f"{seed}{i:03d}"[-CHARS_PER_TOKEN:] for i in range(tokens))
    assert len(body) == tokens * CHARS_PER_TOKEN
    return body


def seq(prompt_tokens: int, output_tokens: int, seed: str = "a", max_tokens: int = 400) -> Sequence:
    return Sequence.from_text(text(prompt_tokens, seed), text(output_tokens, seed.upper()), max_tokens)


def run(engine: Engine, limit: int = 100_000) -> tuple:
    """Step to idle: (steps, simulated ms, [(step index, finished seqs)])."""
    steps, ms, finished = 0, 0.0, []
    while (r := engine.step()) is not None:
        steps += 1
        ms += r.duration_ms
        if r.finished:
            finished.append((steps, r.finished))
        assert steps < limit
    return steps, ms, finished


def test_one_sequence_prefill_then_one_token_per_step() -> None:
    e = Engine(cfg())
    e.add(seq(40, 10))
    steps, ms, finished = run(e)
    # Step 1 prefills 40 tokens and samples the first output token; 9 decode steps follow.
    assert steps == 10
    assert ms == pytest.approx((2.0 + 40 * 0.1) + 9 * (2.0 + 0.5))
    snap = e.snapshot()
    assert snap["generated_tokens"] == 10 and snap["prefill_tokens"] == 40 and snap["prompt_tokens"] == 40
    assert snap["requests_finished"] == 1 and snap["running"] == 0 and snap["kv_blocks_used"] == 0


def test_output_length_is_capped_by_max_tokens_and_at_least_one() -> None:
    assert seq(10, 50, max_tokens=7).max_new == 7
    assert Sequence.from_text(text(10), "", 400).max_new == 1  # an empty answer still costs its EOS token


def test_chunked_prefill_spreads_a_long_prompt_over_steps() -> None:
    e = Engine(cfg(max_num_batched_tokens=32))
    e.add(seq(100, 3))
    steps, ms, _ = run(e)
    # Chunks of 32, 32, 32, 4 (the last samples token 1), then 2 decodes.
    assert steps == 4 + 2
    assert ms == pytest.approx(4 * 2.0 + 100 * 0.1 + 2 * 2.5)


def test_decodes_are_scheduled_before_new_prefills_within_the_budget() -> None:
    e = Engine(cfg(max_num_batched_tokens=20))
    e.add(seq(8, 5, "a"))
    e.step()  # a: prefill 8
    e.add(seq(40, 2, "b"))
    r = e.step()  # a decodes (1 token), b gets the remaining 19 tokens of budget
    assert (r.decoding_seqs, r.prefill_tokens) == (1, 19)
    r = e.step()
    assert (r.decoding_seqs, r.prefill_tokens) == (1, 19)
    r = e.step()  # b's last 2 prompt tokens; it samples its first token
    assert (r.decoding_seqs, r.prefill_tokens) == (1, 2)


def test_sequences_join_between_steps_and_leave_at_once() -> None:
    e = Engine(cfg())
    a = seq(8, 5, "a")
    e.add(a)
    assert e.step().finished == [] and e.step().finished == []
    b = seq(8, 2, "b")
    e.add(b)
    r3 = e.step()  # a decodes its 3rd token, b prefills and samples its 1st
    assert (r3.decoding_seqs, r3.prefill_tokens) == (1, 8)
    r4 = e.step()
    assert r4.finished == [b]  # b's 2nd and last token: it leaves in this step
    assert len(e.running) == 1
    r5 = e.step()
    assert r5.finished == [a] and (r5.decoding_seqs, r5.prefill_tokens) == (1, 0)
    assert e.step() is None


def test_max_num_seqs_keeps_the_rest_waiting() -> None:
    e = Engine(cfg(max_num_seqs=2))
    for s in "abc":
        e.add(seq(4, 3, s))
    e.step()
    assert (len(e.running), len(e.waiting)) == (2, 1)
    e.step()
    r = e.step()  # a and b finish
    assert len(r.finished) == 2 and len(e.waiting) == 1
    r = e.step()  # c is admitted the step after the slots freed
    assert r.prefill_tokens == 4 and len(e.running) == 1
    steps, _, _ = run(e)
    assert steps == 2


def test_full_cache_preempts_the_newest_and_recomputes_it() -> None:
    # 4 blocks of 4 tokens; two sequences of 4 prompt + 8 output tokens need 3 blocks each.
    e = Engine(cfg(block_size=4, kv_cache_tokens=16, enable_prefix_caching=False))
    a, b = seq(4, 8, "a"), seq(4, 8, "b")
    e.add(a)
    e.add(b)
    for _ in range(5):
        r = e.step()
        assert r.preempted == 0
    assert e.pool.used == 4 and a.generated == b.generated == 5
    r = e.step()  # a's 9th token needs a 3rd block: b (newest) is preempted, its blocks freed
    assert r.preempted == 1 and r.decoding_seqs == 1 and list(e.waiting) == [b]
    assert b.computed == 0 and b.generated == 5
    r = e.step()  # b (4 + 5 tokens = 3 blocks) does not fit the one free block yet
    assert r.prefill_tokens == 0 and list(e.waiting) == [b]
    r = e.step()
    assert r.finished == [a]
    r = e.step()  # recompute: prompt + the 5 tokens generated before preemption
    assert r.prefill_tokens == 9 and b.generated == 6
    steps, _, finished = run(e)
    assert steps == 2 and finished[-1][1] == [b]
    snap = e.snapshot()
    assert snap["preemptions"] == 1 and snap["prefill_tokens"] == 4 + 4 + 9 and snap["generated_tokens"] == 16
    assert snap["prompt_tokens"] == 8  # a recompute is not a new prompt


def test_a_sequence_too_large_for_the_cache_or_model_is_rejected() -> None:
    e = Engine(cfg(block_size=4, kv_cache_tokens=16, max_model_len=64))
    with pytest.raises(ValueError):
        e.add(seq(12, 8))  # 20 tokens > 4 blocks of 4
    with pytest.raises(ValueError):
        e.add(seq(64, 1))  # prompt reaches max_model_len
    long_out = seq(8, 100)
    e2 = Engine(cfg(max_model_len=64))
    e2.add(long_out)
    assert long_out.max_new == 64 - 8  # the output is cut to fit max_model_len
    assert e.snapshot()["requests_rejected"] == 2


def _round(prev: Sequence, new_tokens: int) -> Sequence:
    """The next round of a chain: the previous prompt and output, then new text."""
    history = "".join(str(t) for t in prev.tokens)  # chars tokens: the text itself
    return Sequence.from_text(history + text(new_tokens, "z"), text(5, "y"), 400)


def test_prefix_cache_skips_the_cached_block_aligned_prefix() -> None:
    e = Engine(cfg())
    a = seq(40, 10)  # 50 tokens of text; 49 computed when it finishes → 3 full blocks cached
    e.add(a)
    run(e)
    assert e.snapshot()["kv_blocks_cached_free"] == 3
    b = _round(a, 10)  # 60 prompt tokens, its first 48 are a's 3 blocks
    e.add(b)
    first = e.step()
    assert b.prefix_hit_tokens == 48 and first.prefill_tokens == 60 - 48
    assert first.duration_ms == pytest.approx(2.0 + 12 * 0.1)
    run(e)
    snap = e.snapshot()
    assert snap["prefix_hit_tokens"] == 48 and snap["prompt_tokens"] == 40 + 60
    assert snap["prefill_tokens"] == 40 + 12


def test_prefix_cache_off_or_evicted_means_full_prefill() -> None:
    e = Engine(cfg(enable_prefix_caching=False))
    a = seq(40, 10)
    e.add(a)
    run(e)
    e.add(_round(a, 10))
    assert e.step().prefill_tokens == 60
    # A cache of 6 blocks: 2 of a's 3 cached blocks are evicted when c needs room. A finished
    # sequence's blocks are freed tail first, so its tail goes first and its first block survives.
    e = Engine(cfg(kv_cache_tokens=6 * 16))
    a = seq(40, 10)
    e.add(a)
    run(e)
    e.add(seq(80, 1, "c"))  # 5 blocks: 3 free + 2 evicted
    run(e)
    assert e.pool.evictions == 2
    b = _round(a, 10)
    e.add(b)
    e.step()
    assert b.prefix_hit_tokens == 16


def test_concurrent_identical_prefixes_share_blocks_once_computed() -> None:
    e = Engine(cfg())
    shared = text(64, "s")
    a = Sequence.from_text(shared + text(8, "a"), text(4, "x"), 400)
    e.add(a)
    e.step()  # a's prompt is computed and its 4 full blocks registered
    b = Sequence.from_text(shared + text(8, "b"), text(4, "x"), 400)
    e.add(b)
    e.step()
    assert b.prefix_hit_tokens == 64
    assert e.pool.refs[a.blocks[0]] == 2  # one physical block, two sequences


def test_block_hashes_chain_content_and_position() -> None:
    x, y = list(range(16)), list(range(100, 116))
    assert block_hashes(x + y + [7, 8], 16) == block_hashes(x + y, 16)  # a partial block has no key
    assert block_hashes(y + y, 16)[1] != block_hashes(x + y, 16)[1]  # same block, different prefix
    assert block_hashes(x[:-1], 16) == []


def test_chars_tokens_are_the_package_estimate() -> None:
    toks, prompt_len = chars("abcdefghij", "klmno")
    assert toks == ["abcd", "efgh", "ijkl", "mno"] and prompt_len == 3  # ceil(10 / 4)
    assert Sequence.from_text("abcdefghij", "klmno", 400).max_new == 1


def test_saturated_throughput_equals_the_closed_form() -> None:
    c = cfg(max_num_seqs=8)
    e = Engine(c)
    requests, p, n = 80, 16, 10
    for i in range(requests):
        e.add(seq(p, n, f"{i:02d}"))
    steps, ms, _ = run(e)
    # Full waves of 8: a prefill step then 9 decode steps per wave.
    assert steps == requests // 8 * n
    assert requests / (ms / 1000) == pytest.approx(capacity(c, p, n))
    assert capacity(c, p, n, time_scale=10) == pytest.approx(capacity(c, p, n) / 10)


def test_staggered_arrivals_reach_the_closed_form_in_steady_state() -> None:
    c = cfg(max_num_seqs=8)
    e = Engine(c)
    p, n = 16, 10
    # Stagger the first eight by one step each, then keep a queue waiting.
    for i in range(8):
        e.add(seq(p, n, f"s{i}"))
        e.step()
    for i in range(400):
        e.add(seq(p, n, f"q{i:03d}"))
    done, t, marks = 0, 0.0, {}
    while (r := e.step()) is not None and done < 300:
        t += r.duration_ms
        done += len(r.finished)
        for mark in (50, 250):
            if done >= mark and mark not in marks:
                marks[mark] = (done, t)
    (d0, t0), (d1, t1) = marks[50], marks[250]
    assert (d1 - d0) / ((t1 - t0) / 1000) == pytest.approx(capacity(c, p, n), rel=0.02)


def test_runner_plays_steps_in_wall_time_and_answers_each_request() -> None:
    c = cfg(cost=StepCost(overhead_ms=10.0, per_seq_ms=0.0, per_prefill_token_ms=0.0), max_model_len=64)
    runner = EngineRunner(Engine(c), time_scale=1.0).start()
    answers: dict = {}
    done = threading.Event()

    def callback(s: Sequence, error) -> None:  # type: ignore[no-untyped-def]
        answers[id(s)] = error
        if len(answers) == 3:
            done.set()

    try:
        started = time.monotonic()
        seqs = [seq(8, 5, "a"), seq(8, 5, "b"), seq(80, 1, "c")]  # c: prompt over max_model_len
        for s in seqs:
            runner.submit(s, callback)
        assert done.wait(5)
        elapsed = time.monotonic() - started
        assert answers[id(seqs[2])] is not None and answers[id(seqs[0])] is None
        stats = runner.stats()
        # a and b ran together: 5 steps of 10 ms, not 10.
        assert stats["steps"] == 5 and stats["busy_s"] == pytest.approx(0.05)
        assert 0.05 <= elapsed < 0.5
        assert stats["requests_rejected"] == 1 and stats["config"]["max_num_seqs"] == 8
    finally:
        runner.stop()


def test_runner_catches_up_small_delays_and_counts_large_ones_as_lag() -> None:
    class FakeTime:
        def __init__(self) -> None:
            self.now = 100.0
            # The 2nd wake-up is 30 ms late (steps 3-5 then need no sleep), the 4th sleep 200 ms.
            self.late = [0.0, 0.03, 0.0, 0.2]

        def clock(self) -> float:
            return self.now

        def sleep(self, seconds: float) -> None:
            self.now += seconds + (self.late.pop(0) if self.late else 0.0)

    fake = FakeTime()
    c = cfg(cost=StepCost(overhead_ms=10.0, per_seq_ms=0.0, per_prefill_token_ms=0.0))
    runner = EngineRunner(Engine(c), time_scale=1.0, clock=fake.clock, sleep=fake.sleep, max_lag_s=0.05)
    done = threading.Event()
    runner.submit(seq(8, 10), lambda s, e: done.set())
    runner.start()
    try:
        assert done.wait(5)
        stats = runner.stats()
        assert stats["steps"] == 10 and stats["busy_s"] == pytest.approx(0.1)
        # The 30 ms was made up by the following step; the 200 ms could not be.
        assert stats["lag_s"] == pytest.approx(0.2)
        assert stats["uptime_s"] == pytest.approx(stats["busy_s"] + stats["idle_s"] + stats["lag_s"])
    finally:
        runner.stop()


def test_free_blocks_are_reused_in_the_order_they_were_freed() -> None:
    # vLLM's free queue: a block freed later is reused later, cached or not. Cache of 6 blocks.
    e = Engine(cfg(kv_cache_tokens=6 * 16))
    a = seq(40, 10)  # 4 blocks: 3 cached + 1 partial
    e.add(a)
    run(e)
    e.add(seq(8, 4, "b"))  # 1 partial block, freed after a's
    run(e)
    assert (e.pool.fresh, e.pool.cached_free) == (1, 3)
    e.add(seq(56, 1, "c"))  # 4 blocks: the never-used one, a's partial, then a's two tail blocks
    run(e)
    assert e.pool.evictions == 2  # b's block, freed last, was not needed first
    nxt = _round(a, 10)
    e.add(nxt)
    e.step()
    assert nxt.prefix_hit_tokens == 16


def test_stopping_the_runner_answers_what_is_left_with_an_error() -> None:
    c = cfg(cost=StepCost(overhead_ms=1000.0, per_seq_ms=0.0, per_prefill_token_ms=0.0))
    runner = EngineRunner(Engine(c)).start()
    errors: list = []
    for s in "ab":
        runner.submit(seq(8, 5, s), lambda _s, e: errors.append(e))
    time.sleep(0.05)  # both admitted, the first 1 s step under way
    runner.stop("shutting down")
    assert errors == ["shutting down", "shutting down"]
    assert runner.stats()["running"] == 0


def test_cancelling_drops_a_running_or_waiting_sequence_and_frees_its_blocks() -> None:
    e = Engine(cfg(max_num_seqs=1))
    running, waiting = seq(40, 50, "a"), seq(40, 50, "b")
    e.add(running)
    e.add(waiting)
    e.step()
    e.step()
    assert e.snapshot()["kv_blocks_used"] > 0 and running.generated == 2
    assert e.cancel(running) and e.cancel(waiting)
    assert not e.cancel(running)  # gone already: nothing to drop twice
    snap = e.snapshot()
    assert e.idle and snap["requests_cancelled"] == 2 and snap["kv_blocks_used"] == 0
    assert snap["generated_tokens"] == 2 and snap["requests_finished"] == 0


def test_the_runner_drops_a_request_once_its_client_cancels_it() -> None:
    # 100 output tokens of 10 ms each: a second of work, cancelled after its first steps.
    c = cfg(cost=StepCost(overhead_ms=10.0, per_seq_ms=0.0, per_prefill_token_ms=0.0))
    runner = EngineRunner(Engine(c), cancel_check_s=0.01).start()
    cancelled = threading.Event()
    answered = threading.Event()
    errors: list = []

    def done(_s: Sequence, error) -> None:  # type: ignore[no-untyped-def]
        errors.append(error)
        answered.set()

    try:
        long = seq(8, 100, "a")
        runner.submit(long, done, cancelled.is_set)
        while runner.stats()["generated_tokens"] < 3:
            time.sleep(0.005)
        cancelled.set()
        assert answered.wait(5)
        stats = runner.stats()
        assert errors == [CANCELLED]
        assert stats["requests_cancelled"] == 1 and stats["requests_finished"] == 0
        assert stats["generated_tokens"] < 100 and stats["kv_blocks_used"] == 0 and stats["running"] == 0
    finally:
        runner.stop()


def test_a_request_nobody_cancels_runs_to_the_end_beside_a_cancelled_one() -> None:
    c = cfg(cost=StepCost(overhead_ms=2.0, per_seq_ms=0.0, per_prefill_token_ms=0.0))
    runner = EngineRunner(Engine(c), cancel_check_s=0.005).start()
    answers: dict = {}
    both = threading.Event()

    def done(s: Sequence, error) -> None:  # type: ignore[no-untyped-def]
        answers[id(s)] = error
        if len(answers) == 2:
            both.set()

    try:
        kept, dropped = seq(8, 30, "a"), seq(8, 30, "b")
        runner.submit(kept, done, lambda: False)
        runner.submit(dropped, done, lambda: True)
        assert both.wait(5)
        assert answers[id(kept)] is None and answers[id(dropped)] == CANCELLED
        assert kept.generated == 30 and runner.stats()["requests_cancelled"] == 1
    finally:
        runner.stop()


def test_a_request_is_never_asked_about_cancellation_once_answered() -> None:
    # Triton frees what is_cancelled() reads when the final response goes out: asking later crashes it.
    c = cfg(cost=StepCost(overhead_ms=0.2, per_seq_ms=0.0, per_prefill_token_ms=0.0))
    runner = EngineRunner(Engine(c), cancel_check_s=0.0001).start()
    answered: set = set()
    late: list = []
    all_done = threading.Event()
    n = 200

    def done(s: Sequence, _error) -> None:  # type: ignore[no-untyped-def]
        time.sleep(0.0002)  # the response's IPC: the watcher runs meanwhile
        answered.add(id(s))
        if len(answered) == n:
            all_done.set()

    def check_of(s: Sequence):  # type: ignore[no-untyped-def]
        def check() -> bool:
            if id(s) in answered:
                late.append(id(s))
            time.sleep(0.00005)
            return False
        return check

    try:
        for i in range(n):
            s = seq(4, 1 + i % 5, f"r{i}")
            runner.submit(s, done, check_of(s))
        assert all_done.wait(20)
        assert late == []
    finally:
        runner.stop()
