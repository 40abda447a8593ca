"""The buggy-driver catalogue (netdevspec.reference.buggy): valid, and every bug is real.

1. The manifest is valid: every factory imports and builds a model of its base driver,
   ids are unique, every expected rule is a rule netdevspec knows (the spec's, or the
   conformance harness's driver-model rules) unless it is marked proposed, there are at
   least 44 bugs and every rule family is covered.
2. Every bug is observable on the reference kernel under the catalogue's workload
   (buggy_workload.py): the kernel records exactly the misuse kinds the manifest lists,
   all of them by the buggy module, and, for each bug listed in ``OBSERVABLE``, a further
   concrete effect is asserted (always one for a bug the kernel records nothing for).
3. The reference drivers, and the correct step-wise variants the bugs are built on,
   leave no misuse and nothing behind under the same workload.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from buggy_workload import GROUPS, Run, leftovers, run_workload
from netdevspec.reference import (
    EAGAIN,
    EBUSY,
    IFF_NOARP,
    IFF_RUNNING,
    IFF_UP,
    MISUSE_KINDS,
)
from netdevspec.reference.buggy import (
    BASES,
    CATALOGUE,
    FAMILIES,
    NEEDS,
    PROPOSED_RULES,
    Bug,
    by_id,
    family_of,
    load_manifest,
)
from netdevspec.reference.buggy import _bases as bases
from netdevspec.reference.drivers import DRIVERS, DriverFactory
from netdevspec.reference.drivers.dummy import Dummy
from netdevspec.reference.drivers.loopback import Loopback
from netdevspec.reference.drivers.skeleton import Skeleton
from netdevspec.spec import SPEC

#: How far the catalogue's run lets the hanging transmit spin before giving up.
HANG_BOUND = 5000
BASE_CLASSES: dict[str, type] = {"dummy": Dummy, "loopback": Loopback, "skeleton": Skeleton}


def _known_rules() -> set[str]:
    """Rule IDs netdevspec knows: the spec's, and the harness's driver-model rules."""
    known = set(SPEC.rules)
    try:
        from netdevspec.conformance.model_rules import MODEL_RULES
    except ImportError:  # the harness's rules are optional here
        return known
    return known | {r.id for r in MODEL_RULES}


KNOWN_RULES = _known_rules()


def run_bug(bug: Bug) -> Run:
    """Run the catalogue's workload on one bug (bounded, if it would hang)."""
    params = {"spin": HANG_BOUND} if "time_limit" in bug.needs else {}
    return run_workload(bug.load(), card=bug.base == "skeleton" or "card" in bug.needs,
                        second_instance="second_instance" in bug.needs,
                        spy=bug.expected_rule == "drv.api.only", **params)


# =============================================================================================
# 1. The manifest
# =============================================================================================


def test_manifest_has_enough_bugs_covering_every_family() -> None:
    assert len(CATALOGUE) >= 44
    ids = [b.id for b in CATALOGUE]
    assert len(ids) == len(set(ids))
    covered = {b.family for b in CATALOGUE}
    assert set(FAMILIES) <= covered, set(FAMILIES) - covered
    assert {b.base for b in CATALOGUE} == set(BASES)


def test_every_factory_imports_and_builds_a_model_of_its_base() -> None:
    from netdevspec.conformance.handle import KernelHandle
    from netdevspec.reference import Kernel, Module

    for bug in CATALOGUE:
        factory = bug.load()
        assert bug.module_name.rsplit(".", 1)[1] in {
            "buffers", "queues", "devices", "transmit", "resources", "receive", "modules",
            "misbehaviour"}, bug.factory
        for instance in (0, 1):
            model = factory(KernelHandle(Kernel(), Module("m")), instance=instance)
            assert isinstance(model, BASE_CLASSES[bug.base]), (bug.id, type(model))
            assert model.name == (bug.base if instance == 0 else f"{bug.base}{instance}")
            assert callable(model.init_module) and callable(model.cleanup_module)


