"""The benchmarks still run end to end, on small sizes: a change to the package that one of them
depends on fails here rather than on the day someone measures. No figure is judged here; that is
what the benchmarks themselves are for (BENCHMARKS.md)."""

import os
import signal
import subprocess
import sys

import pytest

from servers import ROOT

RUNS = {
    "verdict_cost": (["10", "100"], "previous (bootstrap) ms"),
    "snapshot_cost": (["200"], "snapshot"),
    "export_cost": (["100"], "x = times the raw query"),
    "store_backends": (["100", "1"], "PostgreSQL burst throughput is"),
    "vote_batch": (["600", "2"], "writer CPU ms"),
    "pod_resources": (["50"], "KiB a phone"),
    "keepalive": (["--requests", "20", "--repeat", "1"], "p50 off/on"),
    "ping_flood": (["--seconds", "1"], "ping flood memory grown"),
    "reconnect_soak": (["--phones", "50", "--reconnects", "200", "--policy", "sweeps"], "soak memory grown"),
    "load": (["--phones", "50", "--repeat", "1", "--servers", "real"], "every acknowledged vote counted"),
    "pg_outage": (["--pause", "2"], "vote during the pause"),
    "cluster": (["--processes", "2", "--phones", "40", "--sessions", "2", "--per-session", "10",
                 "--repeat", "1"], "burst"),
}


@pytest.mark.drill
@pytest.mark.parametrize("name", RUNS)
def test_a_benchmark_runs_on_a_small_size(name):
    arguments, printed = RUNS[name]
    process = subprocess.Popen([sys.executable, "-m", f"bench.{name}", *arguments], cwd=ROOT, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = process.communicate(timeout=150)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the benchmark and every server it started
        out, err = process.communicate(timeout=30)
        pytest.fail(f"bench.{name} ran for over 150 s:\n{out[-3000:]}{err[-3000:]}")
    assert process.returncode == 0, out[-3000:] + err[-3000:]
    assert printed in out, out[-3000:]
