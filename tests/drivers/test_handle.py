"""The kernel handle: one choke point for every call, run as the module, clear errors."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import pytest
from drivertools import load
from netdevspec.conformance.handle import (
    C_SIGNATURES,
    DirectMonitor,
    KernelHandle,
    RecordingMonitor,
    make_module,
)
from netdevspec.reference import (
    EBUSY,
    ETH_P_IP,
    FREE_WRITE,
    IFF_UP,
    Device,
    EnetStatistics,
    Kernel,
    Module,
)
from netdevspec.reference.drivers import DRIVERS, dummy, skeleton

#: Every function the brief asks the handle to offer, by kernel name.
REQUIRED = {
    "register_netdev", "unregister_netdev", "dev_get", "dev_alloc_name", "init_etherdev",
    "ether_setup", "request_irq", "free_irq", "disable_irq", "enable_irq", "cli", "sti",
    "save_flags", "restore_flags", "check_region", "request_region", "release_region",
    "request_dma", "free_dma", "alloc_skb", "dev_alloc_skb", "skb_put", "skb_push",
    "skb_pull", "skb_reserve", "skb_trim", "skb_headroom", "skb_tailroom", "kfree_skb",
    "dev_kfree_skb", "skb_clone", "skb_copy", "skb_queue_head_init", "skb_queue_head",
    "skb_queue_tail", "skb_dequeue", "skb_peek", "skb_queue_len", "skb_unlink", "skb_insert",
    "skb_append", "netif_rx", "eth_type_trans", "dev_tint", "mark_bh", "inb", "inw", "inl",
    "outb", "outw", "outl", "insb", "insw", "outsb", "outsw", "MOD_INC_USE_COUNT",
    "MOD_DEC_USE_COUNT", "printk", "skb_put_data", "skb_write", "skb_read",
}
#: Handle names whose kernel method is spelled differently.
KERNEL_METHOD = {"MOD_INC_USE_COUNT": "mod_inc_use_count",
                 "MOD_DEC_USE_COUNT": "mod_dec_use_count", "MOD_IN_USE": "mod_in_use"}


class Intercepted(Exception):
    """Raised by the intercepting monitor instead of calling the kernel."""


class Intercept:
    """A monitor that records who ran, what was asked and the implementation, and stops."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.seen: list[tuple[str, Callable[..., object], tuple[object, ...], object]] = []

    def call(self, name: str, fn: Callable[..., object], args: tuple[object, ...]) -> object:
        self.seen.append((name, fn, args, self.kernel.current))
        raise Intercepted(name)


@pytest.fixture
def kernel() -> Kernel:
    return Kernel()


@pytest.fixture
def module(kernel: Kernel) -> Module:
    m = Module("drv")
    assert kernel.insmod(m) == 0
    return m


def test_offers_every_required_function() -> None:
    """The brief's list of kernel functions is all there, each with its C signature."""
    assert not REQUIRED - set(C_SIGNATURES), REQUIRED - set(C_SIGNATURES)
    for name in C_SIGNATURES:
        assert callable(getattr(KernelHandle, name)), name


def test_every_function_goes_through_the_monitor_as_the_module(kernel: Kernel,
                                                              module: Module) -> None:
    """Each handle function makes exactly one monitor call, under its kernel name, with the
    driver's arguments, the reference kernel's implementation, running as the module."""
    mon = Intercept(kernel)
    h = KernelHandle(kernel, module, mon)
    for name in sorted(C_SIGNATURES):
        method = getattr(h, name)
        params = inspect.signature(inspect.unwrap(getattr(KernelHandle, name))).parameters
        args = tuple(object() for _ in list(params)[1:])  # all but self
        with pytest.raises(Intercepted, match=f"^{name}$"):
            method(*args)
        seen_name, fn, seen_args, current = mon.seen[-1]
        assert (seen_name, seen_args, current) == (name, args, module)
        # the kernel's own function: a method of the kernel or of one of its parts
        owner = getattr(fn, "__self__", None)
        assert owner is kernel or any(owner is part for part in vars(kernel).values()), name
        assert fn == getattr(kernel, KERNEL_METHOD.get(name, name)), name
    assert len(mon.seen) == len(C_SIGNATURES)
    assert kernel.current is None


def test_default_monitor_calls_the_kernel(kernel: Kernel, module: Module) -> None:
    """Without a monitor the call simply happens, attributed to the module."""
    h = KernelHandle(kernel, module)
    assert h.check_region(0x300, 32) == 0
    h.request_region(0x300, 32, "drv")
    assert [(r.start, r.num, r.owner) for r in kernel.regions] == [(0x300, 32, module)]
    assert h.check_region(0x300, 32) == -EBUSY
    h.free_dma(3)  # not held: recorded against the module
    assert [(m.kind, m.module) for m in kernel.misuse] == [("free_dma_not_held", "drv")]
    h.release_region(0x300, 32)
    assert isinstance(DirectMonitor().call("x", lambda a: a + 1, (1,)), int)


