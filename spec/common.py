"""Variables and caller obligations shared by several rule families."""

from __future__ import annotations

from netdevspec.spec._build import A1, A2, K, cite, obligation
from netdevspec.spec.logic import BOOL, INT, And, Var, null
from netdevspec.spec.vocabulary import (
    ACT,
    BLK,
    DEV,
    KERNEL,
    PARTY,
    QUEUE,
    REGION,
    SKB,
    dev_owner,
    dev_reg,
    loaded,
    q_init,
    q_owner,
    skb_alive,
    skb_owner,
    skb_queued,
)

# Operation parameters. Every rule binds these same objects, so one name means one thing.
c = Var("c", PARTY)
m = Var("m", PARTY)
d = Var("d", DEV)
b = Var("b", SKB)
b2 = Var("b2", SKB)
k = Var("k", BLK)
q = Var("q", QUEUE)
a = Var("a", ACT)
r = Var("r", REGION)
n = Var("n", INT)
h = Var("h", INT)
i = Var("i", INT)
rc = Var("rc", INT)
pri = Var("pri", INT)
ret = Var("ret", INT)
flag_ok = Var("handler", BOOL)

# Bound variables (never operation parameters).
x = Var("x", SKB)
y = Var("y", SKB)
e = Var("e", DEV)
e2 = Var("e2", DEV)
j = Var("j", INT)
u = Var("u", INT)

CALLER_LOADED = obligation(
    "api.caller.module",
    "a driver calls the API as a loaded module, never as the kernel itself",
    (c,), And(c != KERNEL, c != null(PARTY), loaded(c)),
    cite(("MOD-1", K("kernel/module.c")), ("MOD-3", K("include/linux/module.h"))),
    "{c} called the driver API while not loaded (or as the kernel)",
)

SKB_ALIVE = obligation(
    "skb.use.alive",
    "a buffer is used only while it is allocated: no use after free, no double free",
    (b,), skb_alive(b),
    cite(("SKB-12", K("net/core/skbuff.c skb_check")), ("SKB-10", K("net/core/skbuff.c"))),
    "buffer {b} was used after it was freed (or was never allocated)",
)

SKB_OWNED = obligation(
    "skb.use.owner",
    "a caller touches only buffers it owns: not after netif_rx, a 0 return from "
    "hard_start_xmit's caller side, or any other hand-off",
    (c, b), skb_owner(b) == c,
    cite(("RX-5", K("net/core/dev.c netif_rx")), ("CB-4", K("net/core/dev.c do_dev_queue_xmit")),
         ("SKB-14", A1)),
    "{c} touched buffer {b}, which it does not own (it was handed to someone else)",
)

SKB_UNQUEUED_FREE = obligation(
    "skb.free.unqueued",
    "a buffer is not on a queue when it is freed",
    (b,), ~skb_queued(b),
    cite(("SKB-10", K("net/core/skbuff.c kfree_skb")), ("Q-7", K("include/linux/skbuff.h")),
         ("HAZ-9", K("net/core/skbuff.c kfree_skb"))),
    "buffer {b} was freed while still on a queue (unlink it first)",
)

DEV_OWNED = obligation(
    "dev.use.owner",
    "a driver acts only on a registered device that it registered itself",
    (c, d), dev_reg(d) & (dev_owner(d) == c),
    cite(("REG-10", A2), ("REG-9", K("drivers/net/net_init.c unregister_netdev"))),
    "{c} acted on device {d}, which is not registered by it",
)

Q_OWNED = obligation(
    "queue.use.owner",
    "a caller uses only an initialised queue that it owns (never NULL: 2.0 dereferences it)",
    (c, q), And(q != null(QUEUE), q_init(q), q_owner(q) == c),
    cite(("Q-1", K("include/linux/skbuff.h skb_queue_head_init")), ("Q-7", A1)),
    "{c} used queue {q}, which is uninitialised or belongs to someone else",
)
