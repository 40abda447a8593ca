"""Shared fixtures and settings.

Work shared by the whole run is done at most once per process, so at most once per
pytest-xdist worker: the whole-spec proof is a session fixture here, and the z3 witnesses
of tests/refinement/test_witness_replay.py are cached per process (``functools.cache``).
Under ``pytest -n N`` each test file goes to one worker (see :func:`pytest_configure`), so
such work is done once in the whole run.
Nothing here depends on the machine's speed: Hypothesis has no deadline and no "too slow"
health check, and z3's time limits are backstops far above what a query takes.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings
from netdevspec.model import Prover, Report
from netdevspec.spec import SPEC, SPEC_REF

# derandomize: the same examples on every run (and no example database is written).
# too_slow is a wall-clock judgement, which a loaded machine would fail.
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=200,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile("ci")


def pytest_configure(config: pytest.Config) -> None:
    """``-n N`` alone distributes whole test files (``--dist loadfile``) rather than single
    tests: the tests that share a computation (the whole proof in test_prover.py, the z3
    witnesses in test_witness_replay.py, the refinement machine) share one worker, so it is
    done once in the run, not once per worker. An explicit ``--dist`` is kept.
    (``loadgroup`` would group finer, but pytest-xdist 3.8's groups do not work with
    pytest 9.)"""
    if getattr(config, "workerinput", None) is not None:
        return
    args = [str(a) for a in config.invocation_params.args]
    explicit = any(a == "-d" or a.startswith("--dist") for a in args)
    if getattr(config.option, "dist", "no") == "load" and not explicit:
        config.option.dist = "loadfile"


#: z3's per-query limit for the tests' proofs (ms). The slowest query takes about a second
#: on a loaded machine; a limit this far above it cannot turn a proof into UNKNOWN.
TEST_TIMEOUT_MS = 60_000


@pytest.fixture(scope="session")
def full_report() -> Report:
    """The whole spec, proved once per process (once per xdist worker)."""
    prover = Prover(SPEC, timeout_ms=TEST_TIMEOUT_MS)
    # Under `pytest -n N` the workers already share the cores: no prover pool per worker.
    jobs = 1 if os.environ.get("PYTEST_XDIST_WORKER") else 2
    return prover.run(prover.plan(), jobs=jobs, spec_ref=SPEC_REF)
