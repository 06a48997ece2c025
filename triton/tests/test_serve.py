"""End-to-end: start triton/serve.py (real Triton via PyTriton) and infer over KServe v2 HTTP."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import PLAIN_TEXT, RICH_TEXT, TRITON_DIR, free_ports
from kserve import get, infer, is_ok, stop, wait_ready

from ipt_synth import miner, protocol, service
from ipt_synth.observe import Observer

SAMPLING = {"temperature": 0, "max_tokens": 400}


@pytest.fixture(scope="module")
def server(tmp_path_factory):  # type: ignore[no-untyped-def]
    http, grpc, metrics = free_ports(3)
    observe = tmp_path_factory.mktemp("obs") / "batches.jsonl"
    fault = tmp_path_factory.mktemp("fault") / "endpoint-fault"
    log = open(tmp_path_factory.mktemp("log") / "serve.log", "w")
    proc = subprocess.Popen(
        [sys.executable, str(TRITON_DIR / "serve.py"), "--http-port", str(http), "--grpc-port", str(grpc),
         "--metrics-port", str(metrics), "--sim-batch-delay-ms", "20", "--sim-per-token-ms", "0.1",
         "--sim-max-batch", "8", "--cpu-max-batch", "32", "--observe-file", str(observe),
         "--fault-file", str(fault)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{http}"
    try:
        wait_ready(base, proc)
        yield {"base": base, "proc": proc, "observe": observe, "metrics": metrics, "fault": fault}
    finally:
        code = stop(proc)
        log.close()
        assert code == 0, f"serve.py exited with {code}"


def prompts() -> list:
    history = protocol.reading_block(PLAIN_TEXT) + "<QUE> Q? <ANS> A </END></s>"
    return [protocol.reading_block(RICH_TEXT), history + protocol.reading_block(RICH_TEXT), "<s>"]


@pytest.mark.parametrize("model", [service.CPU_MODEL, service.SIM_MODEL])
def test_batch_of_three_over_http(server, model: str) -> None:  # type: ignore[no-untyped-def]
    base = server["base"]
    # Readiness means the models are loaded, not just the server process.
    assert is_ok(f"{base}/v2/models/{model}/ready")
    out = infer(base, model, prompts(), SAMPLING, exclude=True)
    assert out == [miner.generate(p, 400, True) for p in prompts()]
    assert out[0].startswith("<QUE> ") and out[2] == ""
    assert out[0] != out[1]  # history changes the task mix
    # vLLM semantics: without exclude_input_in_output the prompt is echoed in front.
    echoed = infer(base, model, prompts()[:1], SAMPLING, exclude=None)
    assert echoed == [prompts()[0] + out[0]]


def test_model_configs_advertise_batching(server) -> None:  # type: ignore[no-untyped-def]
    cpu = get(f"{server['base']}/v2/models/{service.CPU_MODEL}/config")
    sim = get(f"{server['base']}/v2/models/{service.SIM_MODEL}/config")
    assert cpu["max_batch_size"] == 32 and sim["max_batch_size"] == 8
    assert "dynamic_batching" in cpu and "dynamic_batching" in sim
    names = {i["name"]: i for i in cpu["input"]}
    assert names["text_input"]["data_type"] == "TYPE_STRING"
    assert names["sampling_parameters"]["optional"] and names["exclude_input_in_output"]["data_type"] == "TYPE_BOOL"
    assert cpu["output"][0]["name"] == "text_output"


def test_observe_file_records_batches(server) -> None:  # type: ignore[no-untyped-def]
    infer(server["base"], service.SIM_MODEL, prompts(), SAMPLING)
    lines = [json.loads(x) for x in server["observe"].read_text().splitlines()]
    sims = [x for x in lines if x["model"] == service.SIM_MODEL]
    assert sims and sims[-1]["batch_size"] == 3 and sims[-1]["prompts"] == prompts()
    assert set(lines[0]) >= {"model", "batch_size", "prompts", "time"}


def test_metrics_endpoint(server) -> None:  # type: ignore[no-untyped-def]
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{server['metrics']}/metrics", timeout=5) as r:
        assert b"nv_inference_request_success" in r.read()


def test_sim_capacity_end_to_end() -> None:
    """2 instances × max_batch 2 at 300 ms per batch: 8 prompts in full batches take 2 rounds = 0.6 s."""
    import threading
    import time

    http, grpc, metrics = free_ports(3)
    proc = subprocess.Popen(
        [sys.executable, str(TRITON_DIR / "serve.py"), "--http-port", str(http), "--grpc-port", str(grpc),
         "--metrics-port", str(metrics), "--models", service.SIM_MODEL, "--sim-batch-delay-ms", "300",
         "--sim-per-token-ms", "0", "--sim-max-batch", "2", "--sim-instances", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{http}"
    try:
        wait_ready(base, proc)
        infer(base, service.SIM_MODEL, ["<s>"] * 2)  # warm-up
        threads = [threading.Thread(target=infer, args=(base, service.SIM_MODEL, ["<s>"] * 2)) for _ in range(4)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        # C = 2 * 2 / 0.3 s ≈ 13.3 prompts/s → 8 prompts in 0.6 s (1.2 s if instances ran serially).
        assert 0.58 <= elapsed < 0.95, elapsed
    finally:
        assert stop(proc) == 0


def test_fault_marker_fails_only_batches_holding_it() -> None:
    observer = Observer(None)
    params = protocol.parse_sampling_parameters('{"temperature":0,"max_tokens":400}')
    good = service.Item(f"<s> <CON> {PLAIN_TEXT} </CON>\n\n", params, True)
    poison = service.Item(f"<s> <CON> {PLAIN_TEXT} {service.FAULT_MARKER} </CON>\n\n", params, True)
    assert service.execute(service.CPU_MODEL, [[good]], observer)[0][0].strip()
    with pytest.raises(service.InjectedFault):
        service.execute(service.CPU_MODEL, [[good], [poison]], observer)


def test_fault_switch_without_a_file_never_fails(tmp_path) -> None:  # type: ignore[no-untyped-def]
    service.FaultSwitch(None).check()
    switch = service.FaultSwitch(str(tmp_path / "absent"))
    switch.check()
    (tmp_path / "absent").touch()
    with pytest.raises(service.EndpointFault):
        switch.check()


def test_fault_file_fails_the_endpoint_while_it_exists(server) -> None:  # type: ignore[no-untyped-def]
    """The reliability suite's "one endpoint returns errors for a while": 5xx on infer, health still ready."""
    import urllib.error

    base, fault = server["base"], server["fault"]
    assert infer(base, service.CPU_MODEL, prompts()[:1], SAMPLING)
    fault.touch()
    try:
        for model in (service.CPU_MODEL, service.SIM_MODEL):
            with pytest.raises(urllib.error.HTTPError) as err:
                infer(base, model, prompts()[:1], SAMPLING)
            # A server-side error (retryable elsewhere), not a complaint about the request.
            assert err.value.code >= 500, err.value.code
        assert is_ok(f"{base}/v2/health/ready")
    finally:
        fault.unlink()
    assert infer(base, service.CPU_MODEL, prompts()[:1], SAMPLING) == [miner.generate(prompts()[0], 400, True)]
