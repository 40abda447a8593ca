"""Differential tests against Linux 2.0.1's ``kernel/module.c`` (sys_init_module,
sys_delete_module) and the use-count macros of ``include/linux/module.h``."""

from __future__ import annotations

from linux201 import branch
from netdevspec.reference import EBUSY, EEXIST, ENOENT, Kernel, Module

MOD = "kernel/module.c"


@branch(f"{MOD}:249", "sys_init_module", "use count raised by 1 while init_module runs")
@branch(f"{MOD}:255", "sys_init_module", "init returned 0: count back, MOD_RUNNING, 0")
def test_init_module_success(kernel: Kernel) -> None:
    seen: list[int] = []
    m = Module("m", init_module=lambda: seen.append(m.use_count) or 0)
    assert kernel.insmod(m) == 0
    assert seen == [1] and m.use_count == 0 and kernel.modules == {"m": m}


@branch(f"{MOD}:252", "sys_init_module", "init failed: use count 0, -EBUSY")
def test_init_module_failure(kernel: Kernel) -> None:
    m = Module("m", init_module=lambda: -19)
    assert kernel.insmod(m) == -EBUSY
    assert m.use_count == 0 and "m" not in kernel.modules  # insmod deletes it again


@branch(f"{MOD}:96", "sys_create_module", "a module of that name exists: -EEXIST")
def test_insmod_twice(kernel: Kernel) -> None:
    assert kernel.insmod(Module("m")) == 0
    assert kernel.insmod(Module("m")) == -EEXIST


@branch(f"{MOD}:274", "sys_delete_module", "no such module: -ENOENT")
@branch(f"{MOD}:277", "sys_delete_module", "use count non-zero: -EBUSY")
@branch(f"{MOD}:280", "sys_delete_module", "running: cleanup_module, then deleted")
def test_delete_module(kernel: Kernel) -> None:
    cleaned: list[str] = []
    m = Module("m", cleanup_module=lambda: cleaned.append("m"))
    assert kernel.rmmod("nope") == -ENOENT
    kernel.insmod(m)
    kernel.mod_inc_use_count(m)
    assert kernel.mod_in_use(m) and kernel.rmmod("m") == -EBUSY and cleaned == []
    kernel.mod_dec_use_count(m)
    assert kernel.rmmod("m") == 0 and cleaned == ["m"] and kernel.modules == {}


MODH = "include/linux/module.h"


@branch(f"{MODH}:89", "MOD_INC_USE_COUNT", "in a module: the use count + 1")
@branch(f"{MODH}:90", "MOD_DEC_USE_COUNT", "in a module: the use count - 1")
@branch(f"{MODH}:91", "MOD_IN_USE", "in a module: the use count is non-zero")
@branch(f"{MODH}:104", "MOD_INC_USE_COUNT", "outside a module: nothing")
@branch(f"{MODH}:106", "MOD_IN_USE", "outside a module: 1")
def test_use_count_macros(kernel: Kernel) -> None:
    m = Module("m")
    kernel.insmod(m)
    with kernel.running(m):
        assert not kernel.mod_in_use()
        kernel.mod_inc_use_count()
        assert kernel.mod_in_use() and m.use_count == 1
        kernel.mod_dec_use_count()
        assert m.use_count == 0
    kernel.mod_inc_use_count()  # the kernel's own code: no module, no count
    assert kernel.mod_in_use() and m.use_count == 0
