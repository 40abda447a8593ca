"""The reference pages of the documentation, generated from the rule objects.

Nothing here states a rule: every statement, formula, frame and citation is read from
:data:`netdevspec.spec.SPEC` and :data:`netdevspec.conformance.model_rules.MODEL_RULES`,
and what reads each rule (operations, tests, catalogue bugs) is found, not listed by
hand. :func:`pages` returns reStructuredText that uses the object types of
:mod:`netdevspec.sphinxext` (``rule``, ``operation``, ``case``), so Sphinx gives every
rule an index entry, a search entry and a ``{rule}`` cross-reference target.
"""

from __future__ import annotations

import ast
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from netdevspec.evidence import (
    BUG_EXAMPLES,
    CHECK_SEED,
    BugReport,
    ConformanceRun,
    ProofRun,
    seconds,
)
from netdevspec.spec import SPEC, Rule, Spec, render
from netdevspec.spec.facts import Facts, SourceRef
from netdevspec.spec.rules import Case, Citation, Operation, RuleKind, Use
from netdevspec.traceability import ACCEPTED_GAPS, PROVED_BY, Row, item_gaps, matrix, rule_gaps

__all__ = ["FACT_FAMILIES", "FAMILIES", "Bug", "Context", "citers", "fact_items", "family_of",
           "load_bugs", "pages", "source_link", "tests_naming", "trace_rows"]

#: Rule families in reading order: ID prefix -> page title. A prefix not listed here
#: still gets a page (titled by its prefix), after these.
FAMILIES: dict[str, str] = {
    "reg": "Registration and naming",
    "fld": "Device fields",
    "dev": "Devices: phases and ownership",
    "flg": "Interface flags",
    "res": "Resources: IRQ lines, I/O ports, DMA channels",
    "skb": "sk_buff geometry and life",
    "queue": "Buffer queues",
    "cb": "Driver callbacks and the transmit path",
    "rx": "The receive path",
    "timer": "Kernel timers",
    "mod": "Modules",
    "api": "Using the API",
    "drv": "A driver model as running code",
}

#: The commit of 2.0.1 the citations mean (api-facts section 0, key [K]).
LINUX_201 = "https://github.com/liexusong/linux-2.0.0/blob/d8873c8ca36b1994a60ef52190cc8f7e418a31d2"
_FAMILY_ORDER = ["REG", "FLD", "RES", "SKB", "Q", "CB", "FLG", "RX", "MOD", "ART", "HAZ"]
_K_PREFIX = re.compile(r"^\[K\] (?:liexusong/linux-2\.0\.0@d8873c8 )?")


def fact_items(spec: Spec) -> list[str]:
    """The api-facts item IDs, in api-facts.md's section order."""

    def key(item: str) -> tuple[int, int]:
        fam, _, n = item.partition("-")
        return _FAMILY_ORDER.index(fam), int(n)

    return sorted(spec.known_facts, key=key)


def family_of(rule_id: str) -> str:
    """The family of a rule: the first component of its ID (``skb`` for ``skb.put.bounds``)."""
    return rule_id.split(".", 1)[0]


@dataclass(frozen=True)
class Bug:
    """A catalogue bug (reference/buggy/manifest.json) and the rules it must break."""

    id: str
    description: str
    expected_rule: str
    also_acceptable: tuple[str, ...]
    #: ``MODULE:CLASS`` of the buggy driver ("" when unknown).
    factory: str = ""
    #: The reference driver it is built on.
    base: str = ""

    @property
    def family(self) -> str:
        """The catalogue module the bug is in (``buffers``, ``queues``, ...)."""
        return self.factory.partition(":")[0].rpartition(".")[2]


def load_bugs() -> tuple[Bug, ...]:
    """The buggy driver models of the catalogue, from its manifest."""
    text = resources.files("netdevspec.reference.buggy").joinpath("manifest.json").read_text(
        encoding="utf-8")
    return tuple(Bug(b["id"], b["description"], b["expected_rule"],
                     tuple(b.get("also_acceptable", ())), b["factory"], b["base"])
                 for b in json.loads(text)["bugs"])


