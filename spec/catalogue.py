"""The assembled specification: every family's rules, the initial state, the decisions."""

from __future__ import annotations

from netdevspec.spec import buffers
from netdevspec.spec.logic import And, Forall, Implies
from netdevspec.spec.rules import Spec
from netdevspec.spec.vocabulary import (
    BACKLOG,
    CONSTANTS,
    KERNEL,
    VOCABULARY,
    blk_live,
    q_dev,
    q_hi,
    q_init,
    q_lo,
    q_owner,
    skb_alive,
    skb_ever,
    skb_queued,
)
from netdevspec.spec.buffers import kv, qv
from netdevspec.spec.common import x

INITIAL = (
    Forall(x, And(~skb_ever(x), ~skb_alive(x), ~skb_queued(x))),
    Forall(kv, ~blk_live(kv)),
    Forall(qv, And(q_init(qv) == (qv == BACKLOG), q_lo(qv) == 0, q_hi(qv) == 0,
                   Implies(qv == BACKLOG, q_owner(qv) == KERNEL))),
)

SPEC = Spec(
    vocabulary=VOCABULARY,
    constants=CONSTANTS,
    initial=INITIAL,
    invariants=buffers.INVARIANTS,
    operations=buffers.OPERATIONS,
)
del q_dev
