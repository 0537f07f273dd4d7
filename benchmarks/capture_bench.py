"""Benchmark of runtime capture (issue 3): overhead against the SDK with export off, and memory.

    python benchmarks/capture_bench.py [--generations 10000] [--observations 100000] [--repeat 3]

1. Time: one trace with N generations (`@observe(as_type="generation")` children, each calling
   `update_current_generation(model=, usage_details=, cost_details=, metadata=)`), run
   (a) under the capture (what `agentcost_capture` installs) and (b) with the plain SDK and its
   export turned off (a private TracerProvider; `should_export_span=lambda s: False` on 4.x/5.x,
   `blocked_instrumentation_scopes=["langfuse-sdk"]` on 3.x). Each mode runs in a fresh process;
   the best of `--repeat` interleaved runs is kept, in process CPU time (less disturbed by
   other load on the machine than wall-clock time). Target: (a) / (b) <= 1.3. The time of the first read of
   the capture (building traces and costs) is reported separately.
2. Memory: M observations captured (1,000 traces of M/1,000 generations) under tracemalloc; the
   memory still allocated afterwards, divided by M, before and after the first read. Target <= 2 KB.

Nothing touches the network: every client points at a closed local port, and the capture never
exports.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
import tracemalloc
from typing import Any

PUBLIC_KEY = "pk-lf-bench"
SECRET_KEY = "sk-lf-bench"


def _workflow(generations: int) -> None:
    from langfuse import get_client, observe

    @observe(as_type="generation", name="agent_call")
    def agent_call(i: int) -> None:
        get_client().update_current_generation(
            model="gpt-4o",
            usage_details={"input": 100, "output": 20},
            cost_details={"total": 0.001},
            metadata={"agent_type": f"agent-{i % 5}"},
        )

    @observe(name="workflow")
    def workflow() -> None:
        for i in range(generations):
            agent_call(i)

    workflow()


def _plain_client() -> Any:
    """The SDK as an application would configure it for 'no export' (no capture installed)."""
    import importlib.metadata

    from langfuse import Langfuse
    from opentelemetry.sdk.trace import TracerProvider

    kwargs: dict[str, Any] = {
        "public_key": PUBLIC_KEY,
        "secret_key": SECRET_KEY,
        "base_url": "http://127.0.0.1:9",
        "tracer_provider": TracerProvider(),
    }
    if int(importlib.metadata.version("langfuse").split(".")[0]) >= 4:
        kwargs["should_export_span"] = lambda span: False
    else:
        kwargs["blocked_instrumentation_scopes"] = ["langfuse-sdk"]
    return Langfuse(**kwargs)


def _captured_client() -> Any:
    """The SDK under the capture, exactly as the pytest plugin installs it."""
    from pytest_agentcost.capture.sdk import install_guard, install_recorder

    install_guard()
    from langfuse import Langfuse

    client = Langfuse(public_key=PUBLIC_KEY, secret_key=SECRET_KEY)
    install_recorder()
    return client


def run_timing(mode: str, generations: int) -> dict[str, float]:
    """One timing run in this process (called in a fresh subprocess per mode)."""
    client = _captured_client() if mode == "capture" else _plain_client()
    _workflow(50)  # warm up imports and caches
    if mode == "capture":
        from pytest_agentcost.capture.sdk import install_recorder

        install_recorder().clear()
    gc.collect()
    start = time.process_time()  # CPU time: less disturbed by other processes than wall time
    _workflow(generations)
    elapsed = time.process_time() - start
    result = {"seconds": elapsed}
    if mode == "capture":
        from pytest_agentcost.capture.model import Capture
        from pytest_agentcost.capture.pricing import Pricer
        from pytest_agentcost.capture.sdk import install_recorder
        from pytest_agentcost.config import Config

        capture = Capture(install_recorder(), Pricer(Config()))
        start = time.process_time()
        total = capture.total_cost
        result["read_seconds"] = time.process_time() - start
        result["generations_seen"] = float(len(capture.generations()))
        result["total_cost"] = float(total)
    client.shutdown()
    return result


def run_memory(observations: int) -> dict[str, float]:
    """Bytes still allocated per captured observation, before and after the first read."""
    _captured_client()
    from pytest_agentcost.capture.sdk import install_recorder

    recorder = install_recorder()
    _workflow(10)
    recorder.clear()
    gc.collect()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    per_trace = observations // 1000
    for _ in range(1000):
        _workflow(per_trace - 1)  # the root plus per_trace - 1 generations
    gc.collect()
    raw = tracemalloc.get_traced_memory()[0] - baseline
    records = recorder.records()
    gc.collect()
    converted = tracemalloc.get_traced_memory()[0] - baseline
    tracemalloc.stop()
    return {
        "observations": float(len(records)),
        "bytes_per_observation_raw_spans": raw / len(records),
        "bytes_per_observation_after_read": converted / len(records),
    }


def _subprocess(*args: str) -> dict[str, float]:
    env = {**os.environ, "LANGFUSE_PUBLIC_KEY": PUBLIC_KEY, "LANGFUSE_SECRET_KEY": SECRET_KEY}
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True, env=env
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=10_000)
    parser.add_argument("--observations", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--child", choices=["capture", "baseline", "memory"], help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child == "memory":
        print(json.dumps(run_memory(args.observations)))
        return
    if args.child:
        print(json.dumps(run_timing(args.child, args.generations)))
        return

    import importlib.metadata

    version = importlib.metadata.version("langfuse")
    print(f"langfuse {version}, Python {sys.version.split()[0]}")
    gen = str(args.generations)
    baseline = [
        _subprocess("--child", "baseline", "--generations", gen) for _ in range(args.repeat)
    ]
    captured = [_subprocess("--child", "capture", "--generations", gen) for _ in range(args.repeat)]
    best_base = min(r["seconds"] for r in baseline)
    best_capture = min(r["seconds"] for r in captured)
    best_read = min(r["read_seconds"] for r in captured)
    print(f"{args.generations} generations in one trace (CPU seconds, best of {args.repeat}):")
    print(f"  SDK, export off:   {best_base:.3f} s")
    print(
        f"  under the capture: {best_capture:.3f} s   ratio {best_capture / best_base:.2f}x (target <= 1.3x)"
    )
    print(
        f"  first read (traces + costs of {int(captured[0]['generations_seen'])} generations): {best_read:.3f} s"
    )
    memory = _subprocess("--child", "memory", "--observations", str(args.observations))
    print(f"{int(memory['observations'])} observations captured:")
    print(
        f"  retained per observation before the first read: {memory['bytes_per_observation_raw_spans']:.0f} B"
    )
    print(
        f"  retained per observation after the first read:  {memory['bytes_per_observation_after_read']:.0f} B (target <= 2048 B)"
    )


if __name__ == "__main__":
    main()
