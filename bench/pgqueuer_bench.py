#!/usr/bin/env python3
"""PgQueuer dequeue + ack throughput with a no-op job, as a peer of `leadline bench`.

Runs on the same PostgreSQL server as the Leadline benchmark, in a database of its own
(created if missing), so PgQueuer's tables never touch Leadline's. Enqueues --jobs jobs,
then runs --workers QueueManagers (one asyncpg connection each) for --seconds, each
dequeuing --batch jobs per round trip, and prints one `pgqueuer …` result line:
jobs/s over the whole run, and over its first and last 10 s.

Needs `pip install pgqueuer asyncpg`. Usage (what `scripts/bench.sh` runs):
    python3 bench/pgqueuer_bench.py --dsn "postgresql://postgres@/pgqueuer_bench?host=/tmp/x" \
        --workers 5 --batch 10 --seconds 60
"""

import argparse
import asyncio
import time
from datetime import timedelta

import asyncpg
from pgqueuer import QueueManager, Queries
from pgqueuer.db import AsyncpgDriver


async def ensure_database(dsn: str, name: str) -> None:
    admin = await asyncpg.connect(dsn.replace(f"/{name}", "/postgres", 1))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def prepare(dsn: str, jobs: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        q = Queries(AsyncpgDriver(conn))
        if await q.schema_is_installed():
            await q.uninstall()
        await q.install()
        chunk = 10_000
        left = jobs
        while left > 0:
            n = min(chunk, left)
            await q.enqueue(["noop"] * n, [None] * n, [0] * n)
            left -= n
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def worker(dsn: str, batch: int, stop_at: float, counter: list) -> None:
    conn = await asyncpg.connect(dsn)
    qm = QueueManager(Queries(AsyncpgDriver(conn)))

    @qm.entrypoint("noop")
    async def noop(job) -> None:  # the no-op job
        counter[0] += 1

    async def stopper() -> None:
        await asyncio.sleep(max(0.0, stop_at - time.monotonic()))
        qm.shutdown.set()

    stop = asyncio.create_task(stopper())
    try:
        await qm.run(batch_size=batch, dequeue_timeout=timedelta(seconds=1),
                     log_aggregation_interval=timedelta(0))
    finally:
        stop.cancel()
        await conn.close()


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dsn", required=True, help="asyncpg DSN of the benchmark database (created if missing)")
    p.add_argument("--workers", type=int, default=5)
    p.add_argument("--batch", type=int, default=10)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--jobs", type=int, default=1_000_000, help="jobs enqueued before the run")
    a = p.parse_args()
    name = a.dsn.split("?")[0].rsplit("/", 1)[1]
    await ensure_database(a.dsn, name)
    await prepare(a.dsn, a.jobs)
    counter = [0]
    start = time.monotonic()
    stop_at = start + a.seconds
    samples = []

    async def sampler() -> None:
        while time.monotonic() < stop_at:
            samples.append((time.monotonic() - start, counter[0]))
            await asyncio.sleep(1.0)

    sample_task = asyncio.create_task(sampler())
    await asyncio.gather(*(worker(a.dsn, a.batch, stop_at, counter) for _ in range(a.workers)))
    sample_task.cancel()
    elapsed = time.monotonic() - start
    samples.append((elapsed, counter[0]))

    def rate(t0: float, t1: float) -> float:
        first = min(samples, key=lambda s: abs(s[0] - t0))
        last = min(samples, key=lambda s: abs(s[0] - t1))
        return (last[1] - first[1]) / max(1e-9, last[0] - first[0])

    total = min(counter[0], a.jobs)
    print(f"pgqueuer workers={a.workers} batch={a.batch} seconds={elapsed:.1f} jobs={total} "
          f"rate={total / elapsed:.0f}/s first10={rate(0, 10):.0f}/s last10={rate(a.seconds - 10, a.seconds):.0f}/s",
          flush=True)
    if counter[0] >= a.jobs:
        print("pgqueuer warning: the queue ran dry before the end; raise --jobs", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
