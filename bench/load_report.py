"""What bench.load prints: a one-line summary of each run, then the table of medians and the targets.

Each `Row` of the table names one measurement of a run (section, name); `report` gives its median
over the repetitions for each server, the ratio real/raw and every run's value; `targets` checks the
real server's medians against the goals the benchmark exists for.
"""

import argparse
import math
import os
import resource
import statistics
import sys
from pathlib import Path
from typing import Any, NamedTuple

from .load_clients import ladder_for


class Row(NamedTuple):
    label: str
    path: tuple[str, str]  # (section of a run, measurement)
    fmt: str
    better: str | None  # "low", "high" or None: which way is better
    scale: float = 1.0


ROWS = [
    Row("phones connected", ("connect", "connected"), "{:.0f}", None),
    Row("connect all phones (s)", ("connect", "wall_s"), "{:.2f}", "low"),
    Row("server RSS before (MiB)", ("connect", "rss_before_kib"), "{:.1f}", "low", 1 / 1024),
    Row("server RSS with phones (MiB)", ("connect", "rss_after_kib"), "{:.1f}", "low", 1 / 1024),
    Row("RSS per phone, added (KiB)", ("connect", "rss_per_phone_kib"), "{:.1f}", "low"),
    Row("RSS per phone, total (KiB)", ("connect", "rss_total_per_phone_kib"), "{:.1f}", "low"),
    Row("burst votes acknowledged", ("burst", "acked"), "{:.0f}", None),
    Row("burst: time to last ack (s)", ("burst", "time_to_last_ack_s"), "{:.3f}", "low"),
    Row("burst: ack p50 (ms)", ("burst", "ack_p50_ms"), "{:.1f}", "low"),
    Row("burst: ack p99 (ms)", ("burst", "ack_p99_ms"), "{:.1f}", "low"),
    Row("burst: vote-to-console p99 (ms)", ("burst", "console_p99_ms"), "{:.1f}", "low"),
    Row("burst: server CPU loop+other (s)", ("burst", "server_cpu_s"), "{:.2f}", "low"),
    Row("burst: load-generator CPU (s)", ("burst", "client_cpu_s"), "{:.2f}", None),
    Row("sustained votes/s at ack p99<=limit", ("sustained", "best_rate"), "{:.0f}", "high"),
    Row("  ack p99 at that rate (ms)", ("sustained", "best_p99_ms"), "{:.1f}", "low"),
    Row("  server CPU per vote (us)", ("sustained", "best_cpu_us"), "{:.0f}", "low"),
    Row("vote-to-console p50 (ms)", ("console", "console_p50_ms"), "{:.1f}", "low"),
    Row("vote-to-console p99 (ms)", ("console", "console_p99_ms"), "{:.1f}", "low"),
    Row("  paced wave: ack p99 (ms)", ("console", "ack_p99_ms"), "{:.1f}", "low"),
    Row("reveal reaches every phone (s)", ("reveal", "time_to_all_s"), "{:.3f}", "low"),
    Row("phone connections dropped by server", ("verify", "dropped"), "{:.0f}", "low"),
    Row("every acknowledged vote counted", ("verify", "ok"), "{}", None),
]


def value_of(run: dict, path: tuple[str, str]) -> float | None:
    section, name = path
    data = run.get(section)
    if data is None:
        return None
    if section == "burst" and name == "server_cpu_s":
        return data["server_loop_cpu_s"] + data["server_other_cpu_s"]
    if section == "sustained" and name in ("best_p99_ms", "best_cpu_us"):
        best = data.get("best")
        return None if not best else best["ack_p99_ms" if name == "best_p99_ms" else "server_cpu_us_per_vote"]
    value = data.get(name)
    if isinstance(value, bool):
        return value
    return float(value) if isinstance(value, (int, float)) else value


def median_of(runs: list[dict], path: tuple[str, str]) -> float | None:
    """The median over the runs (a bool: whether all are true); None if no run has the measurement."""
    values = [value for run in runs if (value := value_of(run, path)) is not None]
    if not values:
        return None
    if all(isinstance(value, bool) for value in values):
        return all(values)
    return statistics.median(values)


def report(results: dict[str, list[dict]], args: argparse.Namespace) -> str:
    lines = [f"phones={args.phones} burst={args.burst or args.phones} repeat={args.repeat} "
             f"(medians over repetitions; ratio = real/raw)", ""]
    header = f"{'metric':38} {'real':>10} {'raw':>10} {'real/raw':>9}   per run (real | raw)"
    lines += [header, "-" * len(header)]
    for row in ROWS:
        real, raw = (median_of(results[kind], row.path) for kind in ("real", "raw"))
        ratio = (f"{real / raw:.2f}" if isinstance(real, float) and isinstance(raw, float) and raw
                 and math.isfinite(real) and math.isfinite(raw) else "")
        per_run = " | ".join(" ".join(_short(value_of(run, row.path), row.fmt, row.scale) for run in results[kind])
                             for kind in ("real", "raw"))
        lines.append(f"{row.label:38} {_cell(real, row):>10} {_cell(raw, row):>10} {ratio:>9}   {per_run}")
    lines += ["", "Targets (real server):"] + targets(results, args)
    return "\n".join(lines)