def tests_naming(rule_ids: Iterable[str], tests_dir: Path) -> dict[str, list[str]]:
    """For each rule ID, the tests whose source names it (``tests/x.py::test_y``).

    A test names a rule when the ID appears in its function as a whole word (so
    ``skb.put`` does not match ``skb.put.bounds``); an occurrence outside any test
    function names the file.
    """
    ids = sorted(set(rule_ids))
    if not ids or not tests_dir.is_dir():
        return {}
    pattern = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, ids)) + r")(?![\w.])")
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted(tests_dir.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        hits = [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in pattern.finditer(text)]
        if not hits:
            continue
        spans = [(n.lineno, n.end_lineno or n.lineno, n.name) for n in ast.walk(ast.parse(text))
                 if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
                 and n.name.startswith("test")]
        rel = f"tests/{path.relative_to(tests_dir).as_posix()}"
        for line, rid in hits:
            names = [name for lo, hi, name in spans if lo <= line <= hi]
            where = f"{rel}::{names[-1]}" if names else rel
            if where not in found[rid]:
                found[rid].append(where)
    return dict(found)


@dataclass(frozen=True)
class Context:
    """What the pages are generated from besides the rule objects."""

    spec: Spec = SPEC
    extra_rules: tuple[Rule, ...] = ()
    tests: Mapping[str, list[str]] = field(default_factory=dict)
    bugs: tuple[Bug, ...] = ()
    #: The facts the rules cite (their page, the 2.0.1 line table); None: no facts page.
    facts: Facts | None = None
    #: The generated pictures (file names in ``figures/`` beside the pages).
    figures: frozenset[str] = frozenset()
    #: The proof obligations about each rule (IDs), from the prover's plan.
    obligations: Mapping[str, list[str]] = field(default_factory=dict)
    #: The verdicts and times of this build's prover run; None: the build ran no prover.
    proofs: ProofRun | None = None
    #: The reference drivers' verdicts of this build's check run; None: no check ran.
    conformance: ConformanceRun | None = None
    #: This build's check of each catalogue bug, by bug ID; None: none ran.
    bug_reports: Mapping[str, BugReport] | None = None

    @property
    def source_lines(self) -> Mapping[str, int]:
        """``"path function"`` (as a citation names it) -> its line in 2.0.1."""
        return self.facts.lines if self.facts else {}

    @property
    def all_rules(self) -> dict[str, Rule]:
        """The spec's rules and the extra (driver-model) rules, by ID."""
        return {**self.spec.rules, **{r.id: r for r in self.extra_rules}}


def source_link(source: str, lines: Mapping[str, int]) -> str:
    """A citation's source as reST: a 2.0.1 file linked to the public source, else text.

    ``[K] net/core/dev.c dev_close`` links to ``net/core/dev.c`` at the line
    ``lines`` gives for ``net/core/dev.c dev_close`` (the file alone when unknown).
    """
    m = _K_PREFIX.match(source)
    if not m or "(2.2)" in source:
        return _esc(source)
    rest = source[m.end():]
    path, _, what = rest.partition(" ")
    line = lines.get(rest)
    url = f"{LINUX_201}/{path}" + (f"#L{line}" if line else "")
    label = f"{path}:{line}" if line else path
    if what:
        label += f" {what}"
    return f"`{_esc_link(label)} <{url}>`__ (2.0.1)"


_ESCAPE = re.compile(r"([\\*`|_])")


def _esc(text: str) -> str:
    """Plain text as reST: inline markup characters escaped."""
    return _ESCAPE.sub(r"\\\1", text)


def _esc_link(text: str) -> str:
    return text.replace("<", r"\<").replace("`", r"\`")


def _title(text: str, ch: str = "=") -> list[str]:
    return [text, ch * len(text), ""]


def _code(text: str, indent: str = "") -> list[str]:
    body = [f"{indent}   {line}" for line in text.splitlines()]
    return [f"{indent}.. code-block:: text", "", *body, ""]


def _plural(kind: RuleKind) -> str:
    word = kind.value
    return word[:-1] + "ies" if word.endswith("y") else word + "s"


def _sentence(text: str) -> str:
    text = _esc(text)
    return text if text.endswith((".", "?", "!")) else text + "."


def _capital(text: str) -> str:
    """A sentence's first word capitalised, unless it is an identifier (``skb_put``)."""
    word = text.split(" ", 1)[0]
    return text[0].upper() + text[1:] if word.isalpha() and word.islower() else text


def _cite(c: Citation, ctx: Context) -> str:
    fact = ctx.facts.facts.get(c.item) if ctx.facts else None
    if fact is None:
        return f"``{c.item}``: {source_link(c.source, ctx.source_lines)}"
    item = f":fact:`{c.item}` ({_esc(fact.title)})"
    if c.source.startswith(("[A1]", "[A2]")):
        key = c.source[1:3]
        words = f": “{_esc(fact.quote)}”" if fact.quote else ""
        return f"{item}: the article ({key}){words}"
    return f"{item}: {source_link(c.source, ctx.source_lines)}"


@dataclass
class _Readers:
    """Who reads each rule, found by walking the operations."""

    ops: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, rule_id: str, text: str) -> None:
        if text not in self.ops[rule_id]:
            self.ops[rule_id].append(text)


