"""netdevspec: an executable formal specification of the Linux 2.0 network-driver API.

The rules live in :mod:`netdevspec.spec` (``netdevspec.spec.SPEC``), the z3 proofs in
:mod:`netdevspec.model` (``netdevspec.model.Prover``).
"""

from netdevspec.errors import NetdevspecError, RuleViolation, SpecError, UsageError

__version__ = "0.1.0"
__all__ = ["NetdevspecError", "RuleViolation", "SpecError", "UsageError", "__version__"]
