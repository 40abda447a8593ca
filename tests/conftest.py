"""Shared fixtures. The whole-spec proof runs once per session."""

from __future__ import annotations

import pytest
from hypothesis import settings
from netdevspec.model import Prover, Report
from netdevspec.spec import SPEC, SPEC_REF

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=200)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile("ci")


@pytest.fixture(scope="session")
def full_report() -> Report:
    prover = Prover(SPEC)
    return prover.run(prover.plan(), jobs=2, spec_ref=SPEC_REF)