def test_expected_rules_are_known_unless_proposed() -> None:
    for bug in CATALOGUE:
        if bug.proposed:
            assert bug.expected_rule in PROPOSED_RULES, bug.id
            assert bug.expected_rule not in KNOWN_RULES, (
                f"{bug.id}: {bug.expected_rule} is in netdevspec now; drop \"proposed\"")
        else:
            assert bug.expected_rule in KNOWN_RULES, (bug.id, bug.expected_rule)
        for rule in bug.also_acceptable:
            assert rule in KNOWN_RULES or rule in PROPOSED_RULES, (bug.id, rule)


def test_proposed_rules_are_used_stated_and_cited() -> None:
    used = {b.expected_rule for b in CATALOGUE if b.proposed}
    assert used == set(PROPOSED_RULES)
    for rule in PROPOSED_RULES.values():
        family_of(rule.id)
        assert rule.statement and rule.cites
        assert all(c.split("-")[0] in {"REG", "FLD", "RES", "SKB", "Q", "CB", "FLG", "RX",
                                       "MOD", "ART", "HAZ"} for c in rule.cites), rule


def test_manifest_fields_are_from_their_vocabularies() -> None:
    for bug in CATALOGUE:
        assert set(bug.needs) <= set(NEEDS), bug.id
        assert set(bug.misuse_kinds) <= set(MISUSE_KINDS), bug.id
        assert bug.description.endswith(".") and "\n" not in bug.description
    assert by_id("double-free").expected_rule == "skb.use.alive"
    with pytest.raises(KeyError, match="nearest: double-free"):
        by_id("double-fre")


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda doc: doc["bugs"].append(dict(doc["bugs"][0])), "duplicate bug id"),
    (lambda doc: doc["bugs"][0].update(base="3c501"), "base '3c501'"),
    (lambda doc: doc["bugs"][0].update(needs=["wire"]), "unknown needs"),
    (lambda doc: doc["bugs"][0].update(misuse_kinds=["oops"]), "MISUSE_KINDS"),
    (lambda doc: doc["bugs"][0].update(id="Double_Free"), "kebab-case"),
    (lambda doc: doc["bugs"][0].update(factory="buffers.double_free"), "MODULE:ATTR"),
    (lambda doc: doc["bugs"][0].update(proposed=True), "no entry in 'proposed_rules'"),
    (lambda doc: doc["bugs"][0].update(colour="red"), "unknown field"),
])
def test_a_malformed_manifest_is_refused(tmp_path: Path, mutate: Callable[[Any], None],
                                          message: str) -> None:
    from netdevspec.reference.buggy import MANIFEST

    doc = json.loads(MANIFEST.read_text(encoding="utf-8"))
    mutate(doc)
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_manifest(path)


# =============================================================================================
# 2. Every bug is real on the reference kernel
# =============================================================================================


def _calls(run: Run, name: str) -> list[Any]:
    return [c for c in run.first.monitor.calls if c.name == name]


def _alive_of(run: Run) -> list[Any]:
    return sorted(run.first.module.skbs, key=lambda s: s.id)


def _leaked_buffers(run: Run) -> None:
    assert not run.first.module.loaded and _alive_of(run)
    assert all(s.alive for s in _alive_of(run))


def _xmit_never_frees(run: Run) -> None:
    _leaked_buffers(run)
    assert all(s.alive for s in run.sent if s.free)  # no transmitted frame was released


def _reinit_device_queues(run: Run) -> None:
    assert run.notes["buffs_owners_after_open"] == [run.first.module] * 3


def _unregister_foreign(run: Run) -> None:
    first, second = run.loaded
    assert first.dev is not None and second.dev is not None
    assert run.notes["registered_after_insmod"] is False  # evicted by instance 1
    assert second.dev.name == "dummy0"


def _register_name_taken(run: Run) -> None:
    regs = _calls(run, "register_netdev")
    assert [c.result for c in regs] == [0, -17]  # the second port: -EEXIST


def _register_no_init(run: Run) -> None:
    assert _calls(run, "register_netdev")[0].result == 0
    assert run.notes["registered_after_insmod"] is False


def _no_use_count(run: Run) -> None:
    assert run.notes["use_count_after_open"] == 0 and run.notes["rmmod_while_up"] == 0


def _ether_setup_in_open(run: Run) -> None:
    assert any(c.registered == (True,) for c in _calls(run, "ether_setup"))
    assert run.notes["flags_after_insmod"] & IFF_NOARP
    assert not run.notes["flags_after_open"] & IFF_NOARP


