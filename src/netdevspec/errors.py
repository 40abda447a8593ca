"""The exceptions netdevspec raises. Every message says what is wrong, why, and what to do."""

from __future__ import annotations

__all__ = ["NetdevspecError", "RuleViolation", "SpecError", "UsageError"]


class NetdevspecError(Exception):
    """Base class of every error netdevspec raises on purpose."""

    def __init__(self, what: str, why: str = "", fix: str = ""):
        self.what, self.why, self.fix = what, why, fix
        parts = [what]
        if why:
            parts.append(f"Why: {why}.")
        if fix:
            parts.append(f"Fix: {fix}.")
        super().__init__(" ".join(p if p.endswith((".", "?", "!")) else p + "." for p in parts))


class SpecError(NetdevspecError):
    """A rule, operation or formula of the specification is malformed."""


class UsageError(NetdevspecError):
    """A caller passed something netdevspec cannot work with (bad option, unknown ID)."""


class RuleViolation(NetdevspecError, AssertionError):
    """A concrete state or call breaks a rule of the specification."""

    def __init__(self, rule_id: str, message: str, citation: str = ""):
        self.rule_id = rule_id
        why = f"the rule {rule_id} says so ({citation})" if citation else f"rule {rule_id}"
        super().__init__(message, why, "see the rule's statement in the catalogue")
