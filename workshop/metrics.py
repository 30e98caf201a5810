"""What a process counts for an operator's Prometheus: one registry, filled by one-line hooks.

The counters live in this module's own registry (not prometheus_client's global one), so nothing is
exposed unless `workshop serve --metrics ADDRESS` serves it; figures that are states rather than
events (open sockets, send queues) are read when scraped, by a collector the web layer registers.
"""

import time

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)  # open descriptors, memory and CPU: what binds a hall first

VOTES_ACKED = Counter("workshop_votes_acked", "Votes acknowledged to a phone, each after its commit",
                      registry=REGISTRY)
BATCH_SIZE = Histogram("workshop_commit_batch_size", "Writes committed together in one transaction",
                       ["backend"], buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512), registry=REGISTRY)
COMMIT_SECONDS = Histogram("workshop_commit_seconds", "Time to run and commit one batch of writes", ["backend"],
                           buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
                           registry=REGISTRY)
BATCHES_REFUSED = Counter("workshop_commit_batches_refused", "Batches the database could not take (every "
                          "write in them answered 'unavailable')", ["backend"], registry=REGISTRY)
REFUSALS = Counter("workshop_refusals", "Typed refusals sent, by channel (http or socket) and code",
                   ["channel", "code"], registry=REGISTRY)
SLOW_SOCKETS = Counter("workshop_sockets_cut_off_slow", "Sockets closed because they fell a whole queue behind",
                       registry=REGISTRY)
BROKER_LAG = Histogram("workshop_broker_lag_seconds", "From another process publishing a change to this "
                       "process applying it", buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
                       registry=REGISTRY)


def committed(backend: str, size: int, started: float) -> None:
    """A batch of `size` writes committed; `started` is its time.perf_counter() before the BEGIN."""
    BATCH_SIZE.labels(backend).observe(size)
    COMMIT_SECONDS.labels(backend).observe(time.perf_counter() - started)


def broker_event(event: dict) -> None:
    """A change from another process applied here; its `sent` stamp (wall clock) gives the lag."""
    sent = event.get("sent")
    if isinstance(sent, int | float):
        BROKER_LAG.observe(max(0.0, time.time() - sent))
