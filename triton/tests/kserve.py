"""Minimal KServe v2 HTTP client (stdlib only) and process helpers for the server tests."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from typing import Any, Dict, List, Optional


def get(url: str, timeout: float = 2.0) -> Dict[str, Any]:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        body = r.read()
    return json.loads(body) if body else {}


def is_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2.0) as r:
            return r.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def wait_ready(base: str, proc: subprocess.Popen, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with {proc.returncode}")
        if is_ok(f"{base}/v2/health/ready"):
            return
        time.sleep(0.25)
    raise TimeoutError(f"{base} not ready after {timeout_s}s")


def infer(base: str, model: str, prompts: List[str], sampling: Optional[Dict[str, Any]] = None,
          exclude: Optional[bool] = True) -> List[str]:
    n = len(prompts)
    inputs: List[Dict[str, Any]] = [{"name": "text_input", "datatype": "BYTES", "shape": [n, 1], "data": prompts}]
    if sampling is not None:
        inputs.append({"name": "sampling_parameters", "datatype": "BYTES", "shape": [n, 1],
                       "data": [json.dumps(sampling)] * n})
    if exclude is not None:
        inputs.append({"name": "exclude_input_in_output", "datatype": "BOOL", "shape": [n, 1], "data": [exclude] * n})
    req = urllib.request.Request(f"{base}/v2/models/{model}/infer", data=json.dumps({"inputs": inputs}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        out = json.load(r)
    (tensor,) = [o for o in out["outputs"] if o["name"] == "text_output"]
    assert tensor["shape"] == [n, 1]
    return list(tensor["data"])


def generate(base: str, model: str, prompt: str, sampling: Optional[Dict[str, Any]] = None,
             exclude: Optional[bool] = True, timeout: float = 120.0) -> str:
    """One prompt through Triton's HTTP generate extension, as ipt's client sends it."""
    body: Dict[str, Any] = {"text_input": prompt}
    if sampling is not None:
        body["sampling_parameters"] = json.dumps(sampling)
    if exclude is not None:
        body["exclude_input_in_output"] = exclude
    req = urllib.request.Request(f"{base}/v2/models/{model}/generate", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        out = json.load(r)
    return out["text_output"]


def stop(proc: subprocess.Popen, timeout_s: float = 60.0) -> int:
    if proc.poll() is None:
        proc.terminate()  # SIGTERM: the clean-shutdown path under test
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode
