"""The model repository under a real tritonserver: the binary PyTriton ships, Python backend.

This checks the Triton-side files we deploy (config.pbtxt, model.py, the
shared package import), not just the PyTriton launcher. The vLLM model is
checked for what can be checked without a GPU: Triton parses its config and
only then fails for lack of the vllm backend.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RICH_TEXT, TRITON_DIR, free_ports
from kserve import generate, get, infer, stop, wait_ready

from ipt_synth import miner, protocol, service
from ipt_synth.engine_model import DEFAULTS, ENGINE_MODEL, params_of, settings_from_params

REPO = TRITON_DIR / "model_repository"


def _pytriton_dir() -> Path:
    try:
        import pytriton
    except ImportError:
        pytest.skip("nvidia-pytriton not installed")
    return Path(pytriton.__file__).resolve().parent


@pytest.fixture(scope="module")
def repo_server(tmp_path_factory):  # type: ignore[no-untyped-def]
    pt = _pytriton_dir()
    server_dir = tmp_path_factory.mktemp("tritonserver") / "tritonserver"
    # Same layout PyTriton prepares: binary + python backend + the stub for our Python.
    shutil.copytree(pt / "tritonserver", server_dir, ignore=shutil.ignore_patterns("python_backend_stubs"))
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    shutil.copy(pt / "tritonserver" / "python_backend_stubs" / version / "triton_python_backend_stub",
                server_dir / "backends" / "python" / "triton_python_backend_stub")
    http, = free_ports(1)
    observe = tmp_path_factory.mktemp("obs") / "batches.jsonl"
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = ":".join(p for p in (env.get("LD_LIBRARY_PATH"), str(pt.parent / "nvidia_pytriton.libs")) if p)
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"  # the stub finds our venv's numpy this way
    env["IPT_TRITON_OBSERVE_FILE"] = str(observe)
    log_path = tmp_path_factory.mktemp("log") / "tritonserver.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [str(server_dir / "bin" / "tritonserver"), "--model-repository", str(REPO),
         "--backend-directory", str(server_dir / "backends"), "--model-control-mode", "explicit",
         "--load-model", service.CPU_MODEL, "--load-model", service.SIM_MODEL, "--load-model", ENGINE_MODEL,
         "--http-address", "127.0.0.1", "--http-port", str(http), "--allow-grpc", "false",
         "--allow-metrics", "false", "--exit-timeout-secs", "5"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{http}"
    try:
        wait_ready(base, proc)
        yield {"base": base, "observe": observe, "log": log_path}
    finally:
        stop(proc)
        log.close()


@pytest.mark.parametrize("model", [service.CPU_MODEL, service.SIM_MODEL])
def test_repository_models_serve_the_same_bytes(repo_server, model: str) -> None:  # type: ignore[no-untyped-def]
    prompts = [protocol.reading_block(RICH_TEXT), "<s>", protocol.reading_block("Tiny.")]
    out = infer(repo_server["base"], model, prompts, {"temperature": 0, "max_tokens": 400})
    assert out == [miner.generate(p, 400, True) for p in prompts]
    cfg = get(f"{repo_server['base']}/v2/models/{model}/config")
    assert cfg["max_batch_size"] > 0 and "dynamic_batching" in cfg


def test_repository_observe_env(repo_server) -> None:  # type: ignore[no-untyped-def]
    infer(repo_server["base"], service.CPU_MODEL, ["<s>"] * 2)
    lines = [json.loads(x) for x in repo_server["observe"].read_text().splitlines()]
    assert any(x["model"] == service.CPU_MODEL and x["batch_size"] == 2 for x in lines)


def test_vllm_config_parses(repo_server) -> None:  # type: ignore[no-untyped-def]
    import urllib.error
    import urllib.request

    req = urllib.request.Request(f"{repo_server['base']}/v2/repository/models/instruction_synthesizer/load",
                                 data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=30)
    # A config syntax error would be reported before Triton looks for the backend.
    assert "unable to find backend library for backend 'vllm'" in err.value.read().decode()


def _param_value(cfg: str, key: str) -> str:
    import re

    m = re.search(r'key:\s*"' + key + r'"\s*value:\s*\{\s*string_value:\s*"((?:[^"\\]|\\.)*)"', cfg)
    assert m, key
    return m.group(1).replace('\\"', '"')  # the text format escapes quotes


def test_vllm_model_json() -> None:
    engine = json.loads((REPO / "instruction_synthesizer" / "1" / "model.json").read_text())
    assert engine["model"] == "instruction-pretrain/instruction-synthesizer"
    assert engine["max_model_len"] == 4096
    assert engine["enable_prefix_caching"] is True  # chain rounds reuse the previous round's prefix
    cfg = (REPO / "instruction_synthesizer" / "config.pbtxt").read_text()
    assert 'backend: "vllm"' in cfg and "decoupled: true" in cfg and "max_batch_size: 0" in cfg
    for name in ("text_input", "sampling_parameters", "exclude_input_in_output", "text_output"):
        assert f'name: "{name}"' in cfg
    # The published hints are the engine's own settings.
    assert _param_value(cfg, "ipt_max_num_seqs") == str(engine["max_num_seqs"])
    assert _param_value(cfg, "ipt_max_model_len") == str(engine["max_model_len"])
    # The engine sim schedules with the production engine's budget.
    assert DEFAULTS["engine_max_num_batched_tokens"] == str(engine["max_num_batched_tokens"])
    assert DEFAULTS["ipt_max_num_seqs"] == str(engine["max_num_seqs"])


def test_engine_sim_serves_through_the_binary(repo_server) -> None:  # type: ignore[no-untyped-def]
    base = repo_server["base"]
    cfg = get(f"{base}/v2/models/{ENGINE_MODEL}/config")
    assert cfg["max_batch_size"] == 0 and cfg["model_transaction_policy"]["decoupled"] is True
    # The repository's parameters are exactly the engine sim's defaults, and agree with the vLLM model's hints.
    params = params_of(cfg)
    assert {k: params[k] for k in DEFAULTS} == DEFAULTS
    assert settings_from_params(params) == settings_from_params({})
    vllm = (REPO / "instruction_synthesizer" / "config.pbtxt").read_text()
    for key in ("ipt_sampling_parameters", "ipt_max_num_seqs", "ipt_max_model_len"):
        assert params[key] == _param_value(vllm, key)
    prompts = [protocol.reading_block(RICH_TEXT), protocol.reading_block("Tiny.")]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        outs = list(pool.map(lambda p: generate(base, ENGINE_MODEL, p, {"temperature": 0, "max_tokens": 400}),
                             prompts))
    assert outs == [miner.generate(p, 400, True) for p in prompts]
