"""Meeting-hall load benchmark: N simulated phones against the real server and a raw baseline.

    python -m bench.load --phones 1000 --repeat 3                      # the default, about 75 s
    python -m bench.load --phones 5000 --repeat 2 --json /tmp/bench.json
    python -m bench.load --phones 10000 --burst 5000 --repeat 1

Diagnosis (the servers run under bench.probe; nothing in them changes):
    --gc-probe      garbage-collector pauses per phase, and a census of tracked objects by type
    --gc-freeze     experiment: both servers call gc.freeze() once the phones have joined
    --profile PATH  cProfile of the real server's event loop during --profile-phases only

Each repetition starts both servers in turn as subprocesses on a free loopback port (the order
alternates: real/raw, raw/real, ...) and runs the same phases against each:

  connect    N phones open /ws/CODE, send `join` and wait for `welcome`; server RSS before and after.
  burst      every phone votes at once; all must be acknowledged; time from the first send to the
             last ack, ack latency p50/p99, and vote-to-console latency under that burst.
  sustained  votes at a target rate (phones in turn, fresh message ids), stepping the rate up; the
             highest rate whose every vote is acknowledged with ack p99 <= --p99-ms.
  console    a new round; every phone votes once, paced; vote-to-console latency p50/p99: from
             sending a vote to the first console snapshot whose `voted` count includes it.
  reveal     the console sends `reveal`; time until every phone has a `state` showing it revealed.
  verify     the stored results of every round (the server's own results endpoint) must count exactly
             the distinct acknowledged voters, with the last acknowledged value of each.

The report gives medians over the repetitions for both servers and the ratio real/raw.
"""

import argparse
import asyncio
import gc
import json
import math
import resource
import secrets
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .load_clients import QID, VALUES, Console, Fleet, clock, console_latencies, ladder_for
from .load_report import machine, report, summary
from .load_server import PROFILE_START, PROFILE_STOP, Meter, Server

FIRST_RATE = 2000  # where the first repetition starts on the ladder; later ones start below the best


