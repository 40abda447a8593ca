"""A catalogue of buggy driver models the conformance suite must catch.

Each entry is one realistic bug injected into one of the reference drivers (``dummy``,
``loopback``, ``skeleton``): a subclass that overrides one method (sometimes of a correct,
step-wise variant of the reference driver from ``_bases``, so the override stays small).
Every factory has the reference drivers' signature,
``FACTORY(handle, *, instance=0, **params) -> model`` (see
:mod:`netdevspec.reference.drivers`).

``manifest.json`` beside this file is the catalogue; :data:`CATALOGUE` is it loaded.
Per bug it gives:

* ``id``: a stable kebab-case name;
* ``factory``: ``"MODULE:ATTR"`` (:meth:`Bug.load` imports it);
* ``base``: the reference driver it is built on (``dummy``, ``loopback``, ``skeleton``);
* ``description``: what the driver does wrong, in one sentence;
* ``expected_rule``: the rule ID the suite must report as FAIL: a caller obligation,
  end-of-life duty or invariant of :data:`netdevspec.spec.SPEC`, a driver-model rule
  ``drv.*`` of the conformance harness (``netdevspec.conformance.model_rules``), or,
  with ``proposed`` true, a rule netdevspec does not have yet (its statement and
  api-facts citations are in the manifest's ``proposed_rules``, :data:`PROPOSED_RULES`);
* ``also_acceptable``: other rule IDs a correct monitor may also report for it;
* ``needs``: what the harness must do to trigger it (:data:`NEEDS`);
* ``misuse_kinds``: exactly the kinds of misuse the reference kernel records for it
  under the catalogue's own workload (tests/buggy/buggy_workload.py), from
  :data:`netdevspec.reference.MISUSE_KINDS`; empty when the kernel records nothing and
  the bug is observed otherwise (a call order, a field, a use count, a leaked buffer).
  Other workloads may see a subset or more (consequences of the same bug).

A bug whose ``needs`` include ``time_limit`` never returns on its own (``xmit-hangs``
takes ``spin=N`` to bound the loop); run it only under a time limit.

The catalogue's tests (tests/buggy) run every bug on a fresh reference kernel and check
that it is really there.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from netdevspec.reference import MISUSE_KINDS

if TYPE_CHECKING:
    from netdevspec.reference.drivers import DriverFactory

__all__ = [
    "BASES",
    "CATALOGUE",
    "FAMILIES",
    "MANIFEST",
    "NEEDS",
    "PROPOSED_RULES",
    "Bug",
    "ProposedRule",
    "by_id",
    "family_of",
    "load_manifest",
]

#: Where the catalogue lives.
MANIFEST = Path(__file__).with_name("manifest.json")

#: The reference drivers a bug may be built on.
BASES = ("dummy", "loopback", "skeleton")

#: What a harness may have to do to trigger a bug, and what that means.
NEEDS: dict[str, str] = {
    "open_close": "bring the device up with dev_open and down with dev_close",
    "transmit": "queue frames with dev_queue_xmit while the device is up (priorities 0..2, "
                "one frame with skb->free = 0), then run the bottom half (net_bh)",
    "receive": "have frames arrive from the wire (a card's push_frame) while the device is up",
    "rmmod": "unload the module at the end (after ifconfig down)",
    "rmmod_while_up": "try rmmod while the device is up (refused while the use count holds "
                      "the module)",
    "multicast": "join at least five multicast groups while the device is up",
    "card": "a SimpleNic at 0x300, IRQ 5 (what skeleton probes for)",
    "time_limit": "run under a time limit: a callback never returns",
    "isolate": "run in a kernel (and process) of its own: the bug panics the kernel, hangs, "
               "or disturbs other modules",
    "second_instance": "load a second copy (instance=1) after the first, in the same kernel",
}

#: Rule families (api-facts item prefixes) by the first part of a rule ID.
_FAMILY_BY_PREFIX: dict[str, str] = {
    "skb": "SKB",
    "queue": "Q",
    "reg": "REG",
    "dev": "REG",
    "fld": "REG",
    "cb": "CB",
    "flg": "FLG",
    "res": "RES",
    "rx": "RX",
    "timer": "CB",
    "mod": "MOD",
    "api": "DRV",
    "drv": "DRV",
}

#: The rule families the catalogue must cover, with what they are about.
FAMILIES: dict[str, str] = {
    "SKB": "socket buffers",
    "Q": "buffer queues",
    "REG": "device registration and the device structure",
    "CB": "driver callbacks and the transmit path",
    "FLG": "interface flags",
    "RES": "IRQ lines, I/O regions and DMA channels",
    "RX": "the receive path",
    "MOD": "modules",
}

_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_RULE_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_FACTORY = re.compile(r"^netdevspec\.reference\.buggy\.[a-z_]+:[a-z_][a-z0-9_]*$")


def family_of(rule_id: str) -> str:
    """The rule family of a rule ID: ``"skb.use.alive"`` → ``"SKB"`` (``"DRV"`` for the
    driver-model rules ``drv.*``/``api.*``)."""
    prefix = rule_id.split(".", 1)[0]
    try:
        return _FAMILY_BY_PREFIX[prefix]
    except KeyError:
        raise ValueError(f"rule {rule_id!r}: unknown family prefix {prefix!r}; known: "
                         f"{', '.join(sorted(_FAMILY_BY_PREFIX))}") from None


@dataclass(frozen=True)
class ProposedRule:
    """A rule the catalogue needs that the spec does not have yet."""

    id: str
    statement: str
    #: api-facts items (``"RES-3"``) or sections the rule rests on.
    cites: tuple[str, ...]


@dataclass(frozen=True)
class Bug:
    """One buggy driver of the catalogue (see the module docstring for the fields)."""

    id: str
    factory: str
    base: str
    description: str
    expected_rule: str
    also_acceptable: tuple[str, ...]
    needs: tuple[str, ...]
    misuse_kinds: tuple[str, ...]
    proposed: bool = False

    @property
    def family(self) -> str:
        """The rule family of ``expected_rule`` (``SKB``, ``Q``, ``REG``, ...)."""
        return family_of(self.expected_rule)

    @property
    def module_name(self) -> str:
        """The Python module that defines the factory."""
        return self.factory.split(":", 1)[0]

    def load(self) -> DriverFactory:
        """Import and return the factory (``FACTORY(handle, *, instance=0, **params)``)."""
        module_name, _, attr = self.factory.partition(":")
        module = importlib.import_module(module_name)
        factory = getattr(module, attr, None)
        if factory is None or not callable(factory):
            raise ImportError(f"bug {self.id}: {self.factory} is not a callable factory")
        return cast("DriverFactory", factory)


def _strings(where: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: expected a list of strings, got {value!r}")
    return tuple(cast("list[str]", value))


def _string(where: str, entry: Mapping[str, object], key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where}: {key!r} must be a non-empty string, got {value!r}")
    return value


def _bug(entry: object, index: int) -> Bug:
    if not isinstance(entry, dict):
        raise ValueError(f"manifest bugs[{index}]: expected an object, got {entry!r}")
    where = f"manifest bug {entry.get('id', index)!r}"
    known = {"id", "factory", "base", "description", "expected_rule", "also_acceptable",
             "needs", "misuse_kinds", "proposed"}
    unknown = set(entry) - known
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {sorted(unknown)}; known: {sorted(known)}")
    proposed = entry.get("proposed", False)
    if not isinstance(proposed, bool):
        raise ValueError(f"{where}: 'proposed' must be true or false, got {proposed!r}")
    bug = Bug(
        id=_string(where, entry, "id"),
        factory=_string(where, entry, "factory"),
        base=_string(where, entry, "base"),
        description=_string(where, entry, "description"),
        expected_rule=_string(where, entry, "expected_rule"),
        also_acceptable=_strings(f"{where} also_acceptable", entry.get("also_acceptable")),
        needs=_strings(f"{where} needs", entry.get("needs")),
        misuse_kinds=_strings(f"{where} misuse_kinds", entry.get("misuse_kinds")),
        proposed=proposed,
    )
    if not _ID.match(bug.id):
        raise ValueError(f"{where}: the id must be kebab-case (a-z, 0-9, '-')")
    if not _FACTORY.match(bug.factory):
        raise ValueError(f"{where}: factory {bug.factory!r} is not "
                         "'netdevspec.reference.buggy.MODULE:ATTR'")
    if bug.base not in BASES:
        raise ValueError(f"{where}: base {bug.base!r} is not one of {', '.join(BASES)}")
    for rule in (bug.expected_rule, *bug.also_acceptable):
        if not _RULE_ID.match(rule):
            raise ValueError(f"{where}: {rule!r} is not a rule ID")
        family_of(rule)
    if bug.expected_rule in bug.also_acceptable:
        raise ValueError(f"{where}: the expected rule is also listed as also_acceptable")
    bad_needs = [n for n in bug.needs if n not in NEEDS]
    if bad_needs:
        raise ValueError(f"{where}: unknown needs {bad_needs}; known: {', '.join(NEEDS)}")
    bad_kinds = [k for k in bug.misuse_kinds if k not in MISUSE_KINDS]
    if bad_kinds:
        raise ValueError(f"{where}: {bad_kinds} are not kinds of the reference kernel's "
                         "MISUSE_KINDS")
    return bug


def load_manifest(path: Path = MANIFEST) -> tuple[tuple[Bug, ...], dict[str, ProposedRule]]:
    """Read and check a manifest: its bugs, and the proposed rules by ID.

    Raises ValueError naming the entry and the field when the manifest is malformed: a
    duplicate id, an unknown base, need or misuse kind, a factory that is not
    ``MODULE:ATTR``, a proposed rule without a statement, ... (The rule IDs are checked
    against the spec by the catalogue's tests: the reference kernel does not import it.)
    """
    doc = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or doc.get("version") != 1:
        raise ValueError(f"{path}: expected a version 1 manifest object")
    raw_rules = doc.get("proposed_rules", {})
    if not isinstance(raw_rules, dict):
        raise ValueError(f"{path}: 'proposed_rules' must be an object")
    proposed: dict[str, ProposedRule] = {}
    for rule_id, body in raw_rules.items():
        where = f"proposed rule {rule_id!r}"
        if not _RULE_ID.match(rule_id) or not isinstance(body, dict):
            raise ValueError(f"{where}: expected a rule ID mapped to an object")
        proposed[rule_id] = ProposedRule(rule_id, _string(where, body, "statement"),
                                         _strings(f"{where} cites", body.get("cites")))
    raw_bugs = doc.get("bugs")
    if not isinstance(raw_bugs, list):
        raise ValueError(f"{path}: 'bugs' must be a list")
    bugs = tuple(_bug(entry, i) for i, entry in enumerate(raw_bugs))
    seen: set[str] = set()
    for bug in bugs:
        if bug.id in seen:
            raise ValueError(f"{path}: duplicate bug id {bug.id!r}")
        seen.add(bug.id)
        if bug.proposed and bug.expected_rule not in proposed:
            raise ValueError(f"bug {bug.id!r}: its proposed rule {bug.expected_rule!r} has no "
                             "entry in 'proposed_rules'")
        if not bug.proposed and bug.expected_rule in proposed:
            raise ValueError(f"bug {bug.id!r}: {bug.expected_rule!r} is a proposed rule; "
                             "set \"proposed\": true")
    return bugs, proposed


#: The catalogue, in manifest order.
CATALOGUE: tuple[Bug, ...]
#: The rules the catalogue proposes for the spec, by ID.
PROPOSED_RULES: dict[str, ProposedRule]
CATALOGUE, PROPOSED_RULES = load_manifest()


def by_id(bug_id: str) -> Bug:
    """The catalogue entry called ``bug_id``; KeyError names the nearest ids otherwise."""
    for bug in CATALOGUE:
        if bug.id == bug_id:
            return bug
    import difflib

    near = difflib.get_close_matches(bug_id, [b.id for b in CATALOGUE], n=3)
    raise KeyError(f"no bug {bug_id!r} in the catalogue" +
                   (f"; nearest: {', '.join(near)}" if near else ""))
