"""The chaos scenario driver: stand-ins, workers, the storm, faults, convergence."""

from __future__ import annotations

import asyncio
import random
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from devkit.broker import EmbeddedBroker
from devkit.local import LocalDeployment
from standins import FaultConfig
from tests.integration.chaos import kafka_ops
from tests.integration.chaos.checks import Checker
from tests.integration.chaos.diagnose import diagnosis
from tests.integration.chaos.figures import Figures, PhaseFigures
from tests.integration.chaos.invariants import DeployedTopics, Verdict
from tests.integration.chaos.model import KINDS, Expected
from tests.integration.chaos.observe import ObservedCustomcrm, ObservedWebcrm
from tests.integration.chaos.seeding import seed_world
from tests.integration.chaos.storm import Storm

# Credentials no log line, error or dead letter may ever show.
WEBCRM_CODE = "chaos-webcrm-authcode-5b1f0e9c7a3d4c21"
CUSTOMCRM_KEY = "chaos-customcrm-key-0d8e4f6a2b9c7e13"
WORKER_ENV = {
    "TETHER_REFERENCE_WAIT_SECONDS": "30",
    # The stand-ins throttle (and inject 429s) themselves; the real Webcrm
    # limit of 250/min would only make the run slow.
    "WEBCRM_RATE_LIMIT_PER_MINUTE": "100000",
    "WEBCRM_TIMEOUT": "3",
    "CUSTOMCRM_TIMEOUT": "3",
}


@dataclass(frozen=True)
class Profile:
    """How big and how long a run is."""

    name: str
    organisations: int
    persons: int
    products: int
    phase_edits: int  # edits in each storm phase
    kills: int  # SIGKILLs during the kill storm (one more hits the initial sync)
    conflicts_per_kill: int
    converge_timeout: float
    seed: int = 20241105


DEFAULT = Profile("default", 30, 90, 15, 60, 4, 2, 300.0)
SOAK = Profile("soak", 50, 200, 30, 300, 12, 5, 900.0)


def http_faults(seed: int, *, rate_limit: int, window: float) -> FaultConfig:
    """10 % 5xx, 2 % hangs past the client timeout, 5 % lost write answers, 429s."""
    return FaultConfig(
        error_rate=0.10,
        error_status=500,
        timeout_rate=0.02,
        hang_seconds=4.0,
        lost_response_rate=0.05,
        rate_limit=rate_limit,
        rate_window_s=window,
        seed=seed,
    )


