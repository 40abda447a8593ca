"""The kernel handle: everything a third-party *driver model* may call, and nothing else.

A driver model (see :mod:`netdevspec.reference.drivers` for the contract) is given one
:class:`KernelHandle` and talks to the kernel only through it, the way a 2.0 module only
reaches the kernel through its exported symbols, header macros and inlines (api-facts
section 12, "Exported kernel symbols the shim must provide"). Every function keeps its
kernel name and C argument order: ``handle.request_irq(irq, handler, flags, devname,
dev_id)``, ``handle.outb(value, port)``, ``handle.dev_kfree_skb(skb, FREE_WRITE)``. The
handle also carries the constructors (``handle.Device(...)`` for ``struct device``,
``handle.EnetStatistics()``, ``handle.SkBuffHead()``, ``handle.IfMap()``) and the
constants (IFF_*, SA_*, GFP_*, ETH_*, errno values, ...), so a driver needs nothing else
at run time.

Every call

* runs as the module's code (``with kernel.running(module):``), so whatever it claims,
  allocates or frees is attributed to the module, and
* goes through one choke point, ``monitor.call(name, fn, args)``, where ``name`` is the
  kernel's name for the function (``"MOD_INC_USE_COUNT"`` for the macro), ``fn`` the
  reference kernel's implementation and ``args`` the arguments as the driver passed
  them. The default monitor just returns ``fn(*args)``; a spec monitor can check each
  step there. The monitor runs inside ``kernel.running(module)``: interrupts the call
  raises are delivered after the monitor has returned (when the outermost kernel call
  ends), so the monitor sees the call's own effect.

Reading ``handle.jiffies`` is a variable read, not a call, and does not go through the
monitor. Python adaptations of C signatures: ``insb``/``insw`` return the bytes they
read instead of filling a buffer, ``outsb``/``outsw`` take the bytes to write,
``save_flags()`` returns the flags instead of storing them into its argument,
``skb_queue_head_init(list)`` returns the list it initialised, and ``skb_put``/
``skb_push``/``skb_pull`` return addresses (ints) in the simulated memory, written and
read with ``skb_write``/``skb_read``/``skb_put_data`` (``memcpy``).

Mistakes are reported clearly: an unknown name raises AttributeError naming the nearest
kernel functions (and, for C names a Python driver does not need, what to do instead);
a wrong argument count raises TypeError quoting the C signature.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Final, Protocol, TypeVar, cast

from netdevspec.reference import common as _errno
from netdevspec.reference import device as _dev
from netdevspec.reference import kernel as _kern
from netdevspec.reference import skbuff as _skb
from netdevspec.reference.device import Device as _Device
from netdevspec.reference.device import EnetStatistics as _EnetStatistics
from netdevspec.reference.device import IfMap as _IfMap
from netdevspec.reference.kernel import Kernel
from netdevspec.reference.modules import Module
from netdevspec.reference.skbuff import SkBuff
from netdevspec.reference.skbuff import SkBuffHead as _SkBuffHead
from netdevspec.reference.timer import TimerList as _TimerList

if TYPE_CHECKING:
    from netdevspec.reference.drivers import DriverFactory, DriverModel

__all__ = [
    "C_SIGNATURES",
    "CallMonitor",
    "DirectMonitor",
    "DriverModule",
    "KernelHandle",
    "RecordingMonitor",
    "make_module",
]

_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., Any])
IrqHandler = Callable[[int, object, object], object]

#: The C signature of every function on :class:`KernelHandle`, by kernel name.
C_SIGNATURES: dict[str, str] = {}

Env = dict[str, Any]


class BindingContext(Protocol):
    """What an argument binding may consult: the spec value of an argument, the kernel
    (for execution context), and the live state's name codes."""

    kernel: Kernel

    def value(self, v: Any) -> Any:
        """A call argument as a spec value."""
        ...

    def name_prefix(self, prefix: str) -> Any:
        """The spec's code for a ``fmt%d`` name prefix."""
        ...


Builder = Callable[[BindingContext, Any, tuple[Any, ...]], "Env | None"]


@dataclass(frozen=True)
class Binding:
    """How one kernel function of the handle is judged: the spec operation it is, and how
    its C arguments become the operation's parameters (``c`` is always the caller).

    Declared once, on the function (:func:`_c_function`); the monitor's call table, the
    set of calls that touch devices and the boundary's set of callable names are derived
    from :data:`BINDINGS`. A function with no spec operation says why (``exempt``).
    """

    name: str
    signature: str
    op: str | None
    build: Builder | None
    exempt: str = ""
    #: For an exempt function: whether it reads or changes a device's fields (a bound
    #: function's answer comes from its operation's frame and read set).
    devices: bool = False


#: Every kernel function of :class:`KernelHandle`, by kernel name, with its binding.
BINDINGS: dict[str, Binding] = {}


def positional(*names: str) -> Builder:
    """A binding of the C arguments, in order, to the operation parameters ``names``
    (an empty name skips that argument)."""

    def build(ctx: BindingContext, c: Any, args: tuple[Any, ...]) -> Env | None:
        env: Env = {"c": c}
        for n, v in zip(names, args, strict=False):
            if n:
                env[n] = ctx.value(v)
        return env

    build.params = names  # type: ignore[attr-defined]
    return build


def _request_irq_env(ctx: BindingContext, c: Any, args: tuple[Any, ...]) -> Env | None:
    irq, handler, flags, _name, dev_id = (*args, None, None, None, None, None)[:5]
    flags = flags if isinstance(flags, int) else 0
    return {"c": c, "irq": irq, "handler": handler is not None,
            "shirq": bool(flags & _kern.SA_SHIRQ),
            "sa_interrupt": bool(flags & _kern.SA_INTERRUPT), "dev_id": dev_id, "a": None}


def _free_irq_env(ctx: BindingContext, c: Any, args: tuple[Any, ...]) -> Env | None:
    irq = args[0]
    dev_id = args[1] if len(args) > 1 else None
    return {"c": c, "irq": irq, "dev_id": dev_id, "a": None}


def _dequeue_env(ctx: BindingContext, c: Any, args: tuple[Any, ...]) -> Env | None:
    q = ctx.value(args[0]) if args else None
    head = args[0] if args and isinstance(args[0], _SkBuffHead) else None
    return {"c": c, "q": q, "b": None if head is None or not head.qlen else head.next}


def _alloc_name_env(ctx: BindingContext, c: Any, args: tuple[Any, ...]) -> Env | None:
    fmt = args[1] if len(args) > 1 else ""
    prefix = fmt.split("%d")[0] if isinstance(fmt, str) else ""
    return {"c": c, "d": args[0] if args else None, "fmt": ctx.name_prefix(prefix), "i": 0}


def _alloc_env(ctx: BindingContext, c: Any, args: tuple[Any, ...]) -> Env | None:
    size = args[0] if args else 0
    priority = args[1] if len(args) > 1 else _skb.GFP_ATOMIC
    return {"c": c, "n": size, "atomic": priority == _skb.GFP_ATOMIC,
            "in_irq": ctx.kernel.in_interrupt}


