"""The engine simulator through Triton, started the way the local stack starts it (triton/serve.py).

Many generate requests at once on one decoupled model instance; the engine's
own accounting (its stats endpoint) shows they were batched, that a small KV
cache preempted, and that a chain's next round hit the prefix cache.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import urllib.error
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import PLAIN_TEXT, RICH_TEXT, TRITON_DIR, free_ports
from kserve import generate, get, stop, wait_ready

from ipt_synth import miner, protocol, service, tokens
from ipt_synth.engine_model import ENGINE_MODEL, params_of, render_config, settings_from_params

SAMPLING = {"temperature": 0, "max_tokens": 400}
MAX_NUM_SEQS = 64


@pytest.fixture(scope="module")
def engine_server(tmp_path_factory):  # type: ignore[no-untyped-def]
    http, grpc, metrics, stats = free_ports(4)
    fault = tmp_path_factory.mktemp("fault") / "endpoint-fault"
    log = open(tmp_path_factory.mktemp("log") / "serve.log", "w")
    proc = subprocess.Popen(
        [sys.executable, str(TRITON_DIR / "serve.py"), "--http-port", str(http), "--grpc-port", str(grpc),
         "--metrics-port", str(metrics), "--models", ENGINE_MODEL, "--engine-stats-port", str(stats),
         "--engine-max-num-seqs", str(MAX_NUM_SEQS),
         # A cache far smaller than 64 sequences of ~450 tokens need: preemption must happen.
         "--engine-kv-cache-tokens", "8192", "--engine-overhead-ms", "2", "--engine-per-seq-ms", "0.05",
         "--engine-per-prefill-token-ms", "0.01", "--fault-file", str(fault)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{http}"
    try:
        wait_ready(base, proc)
        yield {"base": base, "stats": f"http://127.0.0.1:{stats}/", "fault": fault,
               "metrics": f"http://127.0.0.1:{metrics}/metrics"}
    finally:
        code = stop(proc)
        log.close()
        assert code == 0, f"serve.py exited with {code}"


def prompt(i: int) -> str:
    return protocol.reading_block(f"Report {i}. {RICH_TEXT}")


def test_config_is_the_vllm_models_interface(engine_server) -> None:  # type: ignore[no-untyped-def]
    cfg = get(f"{engine_server['base']}/v2/models/{ENGINE_MODEL}/config")
    assert cfg["max_batch_size"] == 0 and cfg["model_transaction_policy"]["decoupled"] is True
    assert {i["name"] for i in cfg["input"]} == {"text_input", "sampling_parameters", "exclude_input_in_output"}
    assert [o["name"] for o in cfg["output"]] == ["text_output"]
    params = {k: v["string_value"] for k, v in cfg["parameters"].items()}
    assert params["ipt_max_num_seqs"] == str(MAX_NUM_SEQS)  # the flag reached the published hint
    assert params["engine_kv_cache_tokens"] == "8192"


def test_many_concurrent_requests_are_batched_and_preempted(engine_server) -> None:  # type: ignore[no-untyped-def]
    base, stats_url = engine_server["base"], engine_server["stats"]
    before = get(stats_url)
    prompts = [prompt(i) for i in range(150)]
    with ThreadPoolExecutor(max_workers=len(prompts)) as pool:
        outs = list(pool.map(lambda p: generate(base, ENGINE_MODEL, p, SAMPLING), prompts))
    assert outs == [miner.generate(p, 400, True) for p in prompts]
    after = get(stats_url)
    finished = after["requests_finished"] - before["requests_finished"]
    generated = after["generated_tokens"] - before["generated_tokens"]
    steps = after["steps"] - before["steps"]
    assert finished == 150
    # One at a time would take one step per generated token. How many share a step depends on how
    # fast this machine's threads get the requests in (on an idle box, dozens; on a loaded one about
    # 20), so the bound is one that only batching can pass: each request runs for hundreds of steps,
    # so more than 4 per step on average needs requests to overlap, whatever the machine's speed.
    assert generated / steps > 4, (generated, steps)
    assert after["preemptions"] > before["preemptions"]
    assert after["running"] == 0 and after["waiting"] == 0 and after["kv_blocks_used"] == 0
    assert after["config"]["max_num_seqs"] == MAX_NUM_SEQS


def vllm_metrics(url: str) -> dict:
    """The vllm:* samples of Triton's Prometheus text for the engine sim's labels."""
    import urllib.request

    with urllib.request.urlopen(url, timeout=5) as r:
        lines = r.read().decode().splitlines()
    labels = f'{{model="{ENGINE_MODEL}",version="1"}}'
    return {line.split("{")[0]: float(line.rsplit(" ", 1)[1]) for line in lines
            if line.startswith("vllm:") and labels in line}


def test_vllm_metric_names_on_triton_metrics(engine_server) -> None:  # type: ignore[no-untyped-def]
    import time

    base, stats_url = engine_server["base"], engine_server["stats"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        busy = [pool.submit(generate, base, ENGINE_MODEL, prompt(i), SAMPLING) for i in range(8)]
        deadline = time.monotonic() + 10
        seen_running = 0.0
        while time.monotonic() < deadline and seen_running == 0:
            seen_running = vllm_metrics(engine_server["metrics"]).get("vllm:num_requests_running", 0.0)
            time.sleep(0.02)
        [b.result() for b in busy]
    assert seen_running > 0  # the client-visible running gauge moved while requests were in the engine
    time.sleep(0.2)  # published every 50 ms
    metrics, stats = vllm_metrics(engine_server["metrics"]), get(stats_url)
    assert metrics["vllm:generation_tokens_total"] == stats["generated_tokens"]
    assert metrics["vllm:prompt_tokens_total"] == stats["prefill_tokens"]
    assert metrics["vllm:num_preemptions_total"] == stats["preemptions"]
    assert metrics["vllm:num_requests_running"] == 0 and metrics["vllm:num_requests_waiting"] == 0


def test_next_round_hits_the_prefix_cache(engine_server) -> None:  # type: ignore[no-untyped-def]
    base, stats_url = engine_server["base"], engine_server["stats"]
    round0 = protocol.reading_block(PLAIN_TEXT)
    out0 = generate(base, ENGINE_MODEL, round0, SAMPLING)
    before = get(stats_url)
    round1 = round0 + out0 + protocol.EOS + protocol.reading_block(RICH_TEXT)
    out1 = generate(base, ENGINE_MODEL, round1, SAMPLING)
    after = get(stats_url)
    assert out1 == miner.generate(round1, 400, True)
    # In the synthesizer's tokens: round 1 repeats round 0's prompt and output token for token.
    encode = tokens.load("mistral-7b-v0.1")
    (t0, p0), (t1, p1) = encode(round0, out0), encode(round1, out1)
    common = 0
    while common < min(len(t0), len(t1)) and t0[common] == t1[common]:
        common += 1
    assert common == len(t0)
    # Round 0 left (p0 + N0 − 1) tokens of KV, in full blocks of 16; round 1 computes at least its last token.
    expected = 16 * min(common // 16, (len(t0) - 1) // 16, (p1 - 1) // 16)
    hit = after["prefix_hit_tokens"] - before["prefix_hit_tokens"]
    assert hit == expected > p0  # the output's blocks too, not only the prompt's
    assert after["prefill_tokens"] - before["prefill_tokens"] == p1 - hit


def test_prompt_is_prepended_unless_excluded(engine_server) -> None:  # type: ignore[no-untyped-def]
    p = prompt(0)
    assert generate(engine_server["base"], ENGINE_MODEL, p, SAMPLING, exclude=None) == p + miner.generate(p, 400, True)
    short = generate(engine_server["base"], ENGINE_MODEL, p, None)  # vLLM's default: 16 tokens
    assert short == miner.generate(p, protocol.VLLM_DEFAULT_MAX_TOKENS, True)


def test_faults_fail_only_their_requests(engine_server) -> None:  # type: ignore[no-untyped-def]
    base, fault = engine_server["base"], engine_server["fault"]
    poison = protocol.reading_block(f"{PLAIN_TEXT} {service.FAULT_MARKER}")
    with ThreadPoolExecutor(max_workers=4) as pool:
        good = [pool.submit(generate, base, ENGINE_MODEL, prompt(i), SAMPLING) for i in range(3)]
        # Triton's generate extension answers every model-side error with HTTP 400 (the error code the
        # model sets, UNAVAILABLE here, only reaches gRPC clients), so the message is what tells them apart.
        with pytest.raises(urllib.error.HTTPError) as err:
            generate(base, ENGINE_MODEL, poison, SAMPLING)
        assert "injected inference failure" in err.value.read().decode()
        # Longer than max_model_len (4096 tokens): the request's own fault, as vLLM answers it.
        with pytest.raises(urllib.error.HTTPError) as err:
            generate(base, ENGINE_MODEL, protocol.reading_block("word " * 5000), SAMPLING)
        assert "exceeds max_model_len 4096" in err.value.read().decode()
        assert [g.result() for g in good] == [miner.generate(prompt(i), 400, True) for i in range(3)]
    fault.touch()
    try:
        with pytest.raises(urllib.error.HTTPError) as err:
            generate(base, ENGINE_MODEL, prompt(0), SAMPLING)
        assert "injected endpoint fault" in err.value.read().decode()
    finally:
        fault.unlink()
    assert generate(base, ENGINE_MODEL, prompt(0), SAMPLING) == miner.generate(prompt(0), 400, True)


def test_serve_flags_become_the_models_parameters(tmp_path) -> None:  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("serve", TRITON_DIR / "serve.py")
    serve = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(serve)  # type: ignore[union-attr]
    args = serve.parse_args(["--engine-max-num-seqs", "32", "--engine-time-scale", "4", "--engine-preset", "h100-7b",
                             "--engine-stats-port", "18003", "--fault-file", "/tmp/x"])
    assert args.engine.engine.max_num_seqs == 32 and args.engine.time_scale == 4.0
    assert args.engine.stats_port == 18003 and args.engine.fault_file == "/tmp/x"
    assert ENGINE_MODEL in args.models  # served by default, beside the CPU and sim models
    model_dir = serve.write_engine_model(tmp_path, args.engine_params)
    written = (model_dir / "config.pbtxt").read_text()
    values = dict(re.findall(r'key: "(\w+)"\s*value: \{ string_value: "((?:[^"\\]|\\.)*)"', written))
    assert values["ipt_max_num_seqs"] == "32" and values["engine_time_scale"] == "4"
    assert settings_from_params({k: v for k, v in values.items() if k != "ipt_sampling_parameters"}) == args.engine
    assert (model_dir / "1" / "model.py").resolve() == TRITON_DIR / "model_repository" / ENGINE_MODEL / "1" / "model.py"
    with pytest.raises(ValueError):
        render_config(written, {"no_such_key": "1"})
    with pytest.raises(ValueError):
        settings_from_params({"engine_preset": "a100-70b"})
    with pytest.raises(SystemExit):
        serve.parse_args(["--engine-time-scale", "0"])
    assert params_of({"parameters": {"a": {"string_value": "b"}}}) == {"a": "b"}