def _readers(spec: Spec) -> _Readers:
    out = _Readers()
    for op in spec.operations:
        for u in op.obligations:
            out.add(u.rule.id, f":operation:`{op.name}` (caller obligation of every case)")
        for c in op.cases:
            for u in c.obligations:
                out.add(u.rule.id, f":case:`{c.id}` (caller obligation)")
            for u in c.violates:
                out.add(u.rule.id, f":case:`{c.id}` (taking the branch breaks it)")
            for u in c.guarantees:
                out.add(u.rule.id, f":case:`{c.id}` (kernel guarantee)")
    return out


def _rule_entry(r: Rule, ctx: Context, readers: _Readers) -> list[str]:
    i = "   "
    out = [f".. rule:: {r.id}", ""]
    out += [f"{i}*{r.kind.value}*: {_sentence(r.statement)}", ""]
    if r.params:
        out += [f"{i}:parameters: " + ", ".join(f"``{p.name}: {p.sort}``" for p in r.params)]
    reads = ", ".join(f"``{s.name}``" for s in sorted(r.reads, key=lambda s: s.name))
    if r.id.startswith("drv."):
        out += [f"{i}:checked by: the conformance harness, which observes the failure directly "
                "(this rule has no formula)"]
    else:
        out += [f"{i}:reads (frame): {reads or 'nothing'}"]
    out += [f"{i}:violation message: {_esc(r.message)}", ""]
    if not r.id.startswith("drv."):
        out += _code(render(r.formula), i)
    out += [f"{i}**Rests on**", ""]
    out += [f"{i}- {_cite(c, ctx)}" for c in r.citations] + [""]
    ops = readers.ops.get(r.id, [])
    tests = ctx.tests.get(r.id, [])
    must = [b for b in ctx.bugs if b.expected_rule == r.id]
    may = [b for b in ctx.bugs if r.id in b.also_acceptable]
    out += [f"{i}**Read by**", ""]
    if ops:
        used = "; ".join(ops)
    elif r.kind is RuleKind.INVARIANT:
        used = "every case that writes what it reads must preserve it (its consecution obligations)"
    elif r.kind is RuleKind.TRANSITION:
        used = ("every case that changes what it reads must satisfy it, its parameters bound "
                "to the operation's (its transition obligations)")
    elif r.id.startswith("drv."):
        used = "every call into the driver (the harness watches each one)"
    else:
        used = "none"
    out += [f"{i}- operations: {used}"]
    obs = ctx.obligations.get(r.id, [])
    if obs:
        out += [f"{i}- proof obligations: {_obligation_summary(obs, ctx.proofs)}"]
    out += [f"{i}- tests: " + (", ".join(f"``{t}``" for t in tests) if tests else "none names it")]
    out += [f"{i}- catalogue bugs that must break it: "
            + (", ".join(f":bug:`{b.id}`" for b in must) if must else "none")]
    if may:
        out += [f"{i}- catalogue bugs that may be reported under it: "
                + ", ".join(f":bug:`{b.id}`" for b in may)]
    out += [""]
    out += _conformance_lines(r, ctx, i)
    if obs and ctx.proofs is not None:
        out += _proof_table(obs, ctx.proofs, i)
    return out


def _kinds(obs: list[str]) -> str:
    kinds: dict[str, int] = defaultdict(int)
    for o in obs:
        kinds[o.split(":", 1)[0]] += 1
    return ", ".join(f"{n} {k}" for k, n in kinds.items())


def _verdicts(obs: list[str], run: ProofRun) -> str:
    """``37 PROVED`` / ``36 PROVED, **1 UNKNOWN**``: the verdicts of some obligations."""
    counts: dict[str, int] = defaultdict(int)
    for o in obs:
        res = run.results.get(o)
        counts[res.verdict if res else "not run"] += 1
    parts = [f"{n} {v}" if v == "PROVED" else f"**{n} {v}**"
             for v, n in sorted(counts.items(), key=lambda kv: kv[0] != "PROVED")]
    return ", ".join(parts)


def _obligation_summary(obs: list[str], run: ProofRun | None) -> str:
    head = f"{len(obs)} ({_kinds(obs)})"
    if run is None:
        return (f"{head}; this build ran no prover, so no verdict is shown: "
                f"``netdevspec prove`` decides them")
    total = sum(run.results[o].seconds for o in obs if o in run.results)
    return f"{head}: {_verdicts(obs, run)} in this build's run ({seconds(total)} in all)"


def _obligation_label(o: str, run: ProofRun) -> str:
    kind, _, rest = o.partition(":")
    res = run.results.get(o)
    case = res.case if res else None
    if case:
        return f"{kind} {'by' if kind == 'consecution' else 'of'} :case:`{case}`"
    return f"{kind} (``{_esc(rest)}``)" if rest else kind