def _put_data_env(ctx: BindingContext, c: Any, args: tuple[Any, ...]) -> Env | None:
    data = args[1] if len(args) > 1 else b""
    return {"c": c, "b": args[0] if args else None,
            "n": len(data) if isinstance(data, (bytes, bytearray, memoryview)) else 0}


def _write_env(ctx: BindingContext, c: Any, args: tuple[Any, ...]) -> Env | None:
    data = args[2] if len(args) > 2 else b""
    return {"c": c, "b": args[0] if args else None, "addr": args[1] if len(args) > 1 else 0,
            "n": len(data) if isinstance(data, (bytes, bytearray, memoryview)) else 0}


def _copy_and_sum_env(ctx: BindingContext, c: Any, args: tuple[Any, ...]) -> Env | None:
    skb = args[0] if args else None
    length = args[2] if len(args) > 2 else 0
    return {"c": c, "b": skb, "addr": getattr(skb, "data", 0), "n": length}


def _peek_tail_env(ctx: BindingContext, c: Any, args: tuple[Any, ...]) -> Env | None:
    q = ctx.value(args[0]) if args else None
    head = args[0] if args and isinstance(args[0], _SkBuffHead) else None
    return {"c": c, "q": q, "b": None if head is None or not head.qlen else head.prev}


def _mem_env(at: int, width: int | None, count: int = 0, data: bool = False) -> Builder:
    """shmem_io's binding: the address is argument ``at``; the length ``width`` bytes, or
    argument ``count`` (its length when ``data``)."""

    def build(ctx: BindingContext, c: Any, args: tuple[Any, ...]) -> Env | None:
        n: Any = width
        if n is None:
            v = args[count] if len(args) > count else 0
            n = len(v) if data and isinstance(v, (bytes, bytearray)) else v
        return {"c": c, "addr": args[at] if len(args) > at else None, "n": n}

    return build


def _module_env(ctx: BindingContext, c: Any, args: tuple[Any, ...]) -> Env | None:
    return {"m": c}


_PORT = positional("port")
_PORT_OUT = positional("", "port")


class CallMonitor(Protocol):
    """The one choke point of every driver→kernel call.

    ``call`` gets the kernel's name for the function, the reference kernel's
    implementation and the arguments the driver passed, and returns what the driver
    gets back (normally ``fn(*args)``).
    """

    def call(self, name: str, fn: Callable[..., object], args: tuple[object, ...]) -> object:
        """Carry out (and observe) one kernel call."""
        ...


class DirectMonitor:
    """The default monitor: calls the kernel function and returns its result."""

    def call(self, name: str, fn: Callable[..., object], args: tuple[object, ...]) -> object:
        """Return ``fn(*args)``."""
        return fn(*args)


class RecordingMonitor:
    """A monitor that records ``(name, args)`` of every call, in order, then makes it."""

    def __init__(self) -> None:
        #: Every call seen so far: the kernel name and the arguments.
        self.calls: list[tuple[str, tuple[object, ...]]] = []

    def call(self, name: str, fn: Callable[..., object], args: tuple[object, ...]) -> object:
        """Record the call, then return ``fn(*args)``."""
        self.calls.append((name, args))
        return fn(*args)

    @property
    def names(self) -> list[str]:
        """The kernel names of the calls seen so far, in order."""
        return [name for name, _ in self.calls]


# -- argument-count checking ------------------------------------------------------------------


def _arity_error(name: str, signature: str, params: list[inspect.Parameter],
                 args: tuple[object, ...], kwargs: dict[str, object]) -> TypeError | None:
    sig = inspect.Signature(params)
    try:
        sig.bind(*args, **kwargs)
    except TypeError as exc:
        want = len(params)
        given = len(args) + len(kwargs)
        plural = "" if want == 1 else "s"
        return TypeError(f"{name}() takes {want} argument{plural} ({given} given; {exc}): the "
                         f"kernel function is `{signature}`")
    return None


def _c_function(signature: str, op: str | None = None, build: Builder | None = None, *,
                exempt: str = "", devices: bool = False) -> Callable[[_F], _F]:
    """Declare a handle method: its C signature (argument-count errors quote it) and its
    binding, the spec operation it is and how its arguments bind (``build``, default the
    operation's parameters in C order from :func:`positional`), or why it has none
    (``exempt``)."""

    def decorate(fn: _F) -> _F:
        params = list(inspect.signature(fn).parameters.values())[1:]
        required = sum(1 for p in params if p.default is inspect.Parameter.empty)
        total = len(params)
        name = fn.__name__
        C_SIGNATURES[name] = signature
        if (op is None) == (not exempt):
            raise ValueError(f"{name}: declare either the spec operation or why it has none")
        BINDINGS[name] = Binding(name, signature, op, build, exempt, devices)

        @functools.wraps(fn)
        def checked(self: KernelHandle, *args: object, **kwargs: object) -> object:
            if kwargs or not required <= len(args) <= total:
                err = _arity_error(name, signature, params, args, kwargs)
                if err is not None:
                    raise err
            return fn(self, *args, **kwargs)

        return cast(_F, checked)

    return decorate


#: C names a 2.0 driver uses that the handle deliberately does not provide, and why.
_NOT_PROVIDED: dict[str, str] = {
    "kmalloc": "keep private data in an ordinary Python object (e.g. a dataclass holding "
               "handle.EnetStatistics()) and store it in dev.priv",
    "kfree": "drop the reference (e.g. dev.priv = None); Python frees the memory",
    "kfree_s": "drop the reference (e.g. dev.priv = None); Python frees the memory",
    "memset": "build a fresh object instead",
    "memcpy": "use skb_put_data, skb_write or skb_read to copy bytes into or out of a buffer",
    "sprintf": "use Python string formatting",
    "set_bit": "set the field directly, between save_flags()/cli() and restore_flags() if it "
               "must be atomic",
    "test_bit": "read the field directly",
    "clear_bit": "clear the field directly",
    "dev_base": "look devices up with dev_get(name)",
    "kernel": "a driver reaches the kernel only through the handle's functions",
    "dev_queue_xmit": "that is the protocol side's entry; a driver receives frames in "
                      "hard_start_xmit and passes received frames up with netif_rx",
    "dev_open": "ifconfig's entry; the kernel calls dev->open",
    "dev_close": "ifconfig's entry; the kernel calls dev->stop",
    "in_aton": "write the address as an int",
}