def pct(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


# ---------------------------------------------------------------------------------------------
# one run against one server: its phases in order


@dataclass
class Run:
    """One server under test with its phones and console, and the options of the benchmark."""

    server: Server
    args: argparse.Namespace
    profiling: bool  # cProfile the server's event loop during --profile-phases
    fleet: Fleet = field(default_factory=Fleet)
    console: Console = field(default_factory=Console)

    async def profile(self, phase: str, on: bool) -> None:
        if self.profiling and phase in self.args.profile_phases:
            self.server.signal(PROFILE_START if on else PROFILE_STOP)
            await asyncio.sleep(0.05)  # a signal sent twice before its handler runs is handled once


async def run_server(kind: str, args: argparse.Namespace, start_rate: int | None) -> dict:
    """Every phase against one freshly started server. A failing phase ends the run: the result keeps the
    phases done so far, the error and the tail of the server's log."""
    key = "bench-" + secrets.token_urlsafe(12)
    profiling = bool(args.profile) and kind == "real"
    server = Server(kind, key, args.gc_probe or args.gc_freeze or profiling, args.server_nofile)
    run = Run(server, args, profiling)
    result: dict = {"server": kind, "phones": args.phones}
    try:
        await open_question(run)
        await run_phases(run, result, start_rate)
    except Exception as error:
        result["error"] = repr(error)
        result["server_log"] = server.tail()
        print(f"  {kind}: run failed: {error!r}\n{server.tail()}", file=sys.stderr)
    finally:
        await tear_down(run, result)
    return result


async def run_phases(run: Run, result: dict, start_rate: int | None) -> None:
    """The phases in order, each adding its section to `result` as it ends."""
    result["connect"] = await connect_phones(run)
    if not run.fleet.phones:
        raise RuntimeError("no phone could join")
    await freeze_collectors(run)
    result["burst"] = await vote_in_burst(run)
    result["sustained"] = await find_sustained_rate(run, start_rate)
    result["console"] = await measure_console_latency(run)
    result["reveal"] = await reveal_to_phones(run)
    result["verify"] = await verify_stored_votes(run)
    await run.server.census("at the end")
    result["rss_end_kib"] = run.server.rss_kib()
    result["rss_peak_kib"] = run.server.rss_kib("VmHWM")
    result["client_closed"] = run.fleet.closed


async def open_question(run: Run) -> None:
    """Start the server, create a session, and have the console open the question the phones vote on."""
    server, console = run.server, run.console
    await server.start()
    await server.create_session()
    await console.open(server.control_url, server.key)
    if server.kind == "real":
        step = next(step["index"] for step in console.first["steps"] if step.get("category") == "arrival")
        await console.command("goto", step=step)
    await console.command("open", question=QID)
    await asyncio.sleep(0.3)


async def connect_phones(run: Run) -> dict:
    """Connect: every phone joins and waits for its welcome; the server's RSS before and after."""
    server, fleet, args = run.server, run.fleet, run.args
    rss_before = server.rss_kib()
    meter = Meter(server)
    semaphore = asyncio.Semaphore(args.connect_concurrency)
    joined = await asyncio.gather(
        *(fleet.join(server.phone_url, i, semaphore, args.phones_per_address, args.timeout)
          for i in range(args.phones)),
        return_exceptions=True)
    failures = [outcome for outcome in joined if isinstance(outcome, BaseException)]
    fleet.phones.sort(key=lambda phone: phone.index)
    connect = meter.read()
    await asyncio.sleep(args.settle)
    rss_after = server.rss_kib()
    await server.census("after connect")
    if failures:
        print(f"  {server.kind}: {len(failures)} phones failed to join, e.g. {failures[0]!r}", file=sys.stderr)
    connected = max(1, len(fleet.phones))
    return {
        **connect, "connected": len(fleet.phones), "failed": len(failures),
        "failure_sample": repr(failures[0])[:300] if failures else None,
        "rss_before_kib": rss_before, "rss_after_kib": rss_after,
        "rss_per_phone_kib": (rss_after - rss_before) / connected,
        "rss_total_per_phone_kib": rss_after / connected,
    }


async def freeze_collectors(run: Run) -> None:
    """Between connecting and voting: keep the collectors from walking every phone mid-phase."""
    if run.args.gc_freeze:  # the experiment: the servers freeze what they hold once the phones have joined
        run.server.signal(signal.SIGUSR2)
        await asyncio.sleep(1.0)
    # The load generator's own collector would otherwise walk its thousands of phones in the
    # middle of a phase (once seen taking 0.8 s of its CPU in a 10,000-phone burst).
    gc.collect()
    gc.freeze()


async def vote_in_burst(run: Run) -> dict:
    """Burst: every phone (or --burst of them) votes at once; all must be acknowledged."""
    fleet, args = run.fleet, run.args
    phones = fleet.phones[:args.burst] if args.burst else fleet.phones
    ack_log: list[tuple[float, float, int]] = []
    fleet.latencies, fleet.ack_log, fleet.errors = [], ack_log, Counter()
    await run.profile("burst", True)
    meter = Meter(run.server)
    start = clock()
    for i, phone in enumerate(phones):
        await fleet.vote(phone, VALUES[phone.index % len(VALUES)], "b")
        if i % 50 == 49:
            await asyncio.sleep(0)  # let acks in while sending, as independent phones would
    complete = await fleet.wait_drained(args.timeout)
    last_ack = max((acked for _, acked, _ in ack_log), default=math.nan)
    cpu = meter.read()
    await run.profile("burst", False)
    await run.console.caught_up(1, len(fleet.acked.get(1, {})), args.timeout)
    lat = fleet.latencies
    console_lat = console_latencies(ack_log, run.console.snapshots, 1)
    burst = {
        **cpu, "votes": len(phones), "acked": len(lat), "complete": complete,
        "errors": dict(fleet.errors), "time_to_last_ack_s": last_ack - start,
        "ack_p50_ms": pct(lat, 0.5) * 1e3, "ack_p99_ms": pct(lat, 0.99) * 1e3,
        "ack_max_ms": max(lat, default=math.nan) * 1e3,
        "console_p50_ms": pct(console_lat, 0.5) * 1e3, "console_p99_ms": pct(console_lat, 0.99) * 1e3,
        "console_unseen": sum(1 for latency in console_lat if latency == math.inf),
    }
    fleet.ack_log = None
    fleet.reset()
    return burst


async def find_sustained_rate(run: Run, start_rate: int | None) -> dict:
    """Sustained: step the rate up the ladder; the best rate whose ack p99 stays at or under --p99-ms."""
    await run.profile("sustained", True)
    ladder = ladder_for(run.args, len(run.fleet.phones))
    first = start_rate or FIRST_RATE
    index = ladder.index(first) if first in ladder else 0
    steps: list[dict] = []
    tried: dict[int, bool] = {}
    position = 0
    while 0 <= index < len(ladder) and ladder[index] not in tried:
        rate = ladder[index]
        step = await sustain_rate(run, rate, position)
        position = step.pop("position")
        steps.append(step)
        tried[rate] = step["pass"]
        if step["pass"]:
            index += 1
        elif not any(tried.values()):
            index -= 1  # the starting rate failed: walk down until one passes
        else:
            break
        await asyncio.sleep(0.2)
    passed = [step for step in steps if step["pass"]]
    best = max(passed, key=lambda step: step["rate"]) if passed else None
    await run.profile("sustained", False)
    return {"best_rate": best["rate"] if best else 0, "best": best, "steps": steps}


async def sustain_rate(run: Run, rate: int, position: int) -> dict:
    """One step of the ladder: phones in turn send `rate` votes/s for --step-seconds (from `position`)."""
    fleet, args = run.fleet, run.args
    phones = fleet.phones
    fleet.latencies, fleet.errors = [], Counter()
    meter = Meter(run.server)
    start = clock()
    sent = 0
    while True:
        elapsed = clock() - start
        if elapsed >= args.step_seconds:
            break
        due = int(rate * elapsed) - sent
        for _ in range(due):
            phone = phones[position % len(phones)]
            position += 1
            await fleet.vote(phone, VALUES[(position // len(phones) + phone.index) % len(VALUES)], "s")
        sent += max(0, due)
        await asyncio.sleep(0.004)
    send_time = clock() - start
    drained = await fleet.wait_drained(args.timeout)
    cpu = meter.read()
    lat = list(fleet.latencies)
    missing = len(fleet.sent)
    errors = dict(fleet.errors)
    fleet.reset()
    p99 = pct(lat + [math.inf] * missing, 0.99) * 1e3 if lat or missing else math.nan
    achieved = sent / send_time
    ok = (drained and not errors and missing == 0 and p99 <= args.p99_ms and achieved >= 0.95 * rate)
    server_cpu = cpu["server_loop_cpu_s"] + cpu["server_other_cpu_s"]
    return {"rate": rate, "sent": sent, "achieved_rate": achieved, "acked": len(lat), "missing": missing,
            "errors": errors, "ack_p50_ms": pct(lat, 0.5) * 1e3, "ack_p99_ms": p99,
            "pass": ok, **cpu, "server_cpu_us_per_vote": server_cpu / max(1, sent) * 1e6,
            "position": position}


async def measure_console_latency(run: Run) -> dict:
    """Console: a new round; every phone votes once at a steady pace; vote-to-console latency."""
    fleet, console, args = run.fleet, run.console, run.args
    await console.command("new_round", question=QID)
    await asyncio.sleep(0.3)
    rate = args.wave_rate or max(1000, len(fleet.phones) / 3)
    ack_log: list[tuple[float, float, int]] = []
    fleet.latencies, fleet.ack_log, fleet.errors = [], ack_log, Counter()
    await run.profile("console", True)
    meter = Meter(run.server)
    start = clock()
    await vote_paced(fleet, rate, start)
    complete = await fleet.wait_drained(args.timeout)
    await console.caught_up(2, len(fleet.acked.get(2, {})), args.timeout)
    cpu = meter.read()
    await run.profile("console", False)
    lat = fleet.latencies
    console_lat = console_latencies(ack_log, console.snapshots, 2)
    wave = {
        **cpu, "votes": len(fleet.phones), "rate": rate, "acked": len(lat),
        "complete": complete, "errors": dict(fleet.errors),
        "ack_p50_ms": pct(lat, 0.5) * 1e3, "ack_p99_ms": pct(lat, 0.99) * 1e3,
        "console_p50_ms": pct(console_lat, 0.5) * 1e3, "console_p99_ms": pct(console_lat, 0.99) * 1e3,
        "console_unseen": sum(1 for latency in console_lat if latency == math.inf),
        "snapshots_per_s": sum(1 for t, r, _ in console.snapshots if r == 2 and t >= start) / (clock() - start),
    }
    fleet.ack_log = None
    fleet.reset()
    return wave


async def vote_paced(fleet: Fleet, rate: float, start: float) -> None:
    """Every phone votes once, in order, `rate` votes/s from `start`."""
    sent = 0
    while sent < len(fleet.phones):
        due = min(len(fleet.phones), int((clock() - start) * rate) + 1)
        for phone in fleet.phones[sent:due]:
            await fleet.vote(phone, VALUES[(phone.index + 2) % len(VALUES)], "w")
        sent = max(sent, due)
        await asyncio.sleep(0.004)


async def reveal_to_phones(run: Run) -> dict:
    """Reveal: the console reveals the question; time until every phone has a `state` showing it."""
    fleet = run.fleet
    await run.profile("reveal", True)
    meter = Meter(run.server)
    start = clock()
    await run.console.command("reveal", question=QID)
    acked = clock()
    try:
        await asyncio.wait_for(fleet.all_revealed.wait(), run.args.timeout)
    except TimeoutError:
        pass
    cpu = meter.read()
    await run.profile("reveal", False)
    times = [phone.revealed_at - start for phone in fleet.phones if phone.revealed_at is not None]
    everyone = len(times) == len(fleet.phones)
    return {
        **cpu, "reached": len(times), "of": len(fleet.phones), "command_ack_s": acked - start,
        "time_to_all_s": max(times, default=math.nan) if everyone else math.inf, "p50_s": pct(times, 0.5),
    }


async def verify_stored_votes(run: Run) -> dict:
    """Verify: the stored results count exactly the acknowledged voters, each with its last value."""
    await run.fleet.wait_drained(2)
    stored = await run.server.stored_rounds(QID)
    checks = {}
    for round_, votes in sorted(run.fleet.acked.items()):
        expected = Counter(str(value) for value in votes.values())
        found = stored.get(round_, Counter())
        checks[round_] = {"acknowledged_voters": len(votes), "stored": sum(found.values()),
                          "same_values": +expected == +found}
    ok = bool(checks) and all(check["acknowledged_voters"] == check["stored"] and check["same_values"]
                              for check in checks.values())
    return {"rounds": checks, "dropped": run.fleet.closed, "ok": ok}


async def tear_down(run: Run, result: dict) -> None:
    """Drop every socket, stop the server, and add what its probe logged (GC pauses, censuses, profile)."""
    server, args = run.server, run.args
    run.fleet.abort()
    run.console.abort()
    for phone in run.fleet.phones:
        if phone.task:
            phone.task.cancel()
    await asyncio.sleep(0.1)
    await server.stop()
    attribute_gc(result, server.gc_pauses())
    if run.profiling and server.copy_profile(args.profile):
        print(f"  real server profile ({', '.join(args.profile_phases)}) written to {args.profile}", flush=True)
    if server.censuses:
        result["census"] = server.censuses
    server.cleanup()


def attribute_gc(result: dict, pauses: list[tuple[float, int, float, int]]) -> None:
    """Add the collector's pauses inside each phase's window (run with --gc-probe) to that phase."""
    sections = [result.get(name) for name in ("connect", "burst", "console", "reveal")]
    sections += result.get("sustained", {}).get("steps", [])
    for section in sections:
        if not section or "window" not in section:
            continue
        start, end = section.pop("window")
        inside = [(generation, seconds, collected) for t, generation, seconds, collected in pauses
                  if start <= t <= end]
        if pauses:
            section["gc_pause_s"] = sum(seconds for _, seconds, _ in inside)
            section["gc_max_pause_ms"] = max((seconds for _, seconds, _ in inside), default=0.0) * 1e3
            section["gc_collections"] = dict(Counter(generation for generation, _, _ in inside))
            section["gc_full"] = [(round(seconds * 1e3, 1), collected) for generation, seconds, collected in inside
                                  if generation == 2]


# ---------------------------------------------------------------------------------------------
# the repetitions


def start_rate_for(args: argparse.Namespace, best: int | None) -> int | None:
    """Where a server's sustained ladder starts: --start-rate, else one step below its best so far."""
    if args.start_rate:
        return args.start_rate
    if not best:
        return None
    ladder = ladder_for(args, args.phones)
    return ladder[max(0, ladder.index(best) - 1)] if best in ladder else None


async def main(args: argparse.Namespace) -> int:
    task = asyncio.current_task()
    assert task is not None
    for signum in (signal.SIGTERM, signal.SIGHUP):  # stopped from outside: still stop the servers
        asyncio.get_running_loop().add_signal_handler(signum, task.cancel)
    order = ("real", "raw")
    results: dict[str, list[dict]] = {"real": [], "raw": []}
    best: dict[str, int | None] = {"real": None, "raw": None}
    print(time.strftime("%Y-%m-%d %H:%M:%S %Z"), "|", machine(), flush=True)
    print("command: python -m bench.load " + " ".join(sys.argv[1:]), flush=True)
    started = clock()
    for repetition in range(args.repeat):
        for kind in (order if repetition % 2 == 0 else order[::-1]):
            if kind not in args.servers:
                continue
            print(f"repetition {repetition + 1}/{args.repeat}: {kind} ...", flush=True)
            run = await run_server(kind, args, start_rate_for(args, best[kind]))
            results[kind].append(run)
            best[kind] = run.get("sustained", {}).get("best_rate") or best[kind]
            print("  " + summary(run), flush=True)
    print(f"\nfinished in {clock() - started:.0f} s\n")
    text = report(results, args)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps({"when": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": machine(),
                                               "args": vars(args), "results": results},
                                              indent=1, default=str))
    return 0 if all("error" not in run for runs in results.values() for run in runs) else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=1000, help="simulated phones (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions, alternating real/raw (default 3)")
    parser.add_argument("--burst", type=int, default=0, help="phones voting in the burst (default: all)")
    parser.add_argument("--servers", nargs="+", default=["real", "raw"], choices=["real", "raw"])
    parser.add_argument("--p99-ms", type=float, default=50.0, help="ack p99 limit of the sustained rate (50)")
    parser.add_argument("--step-seconds", type=float, default=2.0, help="length of each sustained step (2.0)")
    parser.add_argument("--start-rate", type=int, default=0, help="first sustained rate (default: ladder start)")
    parser.add_argument("--max-rate", type=int, default=20000, help="highest sustained rate tried")
    parser.add_argument("--max-per-phone", type=float, default=8.0,
                        help="highest sustained votes/s asked of one phone (default 8; the server allows 10)")
    parser.add_argument("--wave-rate", type=float, default=0, help="votes/s of the console-latency wave "
                        "(default max(1000, phones/3))")
    parser.add_argument("--phones-per-address", type=int, default=100,
                        help="phones sharing one source address in 127.1.0.0/16 (0: all from 127.0.0.1)")
    parser.add_argument("--server-nofile", type=int, default=0,
                        help="start the servers with this soft open-file limit (default: inherit the load "
                        "generator's, raised to the hard limit), to check that a server raises its own")
    parser.add_argument("--connect-concurrency", type=int, default=200, help="phones connecting at a time")
    parser.add_argument("--settle", type=float, default=1.0, help="pause after connecting before RSS (s)")
    parser.add_argument("--timeout", type=float, default=20.0, help="limit of each wait (s)")
    parser.add_argument("--profile", help="cProfile the real server's event loop during --profile-phases, "
                        "writing the stats to this file (use with --repeat 1)")
    parser.add_argument("--profile-phases", nargs="+", default=["burst", "sustained", "console", "reveal"],
                        choices=["burst", "sustained", "console", "reveal"])
    parser.add_argument("--json", help="write every measurement to this file")
    parser.add_argument("--gc-probe", action="store_true",
                        help="run the servers under bench.probe and report garbage-collector pauses per phase")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="experiment (implies --gc-probe): have both servers gc.freeze() once the phones "
                        "have joined")
    return parser.parse_args(argv)


if __name__ == "__main__":
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # one descriptor per phone; servers inherit it
    try:
        sys.exit(asyncio.run(main(parse_args())))
    except (KeyboardInterrupt, asyncio.CancelledError):
        sys.exit(130)