def _proof_table(obs: list[str], run: ProofRun, i: str) -> list[str]:
    """Each obligation about a rule: its verdict, method and time in this build's run."""
    out = [f"{i}.. list-table:: Proof obligations (this build's ``netdevspec prove`` run)",
           f"{i}   :header-rows: 1", f"{i}   :class: proofs", "",
           f"{i}   * - obligation", f"{i}     - verdict", f"{i}     - method",
           f"{i}     - time"]
    for o in obs:
        res = run.results.get(o)
        if res is None:
            out += [f"{i}   * - {_obligation_label(o, run)}", f"{i}     - **not run**",
                    f"{i}     - —", f"{i}     - —"]
            continue
        verdict = res.verdict if res.verdict == "PROVED" else f"**{res.verdict}**"
        if res.detail and res.verdict != "PROVED":
            verdict += f": {_esc(res.detail)}"
        out += [f"{i}   * - {_obligation_label(o, run)}", f"{i}     - {verdict}",
                f"{i}     - {res.method or '—'}", f"{i}     - {seconds(res.seconds)}"]
    return [*out, ""]


def _conformance_lines(r: Rule, ctx: Context, i: str) -> list[str]:
    run = ctx.conformance
    if run is None:
        return []
    got = run.of(r.id)
    head = (f"{i}**On the reference drivers** (this build's ``netdevspec check``, seed "
            f"{run.seed}, {run.examples} generated scenarios): ")
    if not got:
        why = ("a kernel guarantee is the kernel's duty, so no driver is judged by it"
               if r.kind is RuleKind.GUARANTEE else "no driver is judged by it")
        return [head + why + ".", ""]
    return [head + "; ".join(f"{d} {v if v in ('PASS', 'NOT_APPLICABLE') else f'**{v}**'}"
                             for d, v in got.items()) + ".", ""]


def _use(u: Use) -> str:
    return f":rule:`{u.rule.id}` ``({', '.join(render(a) for a in u.args)})``"


def _case_proofs(c: Case, run: ProofRun) -> str:
    mine = [res for res in run.results.values() if res.case == c.id]
    parts = []
    for kind in ("non-vacuity", "frame"):
        for res in (x for x in mine if x.kind == kind):
            verdict = res.verdict if res.verdict == "PROVED" else f"**{res.verdict}**"
            parts.append(f"{kind} {verdict} ({res.method or 'no method'}, "
                         f"{seconds(res.seconds)})")
    cons = [x.id for x in mine if x.kind == "consecution"]
    if cons:
        total = sum(run.results[o].seconds for o in cons)
        parts.append(f"consecution of {len(cons)} invariant{'s' if len(cons) > 1 else ''}: "
                     f"{_verdicts(cons, run)} "
                     f"({seconds(total)} in all)")
    else:
        parts.append("consecution: none needed (the case writes nothing an invariant reads)")
    return "; ".join(parts)


def _case_entry(c: Case, run: ProofRun | None = None) -> list[str]:
    i = "   "
    ret = f" Returns {_esc(c.ret)}." if c.ret else ""
    out = [f".. case:: {c.id}", "", f"{i}{_capital(_sentence(c.statement))}{ret}", "",
           f"{i}Guard:", ""]
    out += _code(render(c.guard), i)
    if c.obligations:
        out += [f"{i}- extra caller obligations: " + ", ".join(_use(u) for u in c.obligations)]
    if c.violates:
        out += [f"{i}- taking this branch breaks: " + ", ".join(_use(u) for u in c.violates)
                + " (2.0.1 lets the call through; the monitor reports the rule)"]
    out += [f"{i}- modifies (frame): "
            + (", ".join(f"``{f}``" for f in c.modifies) or "nothing")]
    out += [f"{i}- guarantees: " + (", ".join(f":rule:`{u.rule.id}`" for u in c.guarantees)
                                    or "none beyond the frame")]
    if run is not None:
        out += [f"{i}- proofs (this build's run): {_case_proofs(c, run)}"]
    return [*out, ""]


def _operation_entry(op: Operation, ctx: Context) -> list[str]:
    i = "   "
    out = [f".. operation:: {op.name}", "", f"{i}{_capital(_sentence(op.statement))}", ""]
    if op.signature:
        out += [f"{i}:C: ``{op.signature}``"]
    params = ", ".join(f"``{p.name}: {p.sort}``" for p in op.params)
    out += [f"{i}:parameters: {params or 'none'}"]
    out += [f"{i}:caller obligations: "
            + (", ".join(_use(u) for u in op.obligations) or "none")]
    errnos = [c for c in op.cases if c.ret.startswith("-")]
    out += [f"{i}:errno branches: "
            + (", ".join(f":case:`{c.id}` ({_esc(c.ret)})" for c in errnos) or "none")]
    out += [f"{i}:rests on: " + "; ".join(_cite(c, ctx) for c in op.citations), ""]
    for c in op.cases:
        out += [i + line if line else "" for line in _case_entry(c, ctx.proofs)]
    return out