def test_recording_monitor_sees_a_driver_in_order(kernel: Kernel) -> None:
    """A recording monitor sees the dummy driver's calls, in order, with their arguments:
    nested calls (ether_setup inside register_netdev's probe) come after their caller."""
    mon = RecordingMonitor()
    dm = load(kernel, dummy.FACTORY, monitor=mon)
    dev = dm.model.dev  # type: ignore[attr-defined]
    assert mon.names == ["dev_get", "register_netdev", "ether_setup"]
    assert mon.calls[0][1] == ("dummy0",) and mon.calls[1][1] == (dev,)
    assert kernel.dev_open(dev) == 0
    skb = kernel.alloc_skb(64)
    assert skb is not None
    kernel.skb_put_data(skb, bytes(20))
    skb.free = skb.arp = 1
    kernel.dev_queue_xmit(skb, dev, 0)
    kernel.dev_close(dev)
    assert kernel.rmmod(dm.module) == 0
    assert mon.names[3:] == ["MOD_INC_USE_COUNT", "dev_kfree_skb", "MOD_DEC_USE_COUNT",
                             "unregister_netdev"]
    assert mon.calls[4][1] == (skb, FREE_WRITE)
    assert kernel.misuse == []


def test_the_kernel_is_not_reachable(kernel: Kernel, module: Module) -> None:
    """No public attribute of the handle is the kernel or one of its bound methods."""
    h = KernelHandle(kernel, module)
    for name in dir(h):
        value = getattr(h, name)
        assert value is not kernel, name
        assert getattr(value, "__self__", None) is not kernel, name
    with pytest.raises(AttributeError, match="only through the handle"):
        h.kernel  # type: ignore[attr-defined]  # noqa: B018


@pytest.mark.parametrize(("typo", "suggestion"), [
    ("skb_putt", "skb_put"),
    ("request_irg", "request_irq"),
    ("mod_inc_use_count", "MOD_INC_USE_COUNT"),
    ("register_netdevice", "register_netdev"),
    ("dev_free_skb", "dev_kfree_skb"),
])
def test_unknown_name_suggests_the_nearest(kernel: Kernel, module: Module, typo: str,
                                           suggestion: str) -> None:
    """An unknown attribute is an AttributeError naming the nearest kernel functions."""
    h = KernelHandle(kernel, module)
    with pytest.raises(AttributeError, match=f"no '{typo}'.*nearest.*{suggestion}"):
        getattr(h, typo)


def test_c_names_a_python_driver_does_without(kernel: Kernel, module: Module) -> None:
    """C names deliberately absent say what to do instead."""
    h = KernelHandle(kernel, module)
    with pytest.raises(AttributeError, match="dev.priv"):
        h.kmalloc  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(AttributeError, match="dev_get"):
        h.dev_base  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(AttributeError, match="skb_put_data"):
        h.memcpy  # type: ignore[attr-defined]  # noqa: B018


def test_irq2dev_map_is_the_kernels_array(kernel: Kernel, module: Module) -> None:
    """irq2dev_map (RES-4) is 2.0's exported array: what a driver stores, the kernel holds;
    it is a variable, not a call, so it changes no state the monitor sees."""
    h = KernelHandle(kernel, module)
    dev = h.Device("x")
    h.irq2dev_map[5] = dev
    assert kernel.irq2dev_map[5] is dev and len(h.irq2dev_map) == 16


def test_wrong_argument_count_quotes_the_c_signature(kernel: Kernel, module: Module) -> None:
    """A wrong argument count is a TypeError carrying the C signature."""
    h = KernelHandle(kernel, module)
    skb = kernel.alloc_skb(10)
    assert skb is not None
    with pytest.raises(TypeError, match=r"skb_put\(\) takes 2 arguments \(1 given.*"
                                        r"`unsigned char \*skb_put\(struct sk_buff \*skb, "
                                        r"int len\)`"):
        h.skb_put(skb)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"request_irq\(\) takes 5 arguments \(2 given.*"
                                        r"unsigned long irqflags, const char \*devname, "
                                        r"void \*dev_id"):
        h.request_irq(5, lambda i, d, r: None)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"dev_kfree_skb\(\) takes 2 .*int mode"):
        h.dev_kfree_skb(skb)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"cli\(\) takes 0 arguments \(1 given.*void cli"):
        h.cli(1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="check_region.*missing a required argument: 'extent'"
                                        ".*int check_region"):
        h.check_region(0x300, extnt=32)  # type: ignore[call-arg]
    assert h.check_region(from_=0x300, extent=32) == 0  # keywords that bind are fine
    assert kernel.net_skbcount == 1 and kernel.misuse == []


