"""The stateful scenario generator and the environment it drives (issue 10, section 1).

The generator's runs must mostly be meaningful (the skeleton's transmit and interrupt
paths reached in at least half of them), they must stay valid steps, and the reference
drivers must get no finding from them. The new harness steps and card behaviours each
get a test that shows they do what their docstring says.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from netdevspec.conformance.check import declared_params, scenarios
from netdevspec.conformance.explore import FRAME_SIZES
from netdevspec.conformance.harness import STEP_ACTIONS, Harness, Step, run_scenario, step
from netdevspec.reference import SimpleNic
from netdevspec.reference.drivers import DRIVERS, skeleton

SKELETON = "netdevspec.reference.drivers.skeleton:FACTORY"


def _draw(strategy: st.SearchStrategy[list[Step]], n: int) -> list[list[Step]]:
    out: list[list[Step]] = []

    @seed(0)
    @settings(max_examples=n, deadline=None, database=None, phases=(Phase.generate,),
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(steps: list[Step]) -> None:
        out.append(steps)

    collect()
    return out


def _callbacks(factory: Any, steps: list[Step]) -> tuple[Harness, list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    def rec(kind: str, f: dict[str, Any]) -> None:
        if kind == "callback":
            seen.append(f)

    return run_scenario(factory, steps, time_limit=0, record=rec), seen


# -- the generator ----------------------------------------------------------------------------
def test_declared_params_come_from_the_factory_and_the_command_line() -> None:
    assert declared_params(None, SKELETON) == dict(skeleton.Skeleton.PARAMS)
    assert declared_params(DRIVERS["dummy"], "x:FACTORY") == {}
    assert declared_params(None, "untrusted.module:FACTORY", {"io": 0x300}) == {"io": 0x300}


def test_most_generated_runs_reach_the_skeletons_transmit_and_interrupt_paths() -> None:
    runs = _draw(scenarios(instances=4, params=declared_params(None, SKELETON)), 60)
    xmit = irq = 0
    for steps in runs:
        _, seen = _callbacks(DRIVERS["skeleton"], steps)
        xmit += any(f["what"].startswith("hard_start_xmit") for f in seen)
        irq += any(f["what"].startswith("interrupt handler") and f["module"] == "skeleton"
                   for f in seen)
    assert xmit >= len(runs) / 2 and irq >= len(runs) / 2, (xmit, irq, len(runs))


def test_generated_runs_use_every_new_kind_of_step() -> None:
    runs = _draw(scenarios(instances=4, params=declared_params(None, SKELETON)), 150)
    flat = [s for steps in runs for s in steps]
    actions = {s.action for s in flat}
    assert actions == set(STEP_ACTIONS)
    args = [dict(s.args) for s in flat]
    assert any(a.get("free") is False for a in args)
    assert any(a.get("burst") is True for a in args)
    assert any("io" in a for a in args) and any("irq" in a for a in args)
    sizes = {a["size"] for a in args if "size" in a}
    assert {0, 1, 60, 1514, 1515} <= sizes, sorted(sizes)
    assert {d["i"] for d in args if "i" in d} == {0, 1, 2, 3}
    # Without declared parameters, none are passed (the driver would refuse them).
    plain = _draw(scenarios(instances=2), 40)
    assert not any(k in dict(s.args) for steps in plain for s in steps
                   if s.action == "insmod" for k in ("io", "irq", "dma"))
    assert all(f in range(0, 4097) for f in FRAME_SIZES)


@pytest.mark.parametrize("name", sorted(DRIVERS))
def test_reference_drivers_get_no_finding_from_generated_runs(name: str) -> None:
    ref = f"netdevspec.reference.drivers.{name}:FACTORY"
    for steps in _draw(scenarios(instances=4, params=declared_params(None, ref)), 40):
        h = run_scenario(DRIVERS[name], steps, time_limit=0)
        assert h.monitor.findings == [], (steps, h.monitor.findings[0])
        assert h.aborted is None


# -- the new steps ----------------------------------------------------------------------------
def test_insmod_parameters_pick_the_card() -> None:
    h = Harness(DRIVERS["skeleton"], time_limit=0)
    h.insmod(0, io=0x320, irq=9)
    h.up(0)
    assert [d.base_addr for d in h.devices(0)] == [0x320]
    h.xmit(0, count=1)
    h.tx_done(1)
    assert len(h.cards[1].sent) == 1 and h.cards[0].sent == []
    h.finish()
    assert h.monitor.findings == []


def test_insmod_with_a_wrong_line_loads_but_never_hears_its_card() -> None:
    h, seen = _callbacks(DRIVERS["skeleton"], [
        step("insmod", i=0, io=0x300, irq=7), step("up", i=0), step("xmit", i=0, count=2),
        step("rx", card=0, count=2)])
    assert not any(f["what"].startswith("interrupt handler") for f in seen)
    assert any(f["what"].startswith("hard_start_xmit") for f in seen)
    assert h.monitor.findings == []


@pytest.mark.parametrize("size", [0, 1, 13, 14, 61, 1515, 4096])
@pytest.mark.parametrize("name", sorted(DRIVERS))
def test_frames_of_every_length_class_go_both_ways(name: str, size: int) -> None:
    h = Harness(DRIVERS[name], time_limit=0)
    h.insmod(0)
    h.up(0)
    h.xmit(0, count=2, size=size)
    h.xmit(0, count=2, size=size, free=False)
    h.rx(0, count=2, size=size)
    h.finish()
    assert h.monitor.findings == []
    assert not [s for s in h._kept if s.alive], "a socket-kept frame was never released"


def test_a_socket_kept_frame_takes_loopbacks_clone_path() -> None:
    calls: list[str] = []

    def rec(kind: str, f: dict[str, Any]) -> None:
        if kind == "call":
            calls.append(f["fn"])

    h = run_scenario(DRIVERS["loopback"], [step("insmod", i=0), step("up", i=0),
                                           step("xmit", i=0, free=False)],
                     time_limit=0, record=rec)
    assert "skb_clone" in calls
    assert h.monitor.findings == [] and len(h.received) == 1


def test_loopback_drops_a_frame_shorter_than_its_header() -> None:
    h = Harness(DRIVERS["loopback"], time_limit=0)
    h.insmod(0)
    h.up(0)
    h.xmit(0, count=3, size=13)
    (dev,) = h.devices(0)
    assert dev.priv.tx_dropped == 3 and h.received == []
    h.xmit(0, count=1, size=14)  # a header alone is passed up
    assert len(h.received) == 1
    h.finish()
    assert h.monitor.findings == []


def test_a_burst_past_the_ring_overflows_it_and_a_trickle_does_not() -> None:
    h = Harness(DRIVERS["skeleton"], time_limit=0)
    h.insmod(0)
    h.up(0)
    h.rx(0, count=20)
    assert h.cards[0].rx_overruns == 0 and len(h.received) == 20
    h.rx(0, count=20, burst=True)
    assert h.cards[0].rx_overruns == 20 - h.cards[0].rx_capacity
    h.finish()
    assert h.monitor.findings == []


def test_allocation_failures_at_a_chosen_point() -> None:
    h = Harness(DRIVERS["skeleton"], time_limit=0)
    h.insmod(0)
    h.up(0)
    h.fail_alloc(n=1, after=2)
    h.rx(0, count=4)
    assert len(h.received) == 3
    (dev,) = h.devices(0)
    assert dev.priv.stats.rx_dropped == 1
    h.finish()
    assert h.monitor.findings == []


def test_plug_rewires_a_card_or_adds_one_only_before_loading() -> None:
    h = Harness(DRIVERS["skeleton"], time_limit=0)
    h.plug(card=0, base=0x340, irq=10)
    h.plug(card=2, base=0x360, irq=11)
    h.plug(card=3, base=0x360, irq=12)  # overlaps card 2: nothing happens
    assert [(c.base, c.irq) for c in h.cards] == [(0x340, 10), (0x320, 9), (0x360, 11)]
    h.insmod(0, io=0x340, irq=10)
    h.plug(card=0, base=0x200, irq=3)  # loaded: jumpers stay
    assert h.cards[0].base == 0x340
    h.up(0)
    h.rx(0, count=1)
    assert len(h.received) == 1
    h.finish()
    assert h.monitor.findings == []


def test_a_spurious_interrupt_and_a_shared_line_rival() -> None:
    h, seen = _callbacks(DRIVERS["skeleton"], [
        step("insmod", i=0), step("up", i=0), step("interrupt", line=5),
        step("interrupt", line=7)])
    assert sum(f["what"].startswith("interrupt handler") for f in seen) == 1
    assert h.monitor.findings == []
    h2 = run_scenario(DRIVERS["skeleton"], [step("rival_claims", what="shared_irq"),
                                            step("insmod", i=0), step("up", i=0)],
                      time_limit=0)
    assert h2.monitor.findings == []
    assert not any(d.start for d in h2.devices(0))  # the line is taken unshared: open fails


# -- card behaviours --------------------------------------------------------------------------
def test_a_slow_card_completes_after_its_ticks() -> None:
    h = Harness(DRIVERS["skeleton"], time_limit=0)
    h.card_behaves(0, "slow", 3)
    h.insmod(0)
    h.up(0)
    h.xmit(0, count=1)
    assert h.cards[0].tx_busy
    h.tick(2)
    assert h.cards[0].tx_busy
    h.tick(1)
    assert not h.cards[0].tx_busy
    h.finish()
    assert h.monitor.findings == []


def test_a_stuck_card_takes_the_skeleton_through_its_transmit_timeout() -> None:
    h = Harness(DRIVERS["skeleton"], time_limit=0)
    h.card_behaves(0, "stuck")
    h.insmod(0)
    h.up(0)
    h.xmit(0, count=2)
    h.tx_done(0)  # a stuck card ignores the completion
    assert h.cards[0].tx_busy and len(h.cards[0].sent) == 1
    h.tick(10)
    h.xmit(0, count=1)  # the timeout resets the card and the queue moves again
    assert any("transmit timed out" in line for line in h.kernel.log)
    assert len(h.cards[0].sent) >= 2
    h.finish()
    assert h.monitor.findings == []


def test_receive_errors_a_small_ring_and_a_dead_card() -> None:
    h = Harness(DRIVERS["skeleton"], time_limit=0)
    h.insmod(0)
    h.up(0)
    h.card_behaves(0, "rx_errors")
    h.rx(0, count=2)
    (dev,) = h.devices(0)
    assert h.received == [] and dev.priv.stats.rx_length_errors == 2
    h.card_behaves(0, "ring", 2)
    h.rx(0, count=5, burst=True)
    assert h.cards[0].rx_overruns == 3
    h.card_behaves(0, "dead")
    assert h.kernel.ioport.bus.read(0x300, 1) == 0xFF
    h.rx(0, count=1)
    assert h.cards[0].rx_missed == 1
    h.finish()
    assert h.monitor.findings == []


def test_an_unknown_card_behaviour_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown card behaviour 'flaky': choose one of "
                                         r"normal, slow, stuck, rx_errors, ring, dead"):
        SimpleNic().behave("flaky")


# -- coverage as output -----------------------------------------------------------------------
def test_every_operation_a_driver_does_not_call_says_what_reaches_it() -> None:
    from netdevspec.conformance.explore import ENVIRONMENT_OPS, REACHED_BY
    from netdevspec.conformance.monitor import CALLS
    from netdevspec.spec import SPEC

    driver_calls = {op for op, _ in CALLS.values()}
    missing = [op.name for op in SPEC.operations
               if op.name not in driver_calls | set(REACHED_BY) | set(ENVIRONMENT_OPS)]
    assert missing == []
    assert not set(REACHED_BY) & set(ENVIRONMENT_OPS)


def test_a_not_applicable_rule_says_the_driver_never_reached_it_and_what_would() -> None:
    import json

    import jsonschema
    from netdevspec.conformance.check import check_driver, report_from_json, report_schema

    ref = "netdevspec.reference.drivers.dummy:FACTORY"
    report = check_driver(None, ref, examples=5)
    again = check_driver(None, ref, examples=5)
    text = json.dumps(report.to_json(), sort_keys=True)
    assert text == json.dumps(again.to_json(), sort_keys=True)  # byte-identical
    jsonschema.validate({"version": 1, "reports": [report.to_json()]}, report_schema())
    reasons = {r.rule.id: r.reason for r in report.rules if r.verdict == "NOT_APPLICABLE"}
    assert reasons and all(v.startswith("never reached: ") for v in reasons.values())
    assert all(r.reason == "" for r in report.rules if r.verdict != "NOT_APPLICABLE")
    assert reasons["skb.push.bounds"] == "never reached: the driver never called skb_push"
    assert reasons["mod.load.fresh"] == (
        "never reached: it is checked only when the kernel or the environment calls "
        "sys_init_module (step insmod), never the driver")
    assert reasons["res.irq.request.held"].startswith(
        "never reached: the driver never called request_irq")
    back = report_from_json(report.to_json())
    assert [r.reason for r in back.rules] == [r.reason for r in report.rules]


def test_the_text_report_lists_what_was_never_reached(tmp_path: Any) -> None:
    from netdevspec.cli import main

    out = tmp_path / "report.txt"
    rc = main(["check", "netdevspec.reference.drivers.skeleton:FACTORY", "--examples", "3",
               "--output", str(out)])
    text = out.read_text(encoding="utf-8")
    assert rc == 0, text
    assert "\nNOT_APPLICABLE: the driver never reached these rules\n" in text
    assert "\n  skb.push.bounds: the driver never called skb_push\n" in text