#: The pictures, by family page: file name, alternative text and caption.
FIGURES: dict[str, tuple[str, str, str]] = {
    "skb": ("skb-geometry.svg", "an sk_buff's head, data, tail and end after each call",
            "A buffer's geometry after each call, as the reference kernel left it "
            "(netdevspec.pictures runs the calls): skb.geometry holds in every row; "
            "skb_push and skb_put grow the data into the headroom and the tailroom."),
    "mod": ("module-phases.svg", "the phases of a module and the cases that move it",
            "mod.phase, read off the operations: an arrow is a case whose guard or caller "
            "obligations fix the phase before and whose guarantees fix it after."),
    "dev": ("device-phases.svg", "the phases of a device and the cases that move it",
            "dev.phase, read off the operations the same way: a device is inside at most "
            "one of its callbacks at a time."),
}


def _figure(fam: str, ctx: Context) -> list[str]:
    if fam not in FIGURES or FIGURES[fam][0] not in ctx.figures:
        return []
    name, alt, caption = FIGURES[fam]
    return [f".. figure:: figures/{name}", f"   :alt: {alt}", "   :width: 100%", "",
            f"   {_esc(caption)}", ""]


def _family_page(fam: str, rules: list[Rule], ctx: Context, readers: _Readers) -> str:
    title = FAMILIES.get(fam, f"The {fam}.* rules")
    out = [".. This page is generated from the rule objects (netdevspec.docgen).", ""]
    out += _title(f"{title} (``{fam}.*``)")
    kinds: dict[RuleKind, int] = defaultdict(int)
    for r in rules:
        kinds[r.kind] += 1
    out += [f"{len(rules)} rules: " + ", ".join(f"{n} {_plural(k)}" for k, n in kinds.items())
            + ". Formulas write ``f(x)`` for the state before a call and ``f′(x)`` for the "
            "state after it.", ""]
    out += _figure(fam, ctx)
    if fam == "drv":
        out += ["These rules are about a driver model as running Python code. They are not "
                "part of the proved spec: the conformance harness observes each failure "
                "directly and reports it under the rule's ID.", ""]
    for r in rules:
        out += _rule_entry(r, ctx, readers)
    return "\n".join(out)


def _operations_page(ctx: Context) -> str:
    spec = ctx.spec
    out = [".. This page is generated from the rule objects (netdevspec.docgen).", ""]
    out += _title("Operations")
    out += [f"{len(spec.operations)} kernel functions and callback returns, with "
            f"{sum(len(op.cases) for op in spec.operations)} cases. Each case is one branch "
            "(an outcome or an errno): its guard says when the kernel takes it, its frame what "
            "it may change, its guarantees what holds afterwards.", ""]
    for op in spec.operations:
        out += _operation_entry(op, ctx)
    return "\n".join(out)


def _runs_section(ctx: Context) -> list[str]:
    """What this build ran: the prover's and the checker's settings and totals."""
    out = _title("This build's runs", "-")
    out += ["The verdicts in the entries come from runs made while this site was built, "
            "not from a list kept by hand. Only the times (written like "
            f"``{seconds(0.012)}``) differ from one build to the next; every verdict is "
            "the same for the same spec, drivers and seeds.", ""]
    run = ctx.proofs
    if run is None:
        out += ["- proofs: this build ran no prover (``netdevspec_runs = False`` in "
                "``conf.py``); ``netdevspec prove`` decides every obligation."]
    else:
        counts = ", ".join(f"{n} {v}" if v == "PROVED" or not n else f"**{n} {v}**"
                           for v, n in run.counts().items())
        out += [f"- proofs: ``netdevspec prove`` (z3 {_esc(run.z3_version)}, seed {run.seed}, "
                f"{run.timeout_ms} ms per query): {len(run.results)} obligations, {counts}; "
                f"{seconds(run.wall_seconds)} of wall time."]
    conf = ctx.conformance
    if conf is None:
        out += ["- reference drivers: this build checked none (``netdevspec_runs = False``); "
                "``netdevspec check`` checks them."]
    else:
        for name, verdicts in conf.verdicts.items():
            tally: dict[str, int] = defaultdict(int)
            for v in verdicts.values():
                tally[v] += 1
            out += [f"- ``netdevspec check`` of {name} (seed {conf.seed}, {conf.examples} "
                    "generated scenarios): "
                    + ", ".join(f"{n} {v}" for v, n in sorted(tally.items())) + "."]
    return [*out, ""]