def _sets_rmem_fields(run: Run) -> None:
    assert run.notes["rmem_after_insmod"] != (0, 0)


def _driver_sets_iff_up(run: Run) -> None:
    assert run.notes["flags_after_insmod"] & (IFF_UP | IFF_RUNNING) == IFF_UP | IFF_RUNNING
    assert run.notes["use_count_after_open"] == 0  # open was never called
    assert run.notes["rmmod_while_up"] == 0


def _running_at_probe(run: Run) -> None:
    flags = run.notes["flags_after_insmod"]
    assert flags & IFF_RUNNING and not flags & IFF_UP


def _open_leaves_start_clear(run: Run) -> None:
    assert run.notes["open_rc"] == 0 and run.notes["start_after_open"] == 0


def _stop_leaves_started(run: Run) -> None:
    assert run.notes["start_after_close"] == 1


def _call_order(first: str, then: str) -> Callable[[Run], None]:
    def check(run: Run) -> None:
        """``first`` was called, and before ``then``."""
        names = run.first.monitor.names
        assert first in names and then in names
        assert names.index(first) < names.index(then), names

    return check


def _irq_claimed_twice(run: Run) -> None:
    claims = [c for c in _calls(run, "request_irq") if c.args[0] == 5]
    assert [c.result for c in claims] == [0, -EBUSY]
    assert claims[1].args[2] == 0  # no SA_SHIRQ


def _open_fail_keeps_irq(run: Run) -> None:
    assert run.notes["open_rc"] == -EAGAIN
    assert [c.result for c in _calls(run, "request_irq")] == [0]
    assert _calls(run, "free_irq") == []
    assert run.kernel.irq_actions(5)[0].owner is run.first.module  # still after rmmod


def _rx_no_protocol(run: Run) -> None:
    assert run.sink.payloads == []  # no protocol handler took any frame


def _rx_locked_frame(run: Run) -> None:
    assert len(run.sink.payloads) == 7  # delivered ...
    stuck = [s for s in run.sent if s.alive and s.free == 3]
    assert len(stuck) == 6 and all(s.lock == 1 and s.owner is None for s in stuck)
    assert run.kernel.net_skbcount == 6  # ... but never freed


def _use_count_not_decremented(run: Run) -> None:
    assert run.notes["use_count_after_close"] == 1
    assert run.notes["rmmod_rc"] == -EBUSY and run.first.module.loaded


def _dec_in_init(run: Run) -> None:
    assert run.notes["use_count_after_insmod"] == -1
    assert run.notes["use_count_after_open"] == 0 and run.notes["rmmod_while_up"] == 0


def _init_returns_positive(run: Run) -> None:
    dev = run.first.dev
    assert run.notes["insmod_rc"] == -EBUSY and not run.first.module.loaded
    assert dev is not None and dev.registered and dev.owner is run.first.module


def _xmit_hangs(run: Run) -> None:
    model: Any = run.first.model
    assert model.spin_limit == HANG_BOUND and model.spun == HANG_BOUND


def _kernel_state_access(run: Run) -> None:
    assert "_kernel" in run.private_reads
    assert _calls(run, "dev_get") == []  # it never asked the API


def _multicast_raises(run: Run) -> None:
    raised = [m for m in run.kernel.misuse if m.kind == "callback_raised"]
    assert raised and all("set_multicast_list" in m.message for m in raised)
    assert "IndexError" in raised[0].message
    assert len(GROUPS) > 4


def _probe_returns_none(run: Run) -> None:
    assert run.notes["insmod_rc"] == -EBUSY
    assert [c.result for c in _calls(run, "register_netdev")] == [-5]  # -EIO


def _push_past_head(run: Run) -> None:
    assert run.kernel.panicked


def _put_past_end(run: Run) -> None:
    assert run.kernel.panicked and run.sink.payloads == []
    _leaked_buffers(run)