class ChaosRun:
    """One deployment of the Webcrm <-> Customcrm flows under deliberate faults."""

    def __init__(
        self,
        bootstrap: str,
        broker: EmbeddedBroker | None,
        home: Path,
        profile: Profile,
    ) -> None:
        self.profile = profile
        self.broker = broker
        self.rng = random.Random(profile.seed)
        self.webcrm = ObservedWebcrm(auth_code=WEBCRM_CODE)
        self.customcrm = ObservedCustomcrm(api_key=CUSTOMCRM_KEY)
        self.local = LocalDeployment(
            bootstrap=bootstrap,
            app_id=f"chaos-{uuid.uuid4().hex[:8]}",
            home=home,
            standins={"webcrm": self.webcrm, "customcrm": self.customcrm},
            flows="webcrm-customcrm",
            poll_interval=1.0,
            extra_env=dict(WORKER_ENV),
        )
        self.expected = Expected()
        self.storm = Storm(self.rng, self.webcrm, self.customcrm, self.expected)
        self.checker = Checker(
            self.webcrm,
            self.customcrm,
            DeployedTopics(self.local),
            self.expected,
            self.storm,
        )
        self.figures = Figures(profile.name)
        self._phase = ("", time.time())
        self.broken = ""
        self.problems: list[str] = []

    # -- set-up ----------------------------------------------------------------

    def open(self) -> None:
        self.webcrm.start()
        self.customcrm.start()

    def close(self) -> None:
        self.local.stop()
        self.collect_faults()
        for standin in (self.webcrm, self.customcrm):
            standin.calls.dump(self.local.home / f"requests-{standin.system}.log")
        self.webcrm.stop()
        self.customcrm.stop()

    def seed(self) -> None:
        """The sample data, part of it already in Customcrm, and five bad inputs."""
        p = self.profile
        sizes = (p.organisations, p.persons, p.products)
        self.figures.entities = seed_world(
            self.webcrm, self.customcrm, self.expected, sizes=sizes, seed=p.seed
        )
        self.figures.bad_inputs = len(self.expected.bad_inputs)

    def http_faults(self, on: bool) -> None:
        """Turn the stand-ins' fault knobs on (seeded) or back to none."""
        if on:
            self.webcrm.set_faults(
                **http_faults(self.profile.seed, rate_limit=40, window=2.0).model_dump()
            )
            self.customcrm.set_faults(
                **http_faults(
                    self.profile.seed + 1, rate_limit=25, window=1.0
                ).model_dump()
            )
        else:
            self.webcrm.set_faults(**FaultConfig().model_dump())
            self.customcrm.set_faults(**FaultConfig().model_dump())

    def collect_faults(self) -> None:
        """Set the figures' fault counts to what the stand-ins answered so far
        (called more than once: at the closing figures' test, and at the end)."""
        self.figures.faults_injected = Counter(
            {
                f"{standin.system} {kind}": count
                for standin in (self.webcrm, self.customcrm)
                for kind, count in standin.calls.faults.items()
            }
        )

    # -- workers and the broker ----------------------------------------------------

    def start_worker(self, name: str = "w1") -> None:
        self.local.start_worker(name)

    def kill_worker(self, name: str = "w1") -> None:
        """SIGKILL: no shutdown, no commit, no flush."""
        self.local.kill_worker(name)
        self.figures.crashes_survived += 1

    def stop_worker(self, name: str = "w1") -> None:
        self.local.stop_worker(name)

    def wipe_state(self) -> None:
        """Delete every worker's local state folder (RocksDB)."""
        for folder in self.local.home.glob("state-*"):
            shutil.rmtree(folder)

    def restart_broker(self, down_seconds: float, edits: int) -> None:
        """Stop the broker, keep the users editing, start it again."""
        assert self.broker is not None, "the chaos run needs a broker of its own"
        self.broker.stop()
        deadline = time.monotonic() + down_seconds
        self.storm.burst(edits)
        time.sleep(max(0.0, deadline - time.monotonic()))
        self.broker.start()
        self.figures.broker_restarts += 1

    def lose_link_topics(self) -> list[str]:
        """Lose everything tether knows about links, with the local state.

        The link tables' changelogs, the reverse tables', the link notices and
        the id map are deleted. The source cursors survive, so nothing is read
        again until the periodic full re-read (``TETHER_RESYNC_INTERVAL``, set
        short for the restarted worker) reads both systems, and the flows
        rebuild their links by matching.
        """
        self.local.extra_env["TETHER_RESYNC_INTERVAL"] = "10"
        names = self.local.topics
        app = self.local.app_id
        lost = [f"{app}-idmap-changelog"]
        for kind in KINDS:
            lost += [
                names.links_changelog(kind.flow),
                f"{app}-{kind.flow}-reverse-changelog",
                names.links(kind.flow),
            ]
        asyncio.run(kafka_ops.delete_topics(self.local.bootstrap, lost))
        self.wipe_state()
        return lost

    # -- phases --------------------------------------------------------------------

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """A phase of the run: new owners for the storm, counts from now.

        Phases build on each other: after one failed, the next ones fail at
        once instead of reporting the same breakage again.
        """
        if self.broken:
            pytest.fail(f"an earlier phase failed ({self.broken}); not running {name}")
        self._phase = (name, time.time())
        self.storm.new_phase()
        try:
            yield
        except BaseException:
            self.broken = name
            raise

    def converge(self, note: str = "") -> PhaseFigures:
        """Wait until the invariants hold and nothing writes, then record the phase."""
        name, started = self._phase
        timeout = self.profile.converge_timeout
        self._until(self.checker.systems, timeout, "the systems to agree")
        self._quiet(seconds=5.0, timeout=timeout)
        systems = self.checker.systems()
        topics = self._until(
            self.checker.links_and_letters,
            # Links rebuilt by matching come after the systems already agree.
            timeout,
            "links and dead letters",
        )
        writes = self.checker.writes(started)
        return self._record(name, started, systems | topics | writes, note)

    def _until(
        self, check: Callable[[], Verdict], timeout: float, what: str
    ) -> Verdict:
        deadline = time.monotonic() + timeout
        while True:
            verdict = check()
            if verdict.ok or time.monotonic() > deadline:
                return verdict
            self.local.assert_workers_alive()
            time.sleep(1.0)

    def _quiet(self, seconds: float, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            last = max(
                (c.at for s in (self.webcrm, self.customcrm) for c in s.calls.writes),
                default=0.0,
            )
            if time.time() - last >= seconds:
                return
            time.sleep(0.5)

    def _record(
        self, name: str, started: float, verdict: Verdict, note: str
    ) -> PhaseFigures:
        phase = self.checker.figures(name, started, verdict, note)
        self.figures.phases.append(phase)
        self.figures.retried_no_op_writes += verdict.retries
        self.figures.edits = len(self.expected.edits)
        self.figures.conflicts = self.expected.conflicts
        self.problems = verdict.problems
        return phase

    def tails(self) -> str:
        """For failure messages: tether's own view of the first entities a
        problem names (``diagnose``), then the end of every worker log."""
        logs = sorted(self.local.home.glob("worker-*.log"))
        return "\n".join(
            [
                *diagnosis(self.local, self.problems),
                *(
                    f"--- {p.name}:\n{p.read_text(errors='replace')[-3000:]}"
                    for p in logs
                ),
            ]
        )