def _index_page(ctx: Context, families: list[str]) -> str:
    spec = ctx.spec
    rules = ctx.all_rules
    kinds = {k: sum(1 for r in rules.values() if r.kind is k) for k in RuleKind}
    out = [".. This page is generated from the rule objects (netdevspec.docgen).", ""]
    out += _title("Rule catalogue")
    out += [f"{len(rules)} rules ("
            + ", ".join(f"{n} {_plural(k)}" for k, n in kinds.items())
            + f"), {len(spec.operations)} operations with "
            f"{sum(len(op.cases) for op in spec.operations)} cases, {len(spec.vocabulary)} "
            "state symbols. Every page below is generated from the rule objects when the "
            "documentation is built; a rule's ID links to its entry anywhere in these pages "
            "(``{rule}`skb.put.bounds``` in MyST).", ""]
    out += [".. toctree::", "   :maxdepth: 1", ""]
    out += [f"   {fam}" for fam in families] + ["   operations", "   bugs"]
    out += ["   facts", "   traceability", ""] if ctx.facts is not None else [""]
    out += _runs_section(ctx)
    out += _title("State vocabulary", "-")
    out += [".. list-table::", "   :header-rows: 1", "", "   * - symbol", "     - signature",
            "     - meaning", "     - initially"]
    for s in spec.vocabulary:
        dflt = "NULL" if s.default is None else s.default
        out += [f"   * - ``{s.name}``", f"     - ``{s.signature()}``", f"     - {_esc(s.doc)}",
                f"     - {_esc(str(dflt))}"]
    out += [""]
    out += _title("Initial state", "-")
    for e in spec.initial:
        out += _code(render(e))
    out += _title("Scenarios the invariants must admit", "-")
    out += ["The non-vacuity proofs show that each of these states is reachable by the "
            "invariants.", ""]
    for sc in spec.scenarios:
        out += [f"``{sc.id}``: {_sentence(sc.statement)}", "", *_code(render(sc.formula))]
    out += _title("Decisions", "-")
    out += ["Where 2.0.1, the article and later kernels disagree, the spec decides, and says "
            "why.", ""]
    for d in spec.decisions:
        out += [f".. _{d.id}:", "", f"``{d.id}``", "~" * (len(d.id) + 4), "",
                f"- question: {_esc(d.question)}", f"- choice: {_esc(d.choice)}",
                f"- reason: {_esc(d.reason)}",
                "- rests on: " + "; ".join(_cite(c, ctx) for c in d.citations), ""]
    return "\n".join(out)


#: api-facts families, in order: prefix -> heading.
FACT_FAMILIES: dict[str, str] = {
    "REG": "Device registration and naming", "FLD": "Device structure fields",
    "RES": "Resource ownership: IRQ, I/O region, DMA", "SKB": "sk_buff geometry and functions",
    "Q": "Buffer queues", "CB": "Device callbacks and the transmit path",
    "FLG": "Interface flags", "RX": "The receive path", "MOD": "Modules",
    "ART": "The article's principles", "HAZ": "Hazards and discrepancies",
}


def _source_ref(ref: SourceRef, facts: Facts) -> str:
    if ref.key in ("A1", "A2"):
        return f"`the article ({ref.key}) <{facts.url(ref)}>`__"
    if ref.key == "K":
        return source_link(f"[K] {ref.where}", facts.lines)
    label = f"{ref.key} {ref.where}".strip()
    return f"`{_esc_link(label)} <{facts.url(ref)}>`__"


def citers(ctx: Context, item: str) -> dict[str, list[str]]:
    """What cites an api-facts item: rule IDs, operation names and decision IDs."""
    return {
        "rules": [r.id for r in ctx.all_rules.values()
                  if any(c.item == item for c in r.citations)],
        "operations": [op.name for op in ctx.spec.operations
                       if any(c.item == item for c in op.citations)],
        "decisions": [d.id for d in ctx.spec.decisions
                      if any(c.item == item for c in d.citations)],
    }


def _facts_page(ctx: Context) -> str:
    assert ctx.facts is not None
    facts = ctx.facts
    sections = {s.id: s for s in facts.sections}
    out = [".. This page is generated from spec/facts.toml (netdevspec.docgen).", ""]
    out += _title("The facts the rules rest on")
    out += ["Each item states, in our words, what the article (Alan Cox, *Network Buffers "
            "and Memory Management*, Linux Journal 1996) and the Linux 2.0.1 source establish. "
            "Every citation of a rule names one of these items. Quotations from the article "
            "are marked; the article's second half is lost, so for the device half the 2.0.1 "
            "source, which the article describes, stands in. Source keys:", ""]
    for key, src in facts.sources.items():
        out += [f"- **{key}**: `{_esc_link(src['title'])} <{src['url']}>`__"]
    out += [""]
    for fam, heading in FACT_FAMILIES.items():
        items = [f for f in facts.facts.values() if f.id.partition("-")[0] == fam]
        if not items:
            continue
        out += _title(f"{heading} ({fam})", "-")
        for f in items:
            sec = sections[f.section]
            out += [f".. fact:: {f.id}", "", f"   **{_esc(f.title)}**. {_sentence(f.text)}", ""]
            if f.quote:
                out += [f"   The article ({sec.source}, *{_esc(sec.title)}*): “{_esc(f.quote)}”",
                        ""]
            out += [f"   - article section: *{_esc(sec.title)}*"]
            out += ["   - sources: " + ", ".join(_source_ref(r, facts) for r in f.sources)]
            who = citers(ctx, f.id)
            refs = ([f":rule:`{x}`" for x in who["rules"]]
                    + [f":operation:`{x}`" for x in who["operations"]]
                    + [f":ref:`{x}`" for x in who["decisions"]])
            out += ["   - cited by: " + (", ".join(refs) or "nothing")]
            if f.id in ctx.spec.left_out:
                out += [f"   - not a rule because: {_esc(ctx.spec.left_out[f.id])}"]
            out += [""]
    return "\n".join(out)