def test_handle_is_read_only(kernel: Kernel, module: Module) -> None:
    """Drivers cannot store into the handle or replace its functions; jiffies is read-only."""
    h = KernelHandle(kernel, module)
    with pytest.raises(AttributeError, match="read-only"):
        h.foo = 1  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="read-only"):
        h.jiffies = 3  # type: ignore[misc]
    with pytest.raises(AttributeError, match="read-only"):
        del h.inb
    kernel.tick(7)
    assert h.jiffies == 7


def test_constants_and_constructors(kernel: Kernel, module: Module) -> None:
    """The handle carries struct constructors and the constants a driver uses."""
    h = KernelHandle(kernel, module)
    assert h.Device is Device and h.EnetStatistics is EnetStatistics
    dev = h.Device("x", init=lambda d: 0)
    assert isinstance(dev, Device) and dev.name == "x"
    assert (h.IFF_UP, h.EBUSY, h.ETH_P_IP, h.FREE_WRITE) == (IFF_UP, EBUSY, ETH_P_IP, FREE_WRITE)
    assert h.SA_SHIRQ == 0x04000000 and h.DEV_NUMBUFFS == 3 and h.NET_BH == 8
    q = h.skb_queue_head_init(h.SkBuffHead())
    assert q.owner is module and h.skb_queue_len(q) == 0
    assert "skb_put" in dir(h) and "_kernel" not in dir(h)
    assert repr(h) == "<KernelHandle for module drv>"


def test_constructor_checks_its_arguments(kernel: Kernel, module: Module) -> None:
    with pytest.raises(TypeError, match="must be a Kernel"):
        KernelHandle(object(), module)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a Module"):
        KernelHandle(kernel, "drv")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="call"):
        KernelHandle(kernel, module, object())  # type: ignore[arg-type]


def test_make_module_names_and_params(kernel: Kernel) -> None:
    """Instances get distinct module names; insmod parameters are checked by the driver."""
    names = [make_module(kernel, f, instance=i).module.name
             for f in DRIVERS.values() for i in (0, 2)]
    assert names == ["dummy", "dummy2", "loopback", "loopback2", "skeleton", "skeleton2"]
    dm = make_module(kernel, skeleton.FACTORY, io=0x320, irq=7, dma=5)
    assert (dm.model.io, dm.model.irq, dm.model.dma) == (0x320, 7, 5)  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="unknown parameter 'iobase'.*dma, io, irq, mem"):
        make_module(kernel, skeleton.FACTORY, iobase=0x300)
    with pytest.raises(TypeError, match="unknown parameter 'io'.*none"):
        make_module(kernel, dummy.FACTORY, io=0x300)
    with pytest.raises(ValueError, match="instance"):
        make_module(kernel, dummy.FACTORY, instance=-1)


def test_every_handle_function_is_bound_or_exempt_with_a_reason() -> None:
    """One declaration per kernel function: its spec operation (which exists) or why it
    has none; the monitor's call table is exactly the bound ones."""
    from netdevspec.conformance.handle import BINDINGS
    from netdevspec.conformance.monitor import CALLS
    from netdevspec.spec import SPEC

    public = {n for n in dir(KernelHandle) if not n.startswith("_")
              and callable(getattr(KernelHandle, n))
              and not isinstance(getattr(KernelHandle, n), type)}
    assert public == set(BINDINGS)
    ops = {op.name for op in SPEC.operations}
    for b in BINDINGS.values():
        assert (b.op is None) != (not b.exempt), b.name
        assert b.op is None or b.op in ops, b.name
        assert b.op is not None or len(b.exempt) > 20, b.name
    assert set(CALLS) == {b.name for b in BINDINGS.values() if b.op is not None}


def test_port_io_with_a_pause_is_judged_like_port_io(kernel: Kernel) -> None:
    """inb_p/outb_p are port I/O too: on an unclaimed port they break res.port.claimed,
    as inb/outb do (they once bypassed the monitor)."""
    from netdevspec.conformance.monitor import SpecMonitor

    found = {}
    for fn in ("outb", "outb_p", "inb", "inb_p"):
        k = Kernel()
        mon = SpecMonitor(k).attach()
        module = Module("m")
        k.insmod(module)
        h = KernelHandle(k, module, mon)
        if fn.startswith("out"):
            getattr(h, fn)(0, 0x300)
        else:
            getattr(h, fn)(0x300)
        found[fn] = sorted({f.rule for f in mon.findings})
    assert found == {fn: ["res.port.claimed"] for fn in found}