class KernelHandle:
    """What a driver model may call: 2.0's driver API under its kernel names.

    ``KernelHandle(kernel, module, monitor=None)``: calls run as ``module``'s code and go
    through ``monitor.call`` (default: :class:`DirectMonitor`). The kernel itself is not
    reachable through the handle. See the module docstring for the Python adaptations.
    """

    __slots__ = ("_k", "_module", "_monitor")
    _k: Kernel
    _module: Module
    _monitor: CallMonitor

    # -- constructors (struct types) ------------------------------------------------------------

    #: ``struct device``: ``handle.Device(name, ..., init=probe)``.
    Device: ClassVar[type[_Device]] = _Device
    #: ``struct enet_statistics``, what ``get_stats`` returns.
    EnetStatistics: ClassVar[type[_EnetStatistics]] = _EnetStatistics
    #: ``struct ifmap`` (set_config).
    IfMap: ClassVar[type[_IfMap]] = _IfMap
    #: ``struct sk_buff_head``: make one, then ``skb_queue_head_init`` it.
    SkBuffHead: ClassVar[type[_SkBuffHead]] = _SkBuffHead
    #: ``struct timer_list``: ``handle.TimerList(expires, data, function)``, then
    #: ``add_timer`` it (``function(data)`` runs as the module's code when it expires).
    TimerList: ClassVar[type[_TimerList]] = _TimerList

    # -- constants --------------------------------------------------------------------------------

    # include/linux/if.h (FLG-1)
    IFF_UP: Final = _dev.IFF_UP
    IFF_BROADCAST: Final = _dev.IFF_BROADCAST
    IFF_DEBUG: Final = _dev.IFF_DEBUG
    IFF_LOOPBACK: Final = _dev.IFF_LOOPBACK
    IFF_POINTOPOINT: Final = _dev.IFF_POINTOPOINT
    IFF_NOTRAILERS: Final = _dev.IFF_NOTRAILERS
    IFF_RUNNING: Final = _dev.IFF_RUNNING
    IFF_NOARP: Final = _dev.IFF_NOARP
    IFF_PROMISC: Final = _dev.IFF_PROMISC
    IFF_ALLMULTI: Final = _dev.IFF_ALLMULTI
    IFF_MASTER: Final = _dev.IFF_MASTER
    IFF_SLAVE: Final = _dev.IFF_SLAVE
    IFF_MULTICAST: Final = _dev.IFF_MULTICAST
    # include/asm-i386/signal.h (RES-1)
    SA_INTERRUPT: Final = _kern.SA_INTERRUPT
    SA_SHIRQ: Final = _kern.SA_SHIRQ
    SA_SAMPLE_RANDOM: Final = _kern.SA_SAMPLE_RANDOM
    # include/linux/mm.h
    GFP_BUFFER: Final = _skb.GFP_BUFFER
    GFP_ATOMIC: Final = _skb.GFP_ATOMIC
    GFP_USER: Final = _skb.GFP_USER
    GFP_KERNEL: Final = _skb.GFP_KERNEL
    # include/linux/skbuff.h
    FREE_READ: Final = _skb.FREE_READ
    FREE_WRITE: Final = _skb.FREE_WRITE
    PACKET_HOST: Final = _skb.PACKET_HOST
    PACKET_BROADCAST: Final = _skb.PACKET_BROADCAST
    PACKET_MULTICAST: Final = _skb.PACKET_MULTICAST
    PACKET_OTHERHOST: Final = _skb.PACKET_OTHERHOST
    CHECKSUM_NONE: Final = 0
    CHECKSUM_HW: Final = 1
    CHECKSUM_UNNECESSARY: Final = 2
    # include/linux/netdevice.h, if_ether.h, if_arp.h, socket.h (FLD-10)
    DEV_NUMBUFFS: Final = _dev.DEV_NUMBUFFS
    MAX_ADDR_LEN: Final = _dev.MAX_ADDR_LEN
    ETH_ALEN: Final = _dev.ETH_ALEN
    ETH_HLEN: Final = _dev.ETH_HLEN
    ETH_ZLEN: Final = _dev.ETH_ZLEN
    ETH_DATA_LEN: Final = _dev.ETH_DATA_LEN
    ETH_FRAME_LEN: Final = _dev.ETH_HLEN + _dev.ETH_DATA_LEN
    ETH_P_802_3: Final = _dev.ETH_P_802_3
    ETH_P_ALL: Final = _dev.ETH_P_ALL
    ETH_P_802_2: Final = _dev.ETH_P_802_2
    ETH_P_IP: Final = _dev.ETH_P_IP
    ETH_P_ARP: Final = _dev.ETH_P_ARP
    ARPHRD_ETHER: Final = _dev.ARPHRD_ETHER
    ARPHRD_LOOPBACK: Final = _dev.ARPHRD_LOOPBACK
    AF_INET: Final = _dev.AF_INET
    # include/linux/interrupt.h, asm/irq.h, asm/dma.h, net_init.c
    NET_BH: Final = _kern.NET_BH
    NR_IRQS: Final = _kern.NR_IRQS
    MAX_DMA_CHANNELS: Final = _kern.MAX_DMA_CHANNELS
    MAX_ETH_CARDS: Final = _kern.MAX_ETH_CARDS
    # include/asm-i386/errno.h (functions return them negated)
    EPERM: Final = _errno.EPERM
    ENOENT: Final = _errno.ENOENT
    EIO: Final = _errno.EIO
    ENXIO: Final = _errno.ENXIO
    EAGAIN: Final = _errno.EAGAIN
    ENOMEM: Final = _errno.ENOMEM
    EBUSY: Final = _errno.EBUSY
    EEXIST: Final = _errno.EEXIST
    ENODEV: Final = _errno.ENODEV
    EINVAL: Final = _errno.EINVAL
    ENFILE: Final = _errno.ENFILE
    EOPNOTSUPP: Final = _errno.EOPNOTSUPP

    def __init__(self, kernel: Kernel, module: Module,
                 monitor: CallMonitor | None = None) -> None:
        if not isinstance(kernel, Kernel):
            raise TypeError(f"KernelHandle: kernel must be a Kernel, got {type(kernel).__name__}")
        if not isinstance(module, Module):
            raise TypeError(f"KernelHandle: module must be a Module, got {type(module).__name__}; "
                            "the handle runs every call as that module's code")
        if monitor is not None and not callable(getattr(monitor, "call", None)):
            raise TypeError("KernelHandle: monitor must have a call(name, fn, args) method")
        object.__setattr__(self, "_k", kernel)
        object.__setattr__(self, "_module", module)
        object.__setattr__(self, "_monitor", monitor if monitor is not None else DirectMonitor())

    # -- the choke point --------------------------------------------------------------------------

    def _call(self, name: str, fn: Callable[..., _T], args: tuple[object, ...]) -> _T:
        with self._k.running(self._module):
            return cast(_T, self._monitor.call(name, fn, args))

    # -- mistakes -----------------------------------------------------------------------------

    if not TYPE_CHECKING:  # hidden from mypy, which would then accept any attribute

        def __getattr__(self, name: str) -> object:
            if name == "_kernel":
                # Reaching behind the API: reported (drv.api.only), then allowed, so the
                # run goes on and the report shows what else the driver does.
                report = getattr(self._monitor, "report_model_rule", None)
                if report is not None:
                    report("drv.api.only", f"module {self._module.name} read the kernel "
                           f"object behind its handle (handle.{name})", self._module,
                           f"handle.{name}")
                return self._k
            raise AttributeError(_unknown_name_message(name))

        def __setattr__(self, name: str, value: object) -> None:
            raise AttributeError(f"the kernel handle is read-only (tried to set {name!r}); "
                                 "keep driver state in the driver model or in dev.priv")

        def __delattr__(self, name: str) -> None:
            raise AttributeError(f"the kernel handle is read-only (tried to delete {name!r})")

    def __dir__(self) -> list[str]:
        return sorted(n for n in dir(type(self)) if not n.startswith("_"))

    def __repr__(self) -> str:
        return f"<KernelHandle for module {self._module.name}>"

    # -- time -------------------------------------------------------------------------------------

    @property
    def jiffies(self) -> int:
        """The tick counter (FLD-13, CB-5); read-only, and not a call through the monitor."""
        return self._k.jiffies

    @property
    def intr_count(self) -> int:
        """2.0's ``intr_count`` (exported, kernel/ksyms.c): non-zero while an interrupt
        handler or bottom half runs; read-only, and not a call through the monitor."""
        return self._k.intr_count

    @property
    def irq2dev_map(self) -> list[_Device | None]:
        """2.0's ``irq2dev_map[16]`` (exported, RES-4): the device of each IRQ line, set by
        the driver after ``request_irq`` succeeded and cleared when it frees the line.
        Reads and writes of the array are variable accesses, not calls: no spec rule
        judges them (pass the device as ``dev_id`` instead where you can)."""
        return self._k.irq2dev_map

    @_c_function("void init_timer(struct timer_list *timer)",
                 op="init_timer", build=positional("t"))
    def init_timer(self, timer: _TimerList) -> None:
        """Mark a timer as on no list (CB-5; include/linux/timer.h)."""
        return self._call("init_timer", self._k.init_timer, (timer,))

    @_c_function("void add_timer(struct timer_list *timer)",
                 op="add_timer", build=positional("t"))
    def add_timer(self, timer: _TimerList) -> None:
        """Put a timer on the kernel's list; ``function(data)`` runs once ``jiffies``
        reaches ``expires`` (CB-5; kernel/sched.c)."""
        return self._call("add_timer", self._k.add_timer, (timer,))

    @_c_function("int del_timer(struct timer_list *timer)",
                 op="del_timer", build=positional("t"))
    def del_timer(self, timer: _TimerList) -> int:
        """Take a pending timer off the list: 1, or 0 if it was not pending."""
        return self._call("del_timer", self._k.del_timer, (timer,))

    @_c_function("void udelay(unsigned long usecs)",
                 exempt="a busy wait changes no state the spec models (jiffies do not move)")
    def udelay(self, usecs: int) -> None:
        """Busy-wait ``usecs`` microseconds (include/asm-i386/delay.h)."""
        return self._call("udelay", self._k.udelay, (usecs,))

    # =========================================================================================
    # Devices (REG, CB, RX)
    # =========================================================================================

    @_c_function("int register_netdev(struct device *dev)",
                 op="register_netdev", build=positional("d"))
    def register_netdev(self, dev: _Device) -> int:
        """Probe ``dev`` with ``dev.init`` and link it (REG-2..REG-7); 0 or -errno."""
        return self._call("register_netdev", self._k.register_netdev, (dev,))

    @_c_function("void unregister_netdev(struct device *dev)",
                 op="unregister_netdev", build=positional("d"))
    def unregister_netdev(self, dev: _Device) -> None:
        """Unlink a device this module registered (REG-9, REG-10)."""
        return self._call("unregister_netdev", self._k.unregister_netdev, (dev,))

    @_c_function("struct device *dev_get(const char *name)",
                 exempt="a lookup by name: no caller obligation; the answer is the kernel's",
                 devices=True)
    def dev_get(self, name: str) -> _Device | None:
        """The registered device called ``name``, or None (REG-1)."""
        return self._call("dev_get", self._k.dev_get, (name,))

    @_c_function("int dev_alloc_name(struct device *dev, const char *name)",
                 op="dev_alloc_name", build=_alloc_name_env)
    def dev_alloc_name(self, dev: _Device, name: str) -> int:
        """Name ``dev`` from a ``"fmt%d"`` format with the lowest free unit (REG-8, 2.2)."""
        return self._call("dev_alloc_name", self._k.dev_alloc_name, (dev, name))

    @_c_function("struct device *init_etherdev(struct device *dev, int sizeof_priv)",
                 exempt=("not modelled as a unit (the spec's left-out list): the devices it "
                         "makes are judged by the calls and field writes that follow"),
                 devices=True)
    def init_etherdev(self, dev: _Device | None, sizeof_priv: int) -> _Device | None:
        """Auto-name and ``ether_setup`` a device; with NULL make and link one (REG-13)."""
        return self._call("init_etherdev", self._k.init_etherdev, (dev, sizeof_priv))

    @_c_function("void ether_setup(struct device *dev)",
                 op="ether_setup", build=positional("d"))
    def ether_setup(self, dev: _Device) -> None:
        """Fill in the Ethernet defaults and initialise ``dev->buffs[]`` (REG-12, FLD-9)."""
        return self._call("ether_setup", self._k.ether_setup, (dev,))

    @_c_function("void netif_rx(struct sk_buff *skb)",
                 op="netif_rx", build=positional("b"))
    def netif_rx(self, skb: SkBuff) -> None:
        """Pass a received frame up; the kernel owns it from now on (RX-5)."""
        return self._call("netif_rx", self._k.netif_rx, (skb,))

    @_c_function("unsigned short eth_type_trans(struct sk_buff *skb, struct device *dev)",
                 op="eth_type_trans", build=positional("b", "d"))
    def eth_type_trans(self, skb: SkBuff, dev: _Device) -> int:
        """Pull the Ethernet header, set ``pkt_type``; returns the protocol (RX-4)."""
        return self._call("eth_type_trans", self._k.eth_type_trans, (skb, dev))

    @_c_function("void dev_tint(struct device *dev)",
                 op="dev_tint", build=positional("d"))
    def dev_tint(self, dev: _Device) -> None:
        """Send what waits on ``dev->buffs[]`` until ``tbusy`` is set (CB-10)."""
        return self._call("dev_tint", self._k.dev_tint, (dev,))

    @_c_function("void mark_bh(int nr)",
                 exempt="scheduling a bottom half changes no state the spec models")
    def mark_bh(self, nr: int) -> None:
        """Mark bottom half ``nr`` (NET_BH) to run (CB-5, CB-11)."""
        return self._call("mark_bh", self._k.mark_bh, (nr,))

    # =========================================================================================
    # Interrupts (RES-1..RES-4, RES-13)
    # =========================================================================================

    @_c_function("int request_irq(unsigned int irq, void (*handler)(int, void *, struct "
                 "pt_regs *), unsigned long irqflags, const char *devname, void *dev_id)",
                 op="request_irq", build=_request_irq_env)
    def request_irq(self, irq: int, handler: IrqHandler | None, irqflags: int, devname: str,
                    dev_id: object) -> int:
        """Install ``handler(irq, dev_id, regs)`` on line ``irq`` (RES-1, RES-3)."""
        return self._call("request_irq", self._k.request_irq,
                          (irq, handler, irqflags, devname, dev_id))

    @_c_function("void free_irq(unsigned int irq, void *dev_id)",
                 op="free_irq", build=_free_irq_env)
    def free_irq(self, irq: int, dev_id: object) -> None:
        """Remove this module's action with ``dev_id`` from line ``irq`` (RES-2)."""
        return self._call("free_irq", self._k.free_irq, (irq, dev_id))

    @_c_function("void disable_irq(unsigned int irq)",
                 exempt="masking a line changes no state the spec models")
    def disable_irq(self, irq: int) -> None:
        """Mask line ``irq`` (2.0.1's mask does not nest: one ``enable_irq`` undoes it)."""
        return self._call("disable_irq", self._k.disable_irq, (irq,))

    @_c_function("void enable_irq(unsigned int irq)",
                 exempt="unmasking a line changes no state the spec models")
    def enable_irq(self, irq: int) -> None:
        """Unmask line ``irq``."""
        return self._call("enable_irq", self._k.enable_irq, (irq,))

    @_c_function("void cli(void)",
                 exempt="the interrupt flag is not part of the spec's state")
    def cli(self) -> None:
        """Disable interrupts (raised lines are latched)."""
        return self._call("cli", self._k.cli, ())

    @_c_function("void sti(void)",
                 exempt="the interrupt flag is not part of the spec's state")
    def sti(self) -> None:
        """Enable interrupts."""
        return self._call("sti", self._k.sti, ())

    @_c_function("save_flags(unsigned long flags)  /* macro; here: flags = save_flags() */",
                 exempt="the interrupt flag is not part of the spec's state")
    def save_flags(self) -> bool:
        """The interrupt state, for ``restore_flags`` (the C macro stores into its argument)."""
        return self._call("save_flags", self._k.save_flags, ())

    @_c_function("void restore_flags(unsigned long flags)",
                 exempt="the interrupt flag is not part of the spec's state")
    def restore_flags(self, flags: bool) -> None:
        """Restore the interrupt state saved by ``save_flags``."""
        return self._call("restore_flags", self._k.restore_flags, (flags,))

    @_c_function("int autoirq_setup(int waittime)",
                 exempt=("IRQ autoprobing claims nothing (RES-13); the lines it finds are "
                         "claimed with request_irq"))
    def autoirq_setup(self, waittime: int) -> int:
        """Start IRQ autoprobing (RES-13)."""
        return self._call("autoirq_setup", self._k.autoirq_setup, (waittime,))

    @_c_function("int autoirq_report(int waittime)",
                 exempt="IRQ autoprobing claims nothing (RES-13)")
    def autoirq_report(self, waittime: int) -> int:
        """The line that fired since ``autoirq_setup``, or 0 (RES-13)."""
        return self._call("autoirq_report", self._k.autoirq_report, (waittime,))

    @_c_function("unsigned long probe_irq_on(void)",
                 exempt="IRQ probing claims nothing (RES-13)")
    def probe_irq_on(self) -> int:
        """Start IRQ probing; the mask of free lines (RES-13)."""
        return self._call("probe_irq_on", self._k.probe_irq_on, ())

    @_c_function("int probe_irq_off(unsigned long irqs)",
                 exempt="IRQ probing claims nothing (RES-13)")
    def probe_irq_off(self, irqs: int) -> int:
        """The line in ``irqs`` that fired, 0 or negative (RES-13)."""
        return self._call("probe_irq_off", self._k.probe_irq_off, (irqs,))

    # =========================================================================================
    # I/O regions and DMA (RES-5..RES-11)
    # =========================================================================================

    @_c_function("int check_region(unsigned int from, unsigned int extent)",
                 op="check_region", build=positional("from", "num"))
    def check_region(self, from_: int, extent: int) -> int:
        """0 if the ports are free (then they may be probed), else -EBUSY (RES-8)."""
        return self._call("check_region", self._k.check_region, (from_, extent))

    @_c_function("void request_region(unsigned int from, unsigned int extent, const char *name)",
                 op="request_region", build=positional("from", "num"))
    def request_region(self, from_: int, extent: int, name: str) -> None:
        """Claim the ports (void; silently ignored if not free) (RES-9)."""
        return self._call("request_region", self._k.request_region, (from_, extent, name))

    @_c_function("void release_region(unsigned int from, unsigned int extent)",
                 op="release_region", build=positional("from", "num"))
    def release_region(self, from_: int, extent: int) -> None:
        """Release the region of exactly this extent (RES-10)."""
        return self._call("release_region", self._k.release_region, (from_, extent))

    @_c_function("int request_dma(unsigned int dmanr, const char *device_id)",
                 op="request_dma", build=positional("ch"))
    def request_dma(self, dmanr: int, device_id: str) -> int:
        """Lock DMA channel ``dmanr``: 0, -EINVAL or -EBUSY (RES-6)."""
        return self._call("request_dma", self._k.request_dma, (dmanr, device_id))

    @_c_function("void free_dma(unsigned int dmanr)",
                 op="free_dma", build=positional("ch"))
    def free_dma(self, dmanr: int) -> None:
        """Unlock DMA channel ``dmanr`` (RES-7)."""
        return self._call("free_dma", self._k.free_dma, (dmanr,))

    @_c_function("void disable_dma(unsigned int dmanr)",
                 exempt="masking a channel at the controller changes no state the spec models")
    def disable_dma(self, dmanr: int) -> None:
        """Mask DMA channel ``dmanr`` at the controller."""
        return self._call("disable_dma", self._k.disable_dma, (dmanr,))

    @_c_function("void enable_dma(unsigned int dmanr)",
                 exempt="unmasking a channel at the controller changes no state the spec models")
    def enable_dma(self, dmanr: int) -> None:
        """Unmask DMA channel ``dmanr`` at the controller."""
        return self._call("enable_dma", self._k.enable_dma, (dmanr,))

    # =========================================================================================
    # Ports (RES-8, RES-11, RES-12)
    # =========================================================================================

    @_c_function("unsigned char inb(unsigned short port)",
                 op="port_io", build=_PORT)
    def inb(self, port: int) -> int:
        """Read a byte."""
        return self._call("inb", self._k.inb, (port,))

    @_c_function("unsigned char inb_p(unsigned short port)",
                 op="port_io", build=_PORT)
    def inb_p(self, port: int) -> int:
        """Read a byte (with a pause)."""
        return self._call("inb_p", self._k.inb_p, (port,))

    @_c_function("unsigned short inw(unsigned short port)",
                 op="port_io", build=_PORT)
    def inw(self, port: int) -> int:
        """Read a 16-bit word."""
        return self._call("inw", self._k.inw, (port,))

    @_c_function("unsigned int inl(unsigned short port)",
                 op="port_io", build=_PORT)
    def inl(self, port: int) -> int:
        """Read a 32-bit word."""
        return self._call("inl", self._k.inl, (port,))

    @_c_function("void outb(unsigned char value, unsigned short port)",
                 op="port_io", build=_PORT_OUT)
    def outb(self, value: int, port: int) -> None:
        """Write a byte (value first, as in C)."""
        return self._call("outb", self._k.outb, (value, port))

    @_c_function("void outb_p(unsigned char value, unsigned short port)",
                 op="port_io", build=_PORT_OUT)
    def outb_p(self, value: int, port: int) -> None:
        """Write a byte (with a pause)."""
        return self._call("outb_p", self._k.outb_p, (value, port))

    @_c_function("void outw(unsigned short value, unsigned short port)",
                 op="port_io", build=_PORT_OUT)
    def outw(self, value: int, port: int) -> None:
        """Write a 16-bit word (value first)."""
        return self._call("outw", self._k.outw, (value, port))

    @_c_function("void outl(unsigned int value, unsigned short port)",
                 op="port_io", build=_PORT_OUT)
    def outl(self, value: int, port: int) -> None:
        """Write a 32-bit word (value first)."""
        return self._call("outl", self._k.outl, (value, port))

    @_c_function("void insb(unsigned short port, void *addr, unsigned long count)  /* here: "
                 "insb(port, count) -> bytes */",
                 op="port_io", build=_PORT)
    def insb(self, port: int, count: int) -> bytes:
        """Read ``count`` bytes from one port; returns them."""
        return self._call("insb", self._k.insb, (port, count))

    @_c_function("void insw(unsigned short port, void *addr, unsigned long count)  /* here: "
                 "insw(port, count) -> bytes */",
                 op="port_io", build=_PORT)
    def insw(self, port: int, count: int) -> bytes:
        """Read ``count`` 16-bit words from one port; returns 2*count bytes."""
        return self._call("insw", self._k.insw, (port, count))

    @_c_function("void outsb(unsigned short port, const void *addr, unsigned long count)  /* "
                 "here: outsb(port, data) */",
                 op="port_io", build=_PORT)
    def outsb(self, port: int, data: bytes | bytearray) -> None:
        """Write ``data`` to one port byte by byte."""
        return self._call("outsb", self._k.outsb, (port, data))

    @_c_function("void outsw(unsigned short port, const void *addr, unsigned long count)  /* "
                 "here: outsw(port, data) */",
                 op="port_io", build=_PORT)
    def outsw(self, port: int, data: bytes | bytearray) -> None:
        """Write ``data`` to one port as 16-bit words."""
        return self._call("outsw", self._k.outsw, (port, data))

    @_c_function("unsigned short inw_p(unsigned short port)",
                 op="port_io", build=_PORT)
    def inw_p(self, port: int) -> int:
        """Read a 16-bit word (with a pause)."""
        return self._call("inw_p", self._k.inw_p, (port,))

    @_c_function("void outw_p(unsigned short value, unsigned short port)",
                 op="port_io", build=_PORT_OUT)
    def outw_p(self, value: int, port: int) -> None:
        """Write a 16-bit word (with a pause; value first)."""
        return self._call("outw_p", self._k.outw_p, (value, port))

    @_c_function("void insl(unsigned short port, void *addr, unsigned long count)  /* here: "
                 "insl(port, count) -> bytes */",
                 op="port_io", build=_PORT)
    def insl(self, port: int, count: int) -> bytes:
        """Read ``count`` 32-bit words from one port; returns 4*count bytes."""
        return self._call("insl", self._k.insl, (port, count))

    @_c_function("void outsl(unsigned short port, const void *addr, unsigned long count)  /* "
                 "here: outsl(port, data) */",
                 op="port_io", build=_PORT)
    def outsl(self, port: int, data: bytes | bytearray) -> None:
        """Write ``data`` to one port as 32-bit words."""
        return self._call("outsl", self._k.outsl, (port, data))

    # -- ISA shared memory (FLD-5) ------------------------------------------------------------

    @_c_function("unsigned char readb(unsigned long addr)  /* macro */",
                 op="shmem_io", build=_mem_env(0, 1))
    def readb(self, addr: int) -> int:
        """A byte of the card's shared memory at ``addr``."""
        return self._call("readb", self._k.readb, (addr,))

    @_c_function("unsigned short readw(unsigned long addr)  /* macro */",
                 op="shmem_io", build=_mem_env(0, 2))
    def readw(self, addr: int) -> int:
        """A 16-bit word of the card's shared memory at ``addr``."""
        return self._call("readw", self._k.readw, (addr,))

    @_c_function("void writeb(unsigned char b, unsigned long addr)  /* macro */",
                 op="shmem_io", build=_mem_env(1, 1))
    def writeb(self, b: int, addr: int) -> None:
        """Store a byte into the card's shared memory (value first, as in C)."""
        return self._call("writeb", self._k.writeb, (b, addr))

    @_c_function("void writew(unsigned short b, unsigned long addr)  /* macro */",
                 op="shmem_io", build=_mem_env(1, 2))
    def writew(self, b: int, addr: int) -> None:
        """Store a 16-bit word into the card's shared memory (value first)."""
        return self._call("writew", self._k.writew, (b, addr))

    @_c_function("void memcpy_fromio(void *to, unsigned long from, size_t n)  /* here: "
                 "memcpy_fromio(from, n) -> bytes */",
                 op="shmem_io", build=_mem_env(0, None, 1))
    def memcpy_fromio(self, from_: int, n: int) -> bytes:
        """``n`` bytes of the card's shared memory from ``from_``; returns them."""
        return self._call("memcpy_fromio", self._k.memcpy_fromio, (from_, n))

    @_c_function("void memcpy_toio(unsigned long to, const void *from, size_t n)  /* here: "
                 "memcpy_toio(to, data) */",
                 op="shmem_io", build=_mem_env(0, None, 1, True))
    def memcpy_toio(self, to: int, data: bytes | bytearray) -> None:
        """Copy ``data`` into the card's shared memory at ``to``."""
        return self._call("memcpy_toio", self._k.memcpy_toio, (to, data))

    # =========================================================================================
    # Buffers (SKB)
    # =========================================================================================

    @_c_function("struct sk_buff *alloc_skb(unsigned int size, int priority)",
                 op="alloc_skb", build=_alloc_env)
    def alloc_skb(self, size: int, priority: int) -> SkBuff | None:
        """Allocate an empty buffer of ``size`` bytes, or None (SKB-3)."""
        return self._call("alloc_skb", self._k.alloc_skb, (size, priority))

    @_c_function("struct sk_buff *dev_alloc_skb(unsigned int length)",
                 op="dev_alloc_skb", build=positional("n"))
    def dev_alloc_skb(self, length: int) -> SkBuff | None:
        """Allocate a receive buffer with 16 bytes of headroom, or None (SKB-9)."""
        return self._call("dev_alloc_skb", self._k.dev_alloc_skb, (length,))

    @_c_function("unsigned char *skb_put(struct sk_buff *skb, int len)",
                 op="skb_put", build=positional("b", "n"))
    def skb_put(self, skb: SkBuff, len: int) -> int:
        """Add ``len`` bytes at the tail; returns the old tail address (SKB-4)."""
        return self._call("skb_put", self._k.skb_put, (skb, len))

    @_c_function("unsigned char *skb_push(struct sk_buff *skb, int len)",
                 op="skb_push", build=positional("b", "n"))
    def skb_push(self, skb: SkBuff, len: int) -> int:
        """Add ``len`` bytes at the front; returns the new data address (SKB-5)."""
        return self._call("skb_push", self._k.skb_push, (skb, len))

    @_c_function("unsigned char *skb_pull(struct sk_buff *skb, int len)",
                 op="skb_pull", build=positional("b", "n"))
    def skb_pull(self, skb: SkBuff, len: int) -> int | None:
        """Remove ``len`` bytes from the front; None if the buffer is shorter (SKB-6)."""
        return self._call("skb_pull", self._k.skb_pull, (skb, len))

    @_c_function("void skb_reserve(struct sk_buff *skb, int len)",
                 op="skb_reserve", build=positional("b", "n"))
    def skb_reserve(self, skb: SkBuff, len: int) -> None:
        """Make headroom in an empty buffer (SKB-7)."""
        return self._call("skb_reserve", self._k.skb_reserve, (skb, len))

    @_c_function("void skb_trim(struct sk_buff *skb, int len)",
                 op="skb_trim", build=positional("b", "n"))
    def skb_trim(self, skb: SkBuff, len: int) -> None:
        """Cut the buffer to ``len`` bytes (SKB-8)."""
        return self._call("skb_trim", self._k.skb_trim, (skb, len))

    @_c_function("int skb_headroom(struct sk_buff *skb)",
                 op="skb_headroom", build=positional("b"))
    def skb_headroom(self, skb: SkBuff) -> int:
        """``data - head`` (SKB-2)."""
        return self._call("skb_headroom", self._k.skb_headroom, (skb,))

    @_c_function("int skb_tailroom(struct sk_buff *skb)",
                 op="skb_tailroom", build=positional("b"))
    def skb_tailroom(self, skb: SkBuff) -> int:
        """``end - tail`` (SKB-2)."""
        return self._call("skb_tailroom", self._k.skb_tailroom, (skb,))

    @_c_function("void kfree_skb(struct sk_buff *skb, int rw)",
                 op="kfree_skb", build=positional("b"))
    def kfree_skb(self, skb: SkBuff | None, rw: int) -> None:
        """Free a buffer the module owns (SKB-10..SKB-12)."""
        return self._call("kfree_skb", self._k.kfree_skb, (skb, rw))

    @_c_function("void dev_kfree_skb(struct sk_buff *skb, int mode)",
                 op="dev_kfree_skb", build=positional("b"))
    def dev_kfree_skb(self, skb: SkBuff | None, mode: int) -> None:
        """Release a transmitted frame: unlock, then free if ``free`` allows (SKB-14, CB-4)."""
        return self._call("dev_kfree_skb", self._k.dev_kfree_skb, (skb, mode))

    @_c_function("struct sk_buff *skb_clone(struct sk_buff *skb, int priority)",
                 op="skb_clone", build=positional("b"))
    def skb_clone(self, skb: SkBuff, priority: int) -> SkBuff | None:
        """A new header sharing the (read-only) data, or None (SKB-15)."""
        return self._call("skb_clone", self._k.skb_clone, (skb, priority))

    @_c_function("struct sk_buff *skb_copy(struct sk_buff *skb, int priority)",
                 op="skb_copy", build=positional("b"))
    def skb_copy(self, skb: SkBuff, priority: int) -> SkBuff | None:
        """A private writable copy, or None (SKB-16)."""
        return self._call("skb_copy", self._k.skb_copy, (skb, priority))

    @_c_function("void skb_device_lock(struct sk_buff *skb)",
                 op="skb_device_lock", build=positional("b"))
    def skb_device_lock(self, skb: SkBuff) -> None:
        """Increment the device lock (SKB-14)."""
        return self._call("skb_device_lock", self._k.skb_device_lock, (skb,))

    @_c_function("void skb_device_unlock(struct sk_buff *skb)",
                 exempt=("the device lock is the kernel's side of a lent frame; a driver's lock "
                         "changes are judged where the frame is next used (dev_kfree_skb, "
                         "netif_rx)"))
    def skb_device_unlock(self, skb: SkBuff) -> None:
        """Decrement the device lock (SKB-14, RX-7)."""
        return self._call("skb_device_unlock", self._k.skb_device_unlock, (skb,))

    @_c_function("int skb_device_locked(struct sk_buff *skb)",
                 exempt="reading the lock count is an inline read of skb->lock; it changes nothing")
    def skb_device_locked(self, skb: SkBuff) -> int:
        """1 if the buffer is device-locked (SKB-14)."""
        return self._call("skb_device_locked", self._k.skb_device_locked, (skb,))

    @_c_function("unsigned char *skb_put_data(struct sk_buff *skb, const void *data, unsigned "
                 "int len)  /* here: skb_put_data(skb, data) */",
                 op="skb_put", build=_put_data_env)
    def skb_put_data(self, skb: SkBuff, data: bytes | bytearray) -> int:
        """``memcpy(skb_put(skb, len), data, len)``; returns the old tail (SKB-4)."""
        return self._call("skb_put_data", self._k.skb_put_data, (skb, data))

    @_c_function("void *memcpy(void *to, const void *from, size_t n)  /* here: "
                 "skb_write(skb, to, data) */",
                 op="skb_write", build=_write_env)
    def skb_write(self, skb: SkBuff, at: int, data: bytes | bytearray) -> None:
        """Copy ``data`` into the buffer's memory at address ``at``."""
        return self._call("skb_write", self._k.skb_write, (skb, at, data))

    @_c_function("void *memcpy(void *to, const void *from, size_t n)  /* here: "
                 "skb_read(skb, from, n) -> bytes */",
                 op="skb_read", build=positional("b", "addr", "n"))
    def skb_read(self, skb: SkBuff, at: int, n: int) -> bytes:
        """Read ``n`` bytes of the buffer's memory at address ``at``."""
        return self._call("skb_read", self._k.skb_read, (skb, at, n))

    @_c_function("void eth_copy_and_sum(struct sk_buff *dest, unsigned char *src, int "
                 "length, int base)",
                 op="skb_write", build=_copy_and_sum_env)
    def eth_copy_and_sum(self, dest: SkBuff, src: bytes | bytearray, length: int,
                         base: int) -> None:
        """Copy ``length`` bytes of ``src`` to ``dest->data`` (net/ethernet/eth.c:266; the
        IP checksum 2.0.1 computes on the way is not modelled)."""
        return self._call("eth_copy_and_sum", self._k.eth_copy_and_sum,
                          (dest, src, length, base))

    # -- queues (Q) -------------------------------------------------------------------------------

    @_c_function("void skb_queue_head_init(struct sk_buff_head *list)  /* returns list here */",
                 op="skb_queue_head_init", build=positional("q"))
    def skb_queue_head_init(self, list: _SkBuffHead) -> _SkBuffHead:
        """Initialise a queue the module owns; returns it (Q-1)."""
        return self._call("skb_queue_head_init", self._k.skb_queue_head_init, (list,))

    @_c_function("void skb_queue_head(struct sk_buff_head *list, struct sk_buff *buf)",
                 op="skb_queue_head", build=positional("q", "b"))
    def skb_queue_head(self, list: _SkBuffHead, buf: SkBuff) -> None:
        """Put ``buf`` at the front of ``list`` (Q-2)."""
        return self._call("skb_queue_head", self._k.skb_queue_head, (list, buf))

    @_c_function("void skb_queue_tail(struct sk_buff_head *list, struct sk_buff *buf)",
                 op="skb_queue_tail", build=positional("q", "b"))
    def skb_queue_tail(self, list: _SkBuffHead, buf: SkBuff) -> None:
        """Append ``buf`` to ``list`` (Q-2)."""
        return self._call("skb_queue_tail", self._k.skb_queue_tail, (list, buf))

    @_c_function("struct sk_buff *skb_dequeue(struct sk_buff_head *list)",
                 op="skb_dequeue", build=_dequeue_env)
    def skb_dequeue(self, list: _SkBuffHead) -> SkBuff | None:
        """Remove and return the first buffer, or None (Q-3)."""
        return self._call("skb_dequeue", self._k.skb_dequeue, (list,))

    @_c_function("struct sk_buff *skb_peek(struct sk_buff_head *list)",
                 op="skb_peek", build=_dequeue_env)
    def skb_peek(self, list: _SkBuffHead) -> SkBuff | None:
        """The first buffer without removing it, or None (Q-6)."""
        return self._call("skb_peek", self._k.skb_peek, (list,))

    @_c_function("struct sk_buff *skb_peek_tail(struct sk_buff_head *list)",
                 op="skb_peek_tail", build=_peek_tail_env)
    def skb_peek_tail(self, list: _SkBuffHead) -> SkBuff | None:
        """The last buffer without removing it, or None (Q-6)."""
        return self._call("skb_peek_tail", self._k.skb_peek_tail, (list,))

    @_c_function("int skb_queue_empty(struct sk_buff_head *list)",
                 exempt=("reading whether a queue is empty changes nothing and has no caller "
                         "obligation in 2.0 (an inline read, as skb_queue_len)"))
    def skb_queue_empty(self, list: _SkBuffHead) -> bool:
        """True if ``list`` holds no buffer."""
        return self._call("skb_queue_empty", self._k.skb_queue_empty, (list,))

    @_c_function("__u32 skb_queue_len(struct sk_buff_head *list)",
                 exempt=("reading a queue's length changes nothing and has no caller obligation "
                         "in 2.0 (it is an inline read of qlen)"))
    def skb_queue_len(self, list: _SkBuffHead) -> int:
        """The number of buffers on ``list``."""
        return self._call("skb_queue_len", self._k.skb_queue_len, (list,))

    @_c_function("void skb_unlink(struct sk_buff *buf)",
                 op="skb_unlink", build=positional("b"))
    def skb_unlink(self, buf: SkBuff) -> None:
        """Take ``buf`` off its queue (Q-5)."""
        return self._call("skb_unlink", self._k.skb_unlink, (buf,))

    @_c_function("void skb_insert(struct sk_buff *old, struct sk_buff *newsk)",
                 op="skb_insert", build=positional("b", "b2"))
    def skb_insert(self, old: SkBuff, newsk: SkBuff) -> None:
        """Put ``newsk`` just before ``old`` (Q-4)."""
        return self._call("skb_insert", self._k.skb_insert, (old, newsk))

    @_c_function("void skb_append(struct sk_buff *old, struct sk_buff *newsk)",
                 op="skb_append", build=positional("b", "b2"))
    def skb_append(self, old: SkBuff, newsk: SkBuff) -> None:
        """Put ``newsk`` just after ``old`` (Q-4)."""
        return self._call("skb_append", self._k.skb_append, (old, newsk))

    # =========================================================================================
    # Modules and messages (MOD)
    # =========================================================================================

    @_c_function("MOD_INC_USE_COUNT  /* macro */",
                 op="mod_inc_use_count", build=_module_env)
    def MOD_INC_USE_COUNT(self) -> None:
        """Raise the module's use count (MOD-3): in ``open``."""
        return self._call("MOD_INC_USE_COUNT", self._k.mod_inc_use_count, ())

    @_c_function("MOD_DEC_USE_COUNT  /* macro */",
                 op="mod_dec_use_count", build=_module_env)
    def MOD_DEC_USE_COUNT(self) -> None:
        """Lower the module's use count (MOD-3): in ``stop``."""
        return self._call("MOD_DEC_USE_COUNT", self._k.mod_dec_use_count, ())

    @_c_function("MOD_IN_USE  /* macro */",
                 exempt="reading the use count changes nothing")
    def MOD_IN_USE(self) -> bool:
        """True while the module's use count is non-zero (MOD-3)."""
        return self._call("MOD_IN_USE", self._k.mod_in_use, ())

    @_c_function("int printk(const char *fmt, ...)  /* here: printk(message) */",
                 exempt="a message to the kernel log changes no state the spec models")
    def printk(self, message: str) -> None:
        """Log one kernel message."""
        return self._call("printk", self._k.printk, (message,))


