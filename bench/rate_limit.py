"""Writes at a rate limit: tether's per-credential limiter against no limiter at all.

A Customcrm stand-in is limited to L requests per window (600 a minute in full
mode) and counts every request it is sent, and what it answered. The same
writes (``Contact`` creates through tether's sink path, one request each, many
in flight as asyncio tasks) run twice on it: through the client as tether
builds it from its settings (the limiter shared per credential), and as the
baseline with the limiter removed, which leaves only the per-request retries
honouring ``Retry-After`` (the 429 storm). The baseline is time-boxed: a storm
can take long to drain, and what it did until then is what it is measured on.

    .venv/bin/python bench/rate_limit.py            # 600/min, 3,000 writes: ~5 min
    .venv/bin/python bench/rate_limit.py --small    # 120/min as 10 per 5 s, 40 writes

The sustained rate counts the requests the stand-in accepted in whole windows
from the first request on (a sliding window lets a first burst of L through,
so the run's total over its span would overstate it); the peak is the most
accepted in any one window (never above L, the stand-in refuses the rest).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors import build_connector  # noqa: E402
from connectors.base.ratelimit import SlidingWindowLimiter  # noqa: E402
from connectors.customcrm import CustomcrmSettings  # noqa: E402
from connectors.errors import SyncError  # noqa: E402
from standins import CustomcrmStandIn  # noqa: E402


def say(*lines: str, flush: bool = True) -> None:
    """Print the figures as they come."""
    sys.stdout.write("".join(lines) + "\n")
    if flush:
        sys.stdout.flush()


class CountingCustomcrm(CustomcrmStandIn):
    """The stand-in, with every API request's arrival time and status recorded."""

    def _build_app(self) -> Any:
        inner = super()._build_app()
        self.seen: list[tuple[float, int]] = []
        seen = self.seen

        async def app(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http" or scope["path"].startswith("/_admin"):
                await inner(scope, receive, send)
                return
            arrived = time.monotonic()

            async def counting(message: Any) -> None:
                if message["type"] == "http.response.start":
                    seen.append((arrived, message["status"]))
                await send(message)

            await inner(scope, receive, counting)

        return app


@dataclass
class Run:
    """What one run did, as the stand-in saw it."""

    label: str
    window: float
    limit: int
    seconds: float = 0.0
    writes: int = 0
    done: int = 0
    failed: int = 0
    cut_short: int = 0
    seen: list[tuple[float, int]] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.seen)

    @property
    def throttled(self) -> int:
        return sum(1 for _, status in self.seen if status == 429)

    def accepted_times(self) -> list[float]:
        return sorted(t for t, status in self.seen if status != 429)

    def sustained_per_minute(self) -> float:
        """Accepted requests per minute over the whole windows from the first on."""
        times = self.accepted_times()
        if not times:
            return 0.0
        whole = int((times[-1] - times[0]) // self.window)
        if whole < 1:
            return len(times) / self.window * 60.0  # shorter than one window
        end = times[0] + whole * self.window
        inside = bisect.bisect_left(times, end)
        return inside / (whole * self.window) * 60.0

    def peak_in_a_window(self) -> int:
        times = self.accepted_times()
        counts = [
            bisect.bisect_left(times, t + self.window) - i for i, t in enumerate(times)
        ]
        return max(counts, default=0)

    def report(self) -> str:
        limit_per_minute = self.limit / self.window * 60.0
        share = self.throttled / self.requests if self.requests else 0.0
        rate = self.sustained_per_minute()
        return (
            f"{self.label}: {self.done}/{self.writes} writes done,"
            f" {self.failed} failed,"
            f" {self.cut_short} cut short by the time box, in {self.seconds:.1f}s\n"
            f"  requests at the stand-in: {self.requests}, 429s: {self.throttled}"
            f" ({share:.1%})\n"
            f"  sustained {rate:.0f} requests/min = {rate / limit_per_minute:.0%} of"
            f" the limit {limit_per_minute:.0f}/min; peak in one window"
            f" {self.peak_in_a_window()} (limit {self.limit})"
        )


async def write_all(
    standin: CountingCustomcrm,
    run: Run,
    *,
    limited: bool,
    in_flight: int,
    time_box: float | None,
) -> Run:
    """Create ``run.writes`` contacts, ``in_flight`` at a time, through the sink."""
    settings = CustomcrmSettings(
        base_url=standin.url,
        api_key=standin.connector_env()["CUSTOMCRM_API_KEY"],  # type: ignore[arg-type]
        rate_limit_per_minute=max(1, round(run.limit / run.window * 60.0)),
    )
    connector = build_connector("customcrm", settings)
    if not limited:
        connector.client.limiter = None
    elif run.window != 60.0:
        # The quick mode's short window: the settings speak per minute.
        connector.client.limiter = SlidingWindowLimiter(
            run.limit, run.window, margin=max(0.25, run.window / 60.0)
        )
    standin.set_faults(rate_limit=run.limit, rate_window_s=run.window)  # empty windows
    first = len(standin.seen)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(run.writes):
        queue.put_nowait(n)

    async def worker() -> None:
        while True:
            try:
                n = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                await connector.sink.create(
                    "Contact",
                    {"LastName": f"Bench {run.label} {n}"},
                    idempotency_key=f"bench-{run.label}-{n}",
                )
                run.done += 1
            except SyncError:
                run.failed += 1

    started = time.monotonic()
    async with connector:
        tasks = [asyncio.create_task(worker()) for _ in range(in_flight)]
        _, pending = await asyncio.wait(tasks, timeout=time_box)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    run.seconds = time.monotonic() - started
    run.cut_short = run.writes - run.done - run.failed
    run.seen = list(standin.seen[first:])
    return run


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--small", action="store_true", help="quick: 120/min, 40 writes"
    )
    parser.add_argument("--writes", type=int, help="writes per run")
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument(
        "--baseline-seconds", type=float, help="time box of the no-limiter baseline"
    )
    args = parser.parse_args(argv)
    # Each 429 retried is logged; the figures below say how many there were.
    logging.getLogger("connectors").setLevel(logging.ERROR)
    if args.small:
        limit, window, writes, box = 10, 5.0, 40, 30.0
    else:
        limit, window, writes, box = 600, 60.0, 3000, 150.0
    writes = args.writes or writes
    box = args.baseline_seconds or box
    os.environ.pop("CUSTOMCRM_RATE_LIMIT_PER_MINUTE", None)
    standin = CountingCustomcrm()
    standin.start()
    try:
        say(
            f"stand-in limit {limit} per {window:.0f}s"
            f" ({limit / window * 60:.0f}/min); {writes} writes,"
            f" {args.in_flight} in flight",
            flush=True,
        )
        tether = await write_all(
            standin,
            Run("tether", window, limit, writes=writes),
            limited=True,
            in_flight=args.in_flight,
            time_box=None,
        )
        say(tether.report(), flush=True)
        await asyncio.sleep(window + 1.0)  # the tether run's window empties
        baseline = await write_all(
            standin,
            Run("no-limiter", window, limit, writes=writes),
            limited=False,
            in_flight=args.in_flight,
            time_box=box,
        )
        say(baseline.report(), flush=True)
    finally:
        standin.stop()
    ratio = tether.sustained_per_minute() / max(baseline.sustained_per_minute(), 1e-9)
    share = tether.throttled / max(tether.requests, 1)
    base_share = baseline.throttled / max(baseline.requests, 1)
    say(
        f"ratio tether/no-limiter sustained rate: {ratio:.2f}x;"
        f" 429 share {share:.2%} vs {base_share:.1%};"
        f" failed writes {tether.failed} vs {baseline.failed}"
    )
    reached = tether.sustained_per_minute() / (limit / window * 60.0)
    met = "met" if reached >= 0.9 else "MISSED"
    say(
        f"targets: sustained >= 90% of the limit: {met}"
        f" ({reached:.0%}); 429s < 1%: {'met' if share < 0.01 else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