def _cell(median: float | None, row: Row) -> str:
    if median is None:
        return "-"
    if isinstance(median, bool):
        return "yes" if median else "NO"
    return row.fmt.format(median * row.scale)


def _short(value: float | None, fmt: str, factor: float) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "ok" if value else "NO"
    return fmt.format(value * factor)


def targets(results: dict[str, list[dict]], args: argparse.Namespace) -> list[str]:
    # Any: a missing median is None, and each check below tests for it before comparing
    real: dict[str, Any] = {row.label: median_of(results["real"], row.path) for row in ROWS}
    raw: dict[str, Any] = {row.label: median_of(results["raw"], row.path) for row in ROWS}
    burst = args.burst or args.phones
    out = []

    def line(text: str, ok: bool | None, applies: bool = True, note: str = "") -> None:
        verdict = "n/a" if not applies else ("met" if ok else "NOT met")
        out.append(f"  [{verdict:7}] {text}{'  (' + note + ')' if note and not applies else ''}")

    per_phone = real["RSS per phone, added (KiB)"]
    total = real["RSS per phone, total (KiB)"]
    line(f"10,000 phones held at <= 30 KiB each: {real['phones connected']:.0f} held, "
         f"{per_phone:.1f} KiB added / {total:.1f} KiB total per phone" if per_phone is not None else
         "10,000 phones held at <= 30 KiB each", per_phone is not None and per_phone <= 30
         and real["phones connected"] >= 10000, args.phones >= 10000, "needs --phones 10000")
    t = real["burst: time to last ack (s)"]
    line(f"burst of 5,000 all acknowledged within 1.5 s: {real['burst votes acknowledged']:.0f} of {burst} "
         f"in {t:.3f} s" if t is not None else "burst", t is not None and t <= 1.5
         and real["burst votes acknowledged"] == burst, burst >= 5000, "needs a burst of >= 5000")
    rate = real["sustained votes/s at ack p99<=limit"]
    top = ladder_for(args, args.phones)[-1]
    capped = f"; the ladder stops at {top} votes/s ({args.max_per_phone:g} per phone)" if rate and rate >= top else ""
    line(f">= 5,000 durable votes/s at ack p99 <= {args.p99_ms:g} ms: {rate or 0:.0f} votes/s{capped}",
         rate is not None and rate >= 5000)
    p99 = real["vote-to-console p99 (ms)"]
    line(f"vote-to-console p99 <= 300 ms: {p99:.1f} ms (paced wave)" if p99 is not None else "console",
         p99 is not None and p99 <= 300)
    for label in ("burst: time to last ack (s)", "burst: ack p99 (ms)"):
        a, b = real[label], raw[label]
        ratio = a / b if a is not None and b else None
        line(f"{label} within 1.5x of raw: {ratio:.2f}x" if ratio else label,
             ratio is not None and ratio <= 1.5)
    line("every acknowledged vote counted", bool(real["every acknowledged vote counted"]))
    return out


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), "0")
    import sqlite3

    import starlette
    import uvicorn
    import websockets
    return (f"{os.cpu_count()} CPUs ({cpu}), {int(mem) / 1024 / 1024:.1f} GiB; Python {sys.version.split()[0]}, "
            f"starlette {starlette.__version__}, uvicorn {uvicorn.__version__}, websockets "
            f"{websockets.__version__}, SQLite {sqlite3.sqlite_version}; "
            f"open files {resource.getrlimit(resource.RLIMIT_NOFILE)[0]}")


def summary(run: dict) -> str:
    """One line (two with --gc-probe) on a finished run, printed as the benchmark goes."""
    if "error" in run:
        return f"error: {run['error']}"
    c, b, s, w, r = run["connect"], run["burst"], run["sustained"], run["console"], run["reveal"]
    steps = " ".join(f"{step['rate']}:{step['ack_p99_ms']:.0f}ms" + ("" if step["pass"] else
                     f"(fail: sent {step['achieved_rate']:.0f}/s, {step['missing']} unacked, errors {step['errors']})")
                     for step in s["steps"])
    return (f"connect {c['connected']} in {c['wall_s']:.1f}s, {c['rss_per_phone_kib']:.1f} KiB/phone; "
            f"burst {b['acked']}/{b['votes']} last ack {b['time_to_last_ack_s']:.3f}s p99 {b['ack_p99_ms']:.0f}ms; "
            f"sustained [{steps}]; console p99 {w['console_p99_ms']:.0f}ms; reveal {r['time_to_all_s']:.3f}s; "
            f"verify {'ok' if run['verify']['ok'] else run['verify']}" + gc_summary(run))


def gc_summary(run: dict) -> str:
    phases = [(name, run[name]) for name in ("connect", "burst", "console", "reveal")]
    phases += [(f"{step['rate']}/s", step) for step in run["sustained"]["steps"]]
    if not any("gc_pause_s" in data for _, data in phases):
        return ""
    return "\n  GC pauses: " + ", ".join(
        f"{name} {data['gc_pause_s'] * 1e3:.0f} ms (max {data['gc_max_pause_ms']:.0f}, gens {data['gc_collections']})"
        for name, data in phases if "gc_pause_s" in data)