def trace_rows(ctx: Context) -> list[Row]:
    """The traceability matrix of this context (see :mod:`netdevspec.traceability`)."""
    assert ctx.facts is not None
    bugs: dict[str, list[str]] = defaultdict(list)
    for b in ctx.bugs:
        bugs[b.expected_rule].append(b.id)
    citing = {fid: citers(ctx, fid) for fid in ctx.facts.facts}
    return matrix(ctx.spec, ctx.all_rules, ctx.facts, citing, ctx.obligations, ctx.tests, bugs)


def _trace_page(ctx: Context) -> str:
    rows = trace_rows(ctx)
    out = [".. This page is generated (netdevspec.docgen, netdevspec.traceability).", ""]
    out += _title("Traceability matrix")
    out += ["From each section of the article to the api-facts items it states, the rules "
            "that rest on each item, the proof obligations about those rules ("
            + (f"this build's prover run: {_verdicts(list(ctx.proofs.results), ctx.proofs)} "
               f"of {len(ctx.proofs.results)}; " if ctx.proofs is not None else "")
            + f"``{PROVED_BY}`` requires every one PROVED in CI), the tests that name the "
            "rules and "
            "the catalogue bugs that must break them. Counts of obligations and tests are "
            "over all the item's rules; follow a rule to see its own. Sections marked *text "
            "lost* are the article's device half, which survives only as the 2.0.1 source "
            "it describes.", ""]
    gaps = item_gaps(rows)
    rgaps = rule_gaps(list(ctx.all_rules), ctx.obligations, ctx.tests)
    out += ["**Gaps.** " + (f"{len(gaps)} items no rule, operation or decision cites (each "
                           "with its reason in the last column); " if gaps else "No item "
                           "is uncited; ")
            + (f"{len(rgaps)} rules no test names and no obligation is about: "
               + ", ".join(f":rule:`{r}` ({_esc(ACCEPTED_GAPS.get(r, 'not accepted'))})"
                           for r in rgaps) + "." if rgaps else
               "every rule is named by a test or proved."), ""]
    out += [".. list-table::", "   :header-rows: 1", "   :class: trace-matrix", "",
            "   * - article section", "     - item", "     - rules", "     - obligations",
            "     - tests", "     - bugs"]
    covered = {row.section.id for row in rows}
    for sec in ctx.facts.sections if ctx.facts else ():
        if sec.id not in covered:  # a section that states no API fact: say so
            out += [f"   * - {_esc(sec.title)} ({sec.source})", "     - —",
                    "     - no item: the section introduces the design, it states no rule",
                    "     - —", "     - —", "     - —"]
    for row in rows:
        refs = ([f":rule:`{x}`" for x in row.rules]
                + [f":operation:`{x}`" for x in row.operations]
                + [f":ref:`{x}`" for x in row.decisions])
        cover = ", ".join(refs) if refs else f"**gap**: {_esc(row.left_out or 'no reason')}"
        tests = f"{len(row.tests)}" if row.tests else "—"
        out += [f"   * - {_esc(row.section.title)} ({row.section.source})",
                f"     - :fact:`{row.fact.id}` {_esc(row.fact.title)}", f"     - {cover}",
                f"     - {row.obligations or '—'}", f"     - {tests}",
                "     - " + (", ".join(f":bug:`{b}`" for b in row.bugs) or "—")]
    return "\n".join([*out, ""])


def _bug_families(bugs: Iterable[Bug]) -> dict[str, list[Bug]]:
    out: dict[str, list[Bug]] = defaultdict(list)
    for b in bugs:
        out[b.family or "other"].append(b)
    return dict(out)