def _public_names() -> list[str]:
    return sorted(n for n in dir(KernelHandle) if not n.startswith("_"))


def _unknown_name_message(name: str) -> str:
    hint = _NOT_PROVIDED.get(name)
    if hint is not None:
        return f"the kernel handle has no {name!r}: {hint}"
    names = _public_names()
    by_lower = {n.lower(): n for n in names}
    near = [by_lower[n] for n in difflib.get_close_matches(name.lower(), list(by_lower), n=3,
                                                           cutoff=0.6)]
    if not near:
        near = [n for n in names if name.lower() in n.lower()][:3]
    if near:
        return (f"the kernel handle has no {name!r}; nearest kernel names: "
                f"{', '.join(near)}")
    return (f"the kernel handle has no {name!r}; it offers the 2.0 driver API under kernel "
            "names (dir(handle) lists them)")


# -- binding a driver model to a module -------------------------------------------------------


@dataclass(frozen=True)
class DriverModule:
    """A driver model bound to a kernel: the :class:`Module` to insmod, its handle and model."""

    module: Module
    handle: KernelHandle
    model: DriverModel


def make_module(kernel: Kernel, factory: DriverFactory, *, monitor: CallMonitor | None = None,
                instance: int = 0, **params: int) -> DriverModule:
    """Build ``factory``'s model on a fresh handle and wrap it in a :class:`Module`.

    The module is named after ``model.name`` and its ``init_module``/``cleanup_module``
    are the model's; load it with ``kernel.insmod(result.module)``. ``params`` are the
    driver's insmod parameters (e.g. ``io=0x300, irq=5``).
    """
    module = Module("<driver model being built>")
    handle = KernelHandle(kernel, module, monitor)
    model = factory(handle, instance=instance, **params)
    name = model.name
    if not isinstance(name, str) or not name:
        raise ValueError(f"make_module: the driver model's name must be a non-empty str, got "
                         f"{name!r}")
    module.name = name
    module.init_module = model.init_module
    module.cleanup_module = model.cleanup_module
    return DriverModule(module, handle, model)
