"""Run a server module with diagnostics the load generator can switch on from outside.

    python -m bench.probe DIR -m workshop serve --port 0 ...

Writes into DIR:
  gc.tsv       every garbage collection: "monotonic_start<TAB>generation<TAB>seconds<TAB>collected"
               (time.monotonic is one clock across processes, so load.py attributes them to phases)
  objects.txt  on SIGUSR1: a census of the objects the collector tracks, by type
  profile.out  cProfile of the main thread (the event loop) from SIGRTMIN+1 to SIGRTMIN+2 (repeatable;
               Python runs a signal's handler once however often it arrived, so the sender pauses
               between signals)
On SIGUSR2 it runs gc.collect() and gc.freeze() (an experiment: what freezing after the joins buys).
With BENCH_FREEZE_EVERY=SECONDS in its environment it calls gc.freeze() that often from a thread of its
own (an experiment: what freezing while votes flow buys).
The server itself is not changed; signals it does not use are taken for these.
"""

import cProfile
import gc
import os
import runpy
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

PROFILE_START = signal.SIGRTMIN + 1
PROFILE_STOP = signal.SIGRTMIN + 2


def main() -> None:
    out, flag, module, *argv = sys.argv[1:]
    if flag != "-m":
        raise SystemExit("usage: python -m bench.probe DIR -m MODULE [ARGS...]")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    log = open(folder / "gc.tsv", "w", buffering=1 << 16)  # noqa: SIM115 -- written until the process exits
    started = [0.0]
    profile = cProfile.Profile()
    profiling = [False]

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.monotonic()
        else:
            log.write(f"{started[0]:.6f}\t{info['generation']}\t{time.monotonic() - started[0]:.6f}\t"
                      f"{info['collected']}\n")

    def census(signum: int, frame: object) -> None:
        counts = Counter(type(item).__qualname__ for item in gc.get_objects())
        with open(folder / "objects.txt", "a") as census_log:
            census_log.write(f"# {time.monotonic():.6f} tracked {sum(counts.values())} "
                             f"frozen {gc.get_freeze_count()}\n")
            for name, count in counts.most_common(25):
                census_log.write(f"{count}\t{name}\n")

    def freeze(signum: int, frame: object) -> None:
        gc.collect()
        gc.freeze()

    def start_profile(signum: int, frame: object) -> None:
        if not profiling[0]:
            profile.enable()
            profiling[0] = True

    def stop_profile(signum: int, frame: object) -> None:
        # One profile, accumulated over every window; written out at the end of each window.
        if profiling[0]:
            profile.disable()
            profiling[0] = False
            profile.dump_stats(folder / "profile.out")

    signal.signal(signal.SIGUSR1, census)
    signal.signal(signal.SIGUSR2, freeze)
    signal.signal(PROFILE_START, start_profile)
    signal.signal(PROFILE_STOP, stop_profile)
    gc.callbacks.append(on_gc)
    every = float(os.environ.get("BENCH_FREEZE_EVERY", "0"))
    if every > 0:
        def keep_freezing() -> None:
            while True:
                time.sleep(every)
                gc.freeze()

        threading.Thread(target=keep_freezing, name="bench-freeze", daemon=True).start()
    sys.argv = [module, *argv]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        gc.callbacks.remove(on_gc)
        log.close()


if __name__ == "__main__":
    main()