#: Concrete effects, beyond the kernel's misuse records, asserted for a bug.
OBSERVABLE: dict[str, Callable[[Run], None]] = {
    "leak-at-rmmod": _leaked_buffers,
    "xmit-never-frees": _xmit_never_frees,
    "push-past-head": _push_past_head,
    "put-past-end": _put_past_end,
    "reinit-device-queues": _reinit_device_queues,
    "unregister-foreign": _unregister_foreign,
    "register-name-taken": _register_name_taken,
    "register-no-init": _register_no_init,
    "no-use-count": _no_use_count,
    "ether-setup-in-open": _ether_setup_in_open,
    "sets-rmem-fields": _sets_rmem_fields,
    "driver-sets-iff-up": _driver_sets_iff_up,
    "running-at-probe": _running_at_probe,
    "open-leaves-start-clear": _open_leaves_start_clear,
    "stop-leaves-started": _stop_leaves_started,
    "dma-freed-after-irq": _call_order("free_irq", "free_dma"),
    "dma-claimed-before-irq": _call_order("request_dma", "request_irq"),
    "irq-claimed-twice": _irq_claimed_twice,
    "open-fail-keeps-irq": _open_fail_keeps_irq,
    "rx-no-protocol": _rx_no_protocol,
    "rx-locked-frame": _rx_locked_frame,
    "use-count-not-decremented": _use_count_not_decremented,
    "dec-in-init": _dec_in_init,
    "init-returns-positive": _init_returns_positive,
    "xmit-hangs": _xmit_hangs,
    "kernel-state-access": _kernel_state_access,
    "multicast-raises": _multicast_raises,
    "probe-returns-none": _probe_returns_none,
}


def test_every_silent_bug_has_an_observable() -> None:
    silent = {b.id for b in CATALOGUE if not b.misuse_kinds}
    assert silent <= set(OBSERVABLE), silent - set(OBSERVABLE)
    assert set(OBSERVABLE) <= {b.id for b in CATALOGUE}


@pytest.mark.parametrize("bug", CATALOGUE, ids=[b.id for b in CATALOGUE])
def test_bug_is_observable_on_the_reference_kernel(bug: Bug) -> None:
    run = run_bug(bug)
    kinds = run.misuse_kinds()
    assert kinds == set(bug.misuse_kinds), run.kernel.misuse
    buggy_modules = {ld.module.name for ld in run.loaded}
    for m in run.kernel.misuse:
        # Recorded against the buggy module, or against the kernel acting on its behalf
        # (a hard_start_xmit return, an open return: the kernel's own bookkeeping).
        assert m.module in buggy_modules or m.module is None, m
    check = OBSERVABLE.get(bug.id)
    if check is not None:
        check(run)


# =============================================================================================
# 3. The reference drivers (and the correct variants the bugs build on) are clean
# =============================================================================================

CLEAN: dict[str, tuple[DriverFactory, bool, bool]] = {
    # name: (factory, card, second instance)
    "dummy": (DRIVERS["dummy"], False, False),
    "dummy x2": (DRIVERS["dummy"], False, True),
    "loopback": (DRIVERS["loopback"], False, False),
    "loopback x2": (DRIVERS["loopback"], False, True),
    "skeleton": (DRIVERS["skeleton"], True, False),
    "QueueDummy": (bases.QueueDummy, False, False),
    "StepSkeleton": (bases.StepSkeleton, True, False),
    "NullDevIdSkeleton": (bases.NullDevIdSkeleton, True, False),
    "StepLoopback": (bases.StepLoopback, False, False),
}


@pytest.mark.parametrize("name", list(CLEAN))
def test_correct_drivers_are_clean_under_the_same_workload(name: str) -> None:
    factory, card, second = CLEAN[name]
    run = run_workload(factory, card=card, second_instance=second, spy=True)
    assert run.kernel.misuse == []
    assert leftovers(run.kernel) == {}
    assert not run.kernel.panicked and run.private_reads == []
    for ld in run.loaded:
        assert ld.insmod_rc == 0 and not ld.module.loaded
    assert run.notes["open_rc"] == 0 and run.notes["rmmod_while_up"] == -EBUSY
    assert all(not s.alive for s in run.sent)
    if factory in (DRIVERS["loopback"], bases.StepLoopback):
        assert len(run.sink.payloads) == 7 * len(run.loaded)  # every frame looped back
    if card:
        assert run.card is not None and len(run.card.sent) == 7
        assert len(run.sink.payloads) == 3  # every frame from the wire
