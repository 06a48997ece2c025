from __future__ import annotations

import time

import pytest
from conftest import RICH_TEXT

from ipt_synth import protocol, service, sim
from ipt_synth.observe import Observer


def items(n: int, max_tokens: int, text: str = RICH_TEXT) -> list:
    params = protocol.SamplingParameters(max_tokens=max_tokens)
    return [service.Item(protocol.reading_block(text), params, True) for _ in range(n)]


def timed(fn, *args):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    out = fn(*args)
    return out, time.monotonic() - started


def test_capacity_formula() -> None:
    cfg = sim.SimConfig(batch_delay_ms=50, per_token_ms=0.5, max_batch=16, instances=2)
    assert sim.batch_delay_s(cfg, 400) == pytest.approx(0.25)
    assert sim.capacity(cfg, 400) == pytest.approx(2 * 16 / 0.25)
    assert sim.capacity(sim.SimConfig(0, 0), 10) == float("inf")
    with pytest.raises(ValueError):
        sim.SimConfig(max_batch=0)
    with pytest.raises(ValueError):
        sim.SimConfig(token_mode="bogus")


def test_delay_uses_longest_generation_of_the_batch() -> None:
    cfg = sim.SimConfig(batch_delay_ms=80, per_token_ms=2.0, max_batch=4)
    batch = items(2, 60) + items(1, 10)  # generated tokens: 60, 60, 10 (max_tokens caps them)
    out, elapsed = timed(service.run_sim, batch, cfg)
    expected = (80 + 2.0 * 60) / 1000
    assert expected - 0.005 <= elapsed <= expected + 0.08
    assert out == service.run_cpu(batch)  # same bytes as the CPU model


def test_delay_in_max_tokens_mode_ignores_the_text() -> None:
    cfg = sim.SimConfig(batch_delay_ms=30, per_token_ms=1.0, token_mode="max_tokens")
    short = items(1, 150, text="Too short.")  # generates nothing, but T = max_tokens = 150
    _, elapsed = timed(service.run_sim, short, cfg)
    assert 0.18 - 0.005 <= elapsed <= 0.18 + 0.08


def test_execute_splits_outputs_per_request_and_observes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "obs.jsonl"
    obs = Observer(str(log))
    reqs = [items(2, 400), items(1, 400, text="Short text about nothing much at all here.")]
    outs = service.execute(service.CPU_MODEL, reqs, obs)
    assert [len(o) for o in outs] == [2, 1]
    import json

    (line,) = [json.loads(x) for x in log.read_text().splitlines()]
    assert line["model"] == service.CPU_MODEL and line["batch_size"] == 3 and line["requests"] == 2
    assert line["prompts"][2].startswith("<s> <CON> Short text") and isinstance(line["time"], float)


def test_echo_answers_cost_nothing_and_parse_as_pairs() -> None:
    cfg = sim.SimConfig(batch_delay_ms=0, per_token_ms=0, answer="echo")
    batch = items(32, 400)
    out, elapsed = timed(service.run_sim, batch, cfg)
    assert elapsed < 0.05  # no mining: the pipeline's own cost is what a zero-cost bench measures
    first = out[0]
    assert first.startswith("<QUE> ") and first.endswith(" </END>")
    assert RICH_TEXT[:40].strip() in first
    with pytest.raises(ValueError):
        sim.SimConfig(answer="bogus")
