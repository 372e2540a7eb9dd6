"""A burst of run-progress events to one group: RedisChannelLayer (the default) vs RedisPubSubChannelLayer.

Why: the scheduler process publishes every progress step of a scrape to the user's group and the web
process forwards it to the browser. The default layer keeps a per-channel list capped at ``capacity``
(100) and silently drops group messages beyond it; the pub/sub layer has no such list. This measures
how many of a burst arrive and how late, side by side, with the settings' layer options.

    .venv/bin/python benchmarks/bench_channel_layer.py [--events 1000] [--rounds 3] [--redis redis://127.0.0.1:6379/0]

Needs Redis (``make bench`` starts it). The sender runs in a process of its own, as the scheduler does;
latency = receive time - send time on the machine's monotonic clock, shared by both processes.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from dataclasses import dataclass

from channels_redis.core import RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer

# A realistic payload: the shape of ScrapeRun.as_event() mid-extraction.
RUN_EVENT = {
    "id": 4711,
    "trigger": "scheduled",
    "scheduled_for": "2026-11-29T14:00:00+00:00",
    "status": "running",
    "phase": "extraction",
    "phase_label": "Reading work orders",
    "page": 3,
    "page_count": 12,
    "rows_found": 150,
    "counts": {"found": 0, "created": 0, "updated": 0, "unchanged": 0, "delisted": 0, "failed": 0},
    "queued_at": "2026-11-29T14:00:00.120000+00:00",
    "started_at": "2026-11-29T14:00:00.480000+00:00",
    "finished_at": None,
    "duration_seconds": None,
    "error_code": "",
    "error_message": "",
}
# The receiver stops once nothing has arrived for this long after the last send.
IDLE_SECONDS = 2.0


@dataclass
class Result:
    layer: str
    sent: int
    delivered: int
    p50_ms: float
    p99_ms: float
    seconds: float

    @property
    def lost_pct(self) -> float:
        return 100.0 * (self.sent - self.delivered) / self.sent


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def make_layer(kind: str, redis_url: str, prefix: str):
    # The same host options as config/settings.py gives the pub/sub layer (socket_timeout: channels_redis#422).
    host = {"address": redis_url, "socket_timeout": None}
    cls = RedisChannelLayer if kind == "default" else RedisPubSubChannelLayer
    return cls(hosts=[host], prefix=prefix)


async def close_layer(layer) -> None:
    close = getattr(layer, "close_pools", None) or getattr(layer, "flush", None)
    if close:
        await close()


def send_burst(kind: str, redis_url: str, prefix: str, group: str, events: int) -> None:
    """The scheduler's side, in a process of its own: publish ``events`` messages as fast as it can."""

    async def send() -> None:
        layer = make_layer(kind, redis_url, prefix)
        for seq in range(events):
            message = {"type": "run.progress", "seq": seq, "sent_at": time.monotonic(), "run": RUN_EVENT}
            await layer.group_send(group, message)
        await close_layer(layer)

    asyncio.run(send())


async def burst(kind: str, redis_url: str, events: int) -> Result:
    """The web process's side: one consumer channel in the group, receiving until the burst is over."""
    prefix = f"bench-{os.getpid()}"
    layer = make_layer(kind, redis_url, prefix)
    group = f"progress.bench.{uuid.uuid4().hex[:8]}"
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    latencies: list[float] = []
    sender = multiprocessing.get_context("spawn").Process(
        target=send_burst, args=(kind, redis_url, prefix, group, events)
    )

    async def receive() -> None:
        while len(latencies) < events:
            try:
                message = await asyncio.wait_for(layer.receive(channel), IDLE_SECONDS)
            except TimeoutError:
                if not sender.is_alive():
                    return
                continue
            # CLOCK_MONOTONIC is one clock for every process on the machine.
            latencies.append(time.monotonic() - message["sent_at"])

    receiver = asyncio.create_task(receive())
    started = time.monotonic()
    sender.start()
    await asyncio.to_thread(sender.join)
    await receiver
    elapsed = time.monotonic() - started
    await layer.group_discard(group, channel)
    await close_layer(layer)
    if sender.exitcode != 0:
        raise RuntimeError(f"the sender process failed with exit code {sender.exitcode}")
    ms = [s * 1000 for s in latencies]
    return Result(LAYER_NAMES[kind], events, len(ms), percentile(ms, 50), percentile(ms, 99), elapsed)


LAYER_NAMES = {"default": "RedisChannelLayer (default)", "pubsub": "RedisPubSubChannelLayer"}


async def main(events: int, rounds: int, redis_url: str) -> int:
    results: dict[str, list[Result]] = {name: [] for name in LAYER_NAMES.values()}
    for _ in range(rounds):
        for kind, name in LAYER_NAMES.items():
            results[name].append(await burst(kind, redis_url, events))

    print(f"{events}-event burst to one group from another process, {rounds} round(s), Redis at {redis_url}")
    print(f"(wall s includes the receiver's {IDLE_SECONDS:.0f} s idle wait when events were lost)")
    print(f"{'layer':<30} {'round':>5} {'delivered':>10} {'lost %':>7} {'p50 ms':>8} {'p99 ms':>8} {'wall s':>7}")
    for name, rows in results.items():
        for i, r in enumerate(rows, 1):
            print(
                f"{name:<30} {i:>5} {r.delivered:>10} {r.lost_pct:>7.1f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} "
                f"{r.seconds:>7.2f}"
            )

    def median(name: str, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in results[name])

    default, pubsub = LAYER_NAMES.values()
    print()
    got_default, got_pubsub = median(default, "delivered"), median(pubsub, "delivered")
    print(f"median delivered: default {got_default:.0f}/{events}, pubsub {got_pubsub:.0f}/{events}")
    d50, p50 = median(default, "p50_ms"), median(pubsub, "p50_ms")
    d99, p99 = median(default, "p99_ms"), median(pubsub, "p99_ms")
    print(f"median p50: default {d50:.2f} ms, pubsub {p50:.2f} ms (default/pubsub = {d50 / p50:.1f}x)")
    print(f"median p99: default {d99:.2f} ms, pubsub {p99:.2f} ms (default/pubsub = {d99 / p99:.1f}x)")
    delivered_ratio = got_pubsub / max(1.0, got_default)
    print(f"delivered ratio pubsub/default = {delivered_ratio:.2f}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.events, args.rounds, args.redis)))
