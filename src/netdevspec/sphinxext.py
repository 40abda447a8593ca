"""A Sphinx extension: the rule catalogue, generated from the rule objects at build time.

``extensions = ["netdevspec.sphinxext"]`` in ``conf.py`` gives:

- object types ``rule``, ``operation``, ``case``, ``bug`` and ``fact``, each with an
  index entry, a search entry and a cross-reference role (``{rule}`skb.put.bounds``` in
  MyST, ``:rule:`skb.put.bounds``` in reST); a reference to an ID that has no entry is
  a warning, so ``sphinx -W`` fails on it;
- the pages of :func:`netdevspec.docgen.pages` and the pictures of
  :func:`netdevspec.pictures.figures`, written into ``rules/`` of the source folder when
  the build starts (that folder is generated: never edit or commit it).

When the build starts it also proves every obligation and checks the reference drivers
(:mod:`netdevspec.evidence`), and the entries show each obligation's verdict and time and
each rule's verdict on each reference driver; it checks every catalogue bug too, and
each bug's page shows the report. An obligation that is not PROVED, or a
reference driver that FAILs a rule, is a warning of type ``netdevspec`` (subtypes
``proof`` and ``check``), so ``sphinx -W`` fails on it; ``suppress_warnings`` can let a
build through that is meant to show such a result.

Config values:

- ``netdevspec_tests_dir``: the folder scanned for tests that name a rule (default
  ``../tests`` beside the documentation's source folder);
- ``netdevspec_runs``: run the prover and the checker during the build (default True;
  False builds the pages without verdicts or bug reports, and they say so);
- ``netdevspec_prove_jobs``: the prover's processes, and how many catalogue bugs are
  checked at a time (default 2).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from netdevspec import docgen
from netdevspec.evidence import BugReport, ConformanceRun, ProofRun
from netdevspec.traceability import obligations_by_rule

__all__ = ["OBJECT_TYPES", "generate", "setup"]

_log = logging.getLogger(__name__)

#: The object types this extension adds to Sphinx's standard domain.
OBJECT_TYPES = ("rule", "operation", "case", "bug", "fact")
#: The folder of the source tree the generated pages go to.
GENERATED = "rules"


def context(tests_dir: Path) -> docgen.Context:
    """Everything the pages are generated from: the spec, the driver rules, tests, bugs."""
    from netdevspec.conformance.model_rules import MODEL_RULES
    from netdevspec.spec import SPEC
    from netdevspec.spec.facts import FACTS

    ids = [*SPEC.rules, *(r.id for r in MODEL_RULES)]
    return docgen.Context(spec=SPEC, extra_rules=MODEL_RULES,
                          tests=docgen.tests_naming(ids, tests_dir), bugs=docgen.load_bugs(),
                          facts=FACTS, obligations=obligations_by_rule(SPEC))


def _write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless it is there already; True when written.

    The file is replaced whole (write beside it, then rename), so a build running at
    the same time in the same checkout never reads half a page.
    """
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return True


def generate(srcdir: Path, tests_dir: Path, proofs: ProofRun | None = None,
             conformance: ConformanceRun | None = None,
             bug_reports: Mapping[str, BugReport] | None = None) -> list[Path]:
    """Write the generated pages into ``srcdir/rules``; returns the files that changed.

    ``proofs``, ``conformance`` and ``bug_reports`` are the runs whose verdicts the
    pages show (None: the pages say that the build ran none).

    A file whose content is unchanged is not rewritten, so an incremental build does
    not read it again.
    """
    from netdevspec.pictures import figures
    from netdevspec.spec import SPEC

    out_dir = srcdir / GENERATED
    (out_dir / "figures").mkdir(parents=True, exist_ok=True)
    changed = []
    pictures = figures(SPEC)
    for name, svg in pictures.items():
        path = out_dir / "figures" / name
        if _write_if_changed(path, svg):
            changed.append(path)
    ctx = dataclasses.replace(context(tests_dir), figures=frozenset(pictures), proofs=proofs,
                              conformance=conformance, bug_reports=bug_reports)
    generated = docgen.pages(ctx)
    for name, text in generated.items():
        path = out_dir / f"{name}.rst"
        if _write_if_changed(path, text):
            changed.append(path)
    for stale in out_dir.glob("*.rst"):  # a family that no longer exists
        if stale.stem not in generated:
            stale.unlink()
            changed.append(stale)
    return changed