def _module_doc(family: str) -> tuple[str, str]:
    """A catalogue module's title (its docstring's first line, without the "Buggy
    drivers:" prefix) and the rest of its docstring."""
    import importlib

    doc = importlib.import_module(f"netdevspec.reference.buggy.{family}").__doc__ or ""
    first, _, rest = doc.strip().partition("\n")
    title = first.removeprefix("Buggy drivers:").strip().rstrip(".")
    return (title[:1].upper() + title[1:]) or family, rest.strip()


def _bug_source(b: Bug) -> str:
    """The buggy driver's class, as written in the catalogue (its override is the bug)."""
    import importlib
    import inspect

    module, _, attr = b.factory.partition(":")
    obj = getattr(importlib.import_module(module), attr)
    return inspect.getsource(obj).rstrip("\n")


def _bugs_page(ctx: Context) -> str:
    out = [".. This page is generated from reference/buggy/manifest.json (netdevspec.docgen).",
           ""]
    out += _title("Catalogue bugs")
    families = _bug_families(ctx.bugs)
    out += [f"{len(ctx.bugs)} buggy driver models, each a reference driver with one bug "
            f"injected, in {len(families)} families. The conformance suite must report each "
            "under the rule named here (or one of the rules it also accepts). Each family's "
            "page shows every bug's code, the rule it breaks and the report "
            "``netdevspec check`` gives on it.", ""]
    out += [".. toctree::", "   :maxdepth: 1", ""]
    out += [f"   bugs-{fam}" for fam in families] + [""]
    out += [".. list-table::", "   :header-rows: 1", "", "   * - bug", "     - what it does",
            "     - must break"]
    for b in ctx.bugs:
        out += [f"   * - :bug:`{b.id}`", f"     - {_sentence(b.description)}",
                f"     - :rule:`{b.expected_rule}`"]
    return "\n".join([*out, ""])


def _bug_entry(b: Bug, ctx: Context) -> list[str]:
    i = "   "
    rule = ctx.all_rules.get(b.expected_rule)
    out = [f".. bug:: {b.id}", "", f"{i}{_sentence(b.description)}", ""]
    out += [f"{i}- built on: the reference ``{b.base}`` driver",
            f"{i}- breaks: :rule:`{b.expected_rule}`"
            + (f": {_sentence(rule.statement)}" if rule else "")]
    if b.also_acceptable:
        out += [f"{i}- may also be reported under: "
                + ", ".join(f":rule:`{x}`" for x in b.also_acceptable)]
    out += [f"{i}- check it yourself: ``netdevspec check {b.factory}``", ""]
    if b.factory:
        out += [f"{i}The bug (the override marked ``BUG``):", "",
                f"{i}.. code-block:: python", ""]
        out += [f"{i}   {line}" if line else "" for line in _bug_source(b).splitlines()]
        out += [""]
    rep = (ctx.bug_reports or {}).get(b.id)
    if rep is not None:
        caught = b.expected_rule in rep.failed
        out += [f"{i}The report ``netdevspec check {b.factory} --examples {BUG_EXAMPLES}`` "
                f"gives (this build's run, seed {CHECK_SEED}); "
                + ("it fails the rule the catalogue names." if caught else
                   f"**it does not fail** :rule:`{b.expected_rule}`."), ""]
        out += _code(rep.text.rstrip("\n"), i)
    return out


def _bug_family_page(family: str, bugs: list[Bug], ctx: Context) -> str:
    title, doc = _module_doc(family)
    out = [".. This page is generated from reference/buggy/ (netdevspec.docgen).", ""]
    out += _title(f"Bugs: {title}")
    # The module's docstring is reStructuredText already (ours): shown as written.
    out += [f"{len(bugs)} buggy drivers from ``reference/buggy/{family}.py``.", ""]
    out += [doc, ""] if doc else []
    if ctx.bug_reports is None:
        out += ["This build checked no bug (``netdevspec_runs = False``): run the command "
                "under each bug to see its report.", ""]
    for b in bugs:
        out += _bug_entry(b, ctx)
    return "\n".join([*out, ""])


def pages(ctx: Context) -> dict[str, str]:
    """Every generated page, by its document name relative to the rules folder."""
    readers = _readers(ctx.spec)
    by_family: dict[str, list[Rule]] = defaultdict(list)
    for r in ctx.all_rules.values():
        by_family[family_of(r.id)].append(r)
    families = [f for f in FAMILIES if f in by_family]
    families += sorted(f for f in by_family if f not in FAMILIES)
    out = {"index": _index_page(ctx, families), "operations": _operations_page(ctx),
           "bugs": _bugs_page(ctx)}
    for fam, bugs in _bug_families(ctx.bugs).items():
        out[f"bugs-{fam}"] = _bug_family_page(fam, bugs, ctx)
    if ctx.facts is not None:
        out["facts"] = _facts_page(ctx)
        out["traceability"] = _trace_page(ctx)
    for fam in families:
        out[fam] = _family_page(fam, by_family[fam], ctx, readers)
    return out