def _builder_inited(app: Sphinx) -> None:
    srcdir = Path(app.srcdir)
    tests = app.config.netdevspec_tests_dir
    tests_dir = Path(tests) if tests else srcdir.parent / "tests"
    proofs = conformance = bugs = None
    if app.config.netdevspec_runs:
        from netdevspec import evidence

        _log.info("netdevspec: proving every obligation for the rule entries")
        proofs = evidence.proof_run(evidence.prove_everything(app.config.netdevspec_prove_jobs))
        _log.info("netdevspec: checking the reference drivers for the rule entries")
        conformance = evidence.conformance_run(evidence.check_reference_drivers())
        _log.info("netdevspec: checking the catalogue bugs for their pages")
        catalogue = docgen.load_bugs()
        bugs = evidence.check_bugs([b.id for b in catalogue], app.config.netdevspec_prove_jobs)
        _warn_on_runs(proofs, conformance)
        for b in catalogue:
            if b.expected_rule not in bugs[b.id].failed:
                _log.warning("the catalogue bug %s does not fail %s (it fails %s): its page "
                             "shows the report; run `netdevspec check %s` to see it", b.id,
                             b.expected_rule, ", ".join(bugs[b.id].failed) or "nothing",
                             b.factory, type="netdevspec", subtype="check")
    generate(srcdir, tests_dir, proofs, conformance, bugs)


def _warn_on_runs(proofs: ProofRun, conformance: ConformanceRun) -> None:
    """A warning for each obligation not PROVED and each rule a reference driver FAILs."""
    for res in proofs.not_proved:
        _log.warning("the obligation %s is %s, not PROVED%s: the rule entries show it; run "
                     "`netdevspec prove --explain %s` to see why", res.id, res.verdict,
                     f" ({res.detail})" if res.detail else "", res.id,
                     type="netdevspec", subtype="proof")
    for driver, verdicts in conformance.verdicts.items():
        for rid, verdict in verdicts.items():
            if verdict in ("FAIL", "UNRESOLVED"):
                _log.warning("the reference driver %s gets %s on %s: a reference driver must "
                             "conform; run `netdevspec check` on it to see the finding",
                             driver, verdict, rid, type="netdevspec", subtype="check")


def _missing_reference(app: Sphinx, env: BuildEnvironment, node: pending_xref,
                       contnode: object) -> None:
    # Sphinx's standard domain drops a dangling reference to a custom object type
    # silently; a catalogue whose links may dangle is not one people can trust.
    if node.get("refdomain") == "std" and node.get("reftype") in OBJECT_TYPES:
        _log.warning("%s %r has no entry in the documentation: check the ID (the catalogue "
                     "lists every %s)", node["reftype"], node["reftarget"], node["reftype"],
                     location=node, type="netdevspec", subtype="ref")


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the object types, the config value and the page generator."""
    for objtype in OBJECT_TYPES:
        app.add_object_type(objtype, objtype, indextemplate=f"pair: %s; {objtype}",
                            objname=f"spec {objtype}")
    app.add_config_value("netdevspec_tests_dir", "", "env", types=[str])
    app.add_config_value("netdevspec_runs", True, "env", types=[bool])
    app.add_config_value("netdevspec_prove_jobs", 2, "env", types=[int])
    app.connect("builder-inited", _builder_inited)
    app.connect("missing-reference", _missing_reference)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
