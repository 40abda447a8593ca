"""A C driver as a driver model: the compiled module, hosted in the driver's process.

``netdevspec check mydriver.c`` builds the driver (:mod:`.cbuild`) in the checker's
process, which never loads it; the driver's process (:mod:`.driverside`) loads the
shared object with cffi and presents it to the boundary as an ordinary driver model
(:class:`CDriverFactory` is its FACTORY), so the harness, the monitor and the reports
apply unchanged.

* **Calls into the kernel.** Every kernel function of the headers ends in the runtime's
  ``nds_up(name, file, line, n, args)``, a cffi callback here: it turns the C arguments
  into the mirrors and values of :mod:`.driverside` and makes the call through the
  session, with the driver's own ``__FILE__:__LINE__`` as the call's location (the
  headers' macros pass them, so the location is exact and costs nothing).
* **Structures in C memory.** ``struct device``, ``struct sk_buff`` (with its data area),
  ``struct sk_buff_head`` and ``struct sock`` live in C memory, where the driver reads and
  writes them directly. At each crossing their fields are copied: before a call leaves
  the driver (and before a callback returns) every field that differs from what was last
  synchronised is written to its mirror, which sends it with the call to be judged
  exactly as a Python model's write; after the kernel answers (and when a callback
  starts) the kernel's values are written back into C.
* **Callbacks** (``open``, ``stop``, ``hard_start_xmit``, the interrupt handler,
  ``get_stats``, ...) are C function pointers; the kernel calls a :class:`CFunction`,
  which calls the pointer with the arguments converted per the field's C type.
* A buffer's data area is C memory too, addressed as the kernel addresses it (a pointer
  maps to the same offset in the simulated area), so ``skb->tail += n`` moves the
  simulated tail by ``n`` and is judged by the geometry rules. The frame's bytes are not
  copied between the two sides (the spec's rules do not read them).
"""

from __future__ import annotations

import bisect
import ctypes
import difflib
import functools
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from netdevspec.conformance import cbuild
from netdevspec.conformance import driverside as ds
from netdevspec.conformance.cbuild import INCLUDE_DIR, CBuild
from netdevspec.reference.device import EnetStatistics, IfMap
from netdevspec.reference.drivers.base import module_name

from netdevspec.errors import UsageError

__all__ = ["NOT_IN_C", "CDriverFactory", "CFunction", "CModel", "is_c_driver", "load_c_driver"]

#: The handle's functions a C driver has no call for, with why: each is a usage error at
#: build time ("not provided"), never a silent gap (tests/cdriver checks the list).
NOT_IN_C: dict[str, str] = {
    **dict.fromkeys(("skb_put_data", "skb_write", "skb_read"),
                    "the handle's Python form of memcpy into a buffer: C writes the memory"),
}

#: How the runtime passes each kernel function's arguments (one letter per argument):
#: D device, B sk_buff, Q sk_buff_head, T timer_list, S string, i integer, H interrupt
#: handler, C a ``void *`` cookie, f a flag. The driver's memory: ``>`` a buffer whose
#: bytes are sent in its place, ``<`` a buffer the answer's bytes are copied into (not
#: sent), each of ``count`` units of the width after it (1 if none), ``count`` being the
#: argument ``n`` (sent as an integer) or ``N`` (not sent: the bytes carry it).
_ARGS: dict[str, str] = {
    "register_netdev": "D", "unregister_netdev": "D", "dev_get": "S", "dev_alloc_name": "DS",
    "init_etherdev": "Di", "ether_setup": "D", "netif_rx": "B", "eth_type_trans": "BD",
    "dev_tint": "D", "mark_bh": "i",
    "request_irq": "iHiSC", "free_irq": "iC", "disable_irq": "i", "enable_irq": "i",
    "cli": "", "sti": "", "save_flags": "", "restore_flags": "f", "autoirq_setup": "i",
    "autoirq_report": "i", "probe_irq_on": "", "probe_irq_off": "i",
    "check_region": "ii", "request_region": "iiS", "release_region": "ii",
    "request_dma": "iS", "free_dma": "i", "disable_dma": "i", "enable_dma": "i",
    "inb": "i", "inb_p": "i", "inw": "i", "inl": "i", "outb": "ii", "outb_p": "ii",
    "outw": "ii", "outl": "ii", "insb": "i<n", "insw": "i<2n", "outsb": "i>N", "outsw": "i>2N",
    "inw_p": "i", "outw_p": "ii", "insl": "i<4n", "outsl": "i>4N",
    "readb": "i", "readw": "i", "writeb": "ii", "writew": "ii", "memcpy_fromio": "<in",
    "memcpy_toio": "i>N", "eth_copy_and_sum": "B>ni", "udelay": "i",
    "init_timer": "T", "add_timer": "T", "del_timer": "T",
    "alloc_skb": "ii", "dev_alloc_skb": "i", "skb_put": "Bi", "skb_push": "Bi",
    "skb_pull": "Bi", "skb_reserve": "Bi", "skb_trim": "Bi", "skb_headroom": "B",
    "skb_tailroom": "B", "kfree_skb": "Bi", "dev_kfree_skb": "Bi", "skb_clone": "Bi",
    "skb_copy": "Bi", "skb_device_lock": "B", "skb_device_unlock": "B",
    "skb_device_locked": "B", "skb_queue_head_init": "Q", "skb_queue_head": "QB",
    "skb_queue_tail": "QB", "skb_dequeue": "Q", "skb_peek": "Q", "skb_queue_len": "Q",
    "skb_peek_tail": "Q", "skb_queue_empty": "Q",
    "skb_unlink": "B", "skb_insert": "BB", "skb_append": "BB",
    "MOD_INC_USE_COUNT": "", "MOD_DEC_USE_COUNT": "", "MOD_IN_USE": "", "printk": "S",
}


def _arg_spec(kinds: str) -> tuple[tuple[str, int], ...]:
    """``(letter, width)`` per C argument of an _ARGS entry (a width follows ``<``/``>``)."""
    out: list[tuple[str, int]] = []
    for k in kinds:
        if k.isdigit():
            out[-1] = (out[-1][0], int(k))
        else:
            out.append((k, 1))
    return tuple(out)


_SPECS = {name: _arg_spec(kinds) for name, kinds in _ARGS.items()}
#: Functions whose integer answer is an address in a buffer's data area (argument 0).
_ADDRESS_RESULT = frozenset({"skb_put", "skb_push", "skb_pull"})

#: The C type of each method field of ``struct device``.
_DEV_METHODS: dict[str, str] = {
    "init": "int(*)(struct device *)",
    "get_stats": "struct enet_statistics *(*)(struct device *)",
    "open": "int(*)(struct device *)",
    "stop": "int(*)(struct device *)",
    "hard_start_xmit": "int(*)(struct sk_buff *, struct device *)",
    "hard_header": "int(*)(struct sk_buff *, struct device *, unsigned short, void *, "
                   "void *, unsigned)",
    "rebuild_header": "int(*)(void *, struct device *, unsigned long, struct sk_buff *)",
    "set_multicast_list": "void(*)(struct device *)",
    "set_mac_address": "int(*)(struct device *, void *)",
    "do_ioctl": "int(*)(struct device *, struct ifreq *, int)",
    "set_config": "int(*)(struct device *, struct ifmap *)",
    "header_cache_bind": "void(*)(struct hh_cache **, struct device *, unsigned short, __u32)",
    "header_cache_update": "void(*)(struct hh_cache *, struct device *, unsigned char *)",
    "change_mtu": "int(*)(struct device *, int)",
}
_IRQ_HANDLER = "void(*)(int, void *, struct pt_regs *)"
_TIMER_FUNCTION = "void(*)(unsigned long)"
#: The kernel functions the runtime defines for a driver to store in a device.
_KERNEL_METHODS = ("eth_header", "eth_rebuild_header", "eth_change_mtu", "eth_mac_addr")

_DEV_INT_FIELDS = tuple(f for f in ds.DEV_FIELDS if f in ds.DEV_INTS)
_SKB_INT_FIELDS = ("len", "free", "protocol", "pkt_type", "arp", "raddr", "stamp",
                   "ip_summed", "truesize", "lock", "users")
_SKB_PTR_FIELDS = ("data", "tail")
_SKB_FIXED_PTRS = ("head", "end")
_SKB_RAW = (("mac_raw", "mac"), ("h_raw", "h"))
_NAME_BYTES = 32


@functools.cache
def _ffi() -> Any:
    """The cffi declarations of the runtime and the structures (parsed once, in whichever
    process first needs them; a forked driver process inherits them)."""
    import cffi

    text = (INCLUDE_DIR / "netdevspec" / "structs.h").read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    ffi = cffi.FFI()
    ffi.cdef(text)
    ffi.cdef("""
        extern long long (*nds_up)(const char *, void *, int, long long *);
        extern volatile unsigned long jiffies;
        int init_module(void);
        void cleanup_module(void);
        int eth_header(struct sk_buff *, struct device *, unsigned short, void *, void *,
                       unsigned);
        int eth_rebuild_header(void *, struct device *, unsigned long, struct sk_buff *);
        int eth_change_mtu(struct device *, int);
        int eth_mac_addr(struct device *, void *);
        void nds_crash_setup(const unsigned long *, const int *, const int *, int,
                             const unsigned long *, const int *, int, const char *const *);
    """)
    return ffi


def is_c_driver(ref: str) -> bool:
    """Whether a driver named on the command line is C: a ``.c`` file or a folder."""
    return ref.endswith(".c") or os.path.isdir(ref)


def load_c_driver(path: str, cflags: str = "", params: dict[str, int] | None = None, *,
                  cache: Path | str | None = None) -> CDriverFactory:
    """Build the C driver at ``path`` and return its FACTORY; a usage error for a build
    that fails or a ``--param`` naming no global variable of the module."""
    build = cbuild.build(path, cflags, cache=cache)
    for key in params or {}:
        if key not in build.symbols:
            near = difflib.get_close_matches(key, sorted(build.symbols), n=1)
            known = ", ".join(sorted(build.symbols)) or "none"
            raise UsageError(
                f"--param {key}: {path} has no global variable {key!r}",
                "insmod sets a module parameter by its symbol, a global int of the module "
                "(a static one is not visible)",
                f"did you mean {near[0]}?" if near else f"its global variables are: {known}")
    return CDriverFactory(build)


class CDriverFactory:
    """The FACTORY of a built C driver (:func:`~netdevspec.conformance.cbuild.build`):
    called in the driver's process, it loads the shared object there."""

    def __init__(self, build: CBuild) -> None:
        self.build = build
        self.__qualname__ = f"C driver {build.name}"
        # Everything that depends only on the build is made here, once (the declarations,
        # the line table, the crash handler's tables in C memory); the fork server and
        # every driver process inherit it, so a driver process only loads the object.
        ffi = self.ffi = _ffi()
        self.line_table = _line_table(build)
        self.line_offsets = [off for off, _, _ in self.line_table]
        self.line_rows = [(line, f) for _, line, f in self.line_table]
        self.paths = _source_paths(build)
        self.names = _function_names(build)
        self.init_offset = {n: o for o, n in self.names.items()}.get("init_module")
        strings: list[str] = []
        index: dict[str, int] = {}

        def intern(s: str) -> int:
            if s not in index:
                index[s] = len(strings)
                strings.append(s)
            return index[s]

        runtime = Path(cbuild.RUNTIME).name
        lines = [(off, line, -1 if f == runtime else intern(self.paths.get(f, f)))
                 for off, line, f in self.line_table]
        fns = sorted(self.names.items())
        fn_names = [intern(n) for _, n in fns]
        cstr = [ffi.new("char[]", s.encode()) for s in strings]
        self.crash_tables = (
            ffi.new("unsigned long[]", [o for o, _, _ in lines] or [0]),
            ffi.new("int[]", [ln for _, ln, _ in lines] or [0]),
            ffi.new("int[]", [f for _, _, f in lines] or [0]), len(lines),
            ffi.new("unsigned long[]", [o for o, _ in fns] or [0]),
            ffi.new("int[]", fn_names or [0]), len(fns),
            ffi.new("char *[]", cstr or [ffi.NULL]))
        self._keep = cstr

    def __call__(self, handle: Any, /, *, instance: int = 0, **params: int) -> CModel:
        return CModel(self, handle, instance, params)


class CPointer:
    """A ``void *`` of the driver's that the kernel stores and gives back (a ``dev_id``)."""

    def __init__(self, address: int) -> None:
        self.address = address
        self.__qualname__ = "void *"


class CFunction:
    """A C function of the driver's, callable by the kernel with Python values."""

    def __init__(self, model: CModel, address: int, ctype: str, name: str) -> None:
        self.model = model
        self.address = address
        self.ctype = ctype
        self.__qualname__ = name
        self.fn = model.ffi.cast(ctype, address)
        self.params = model.ffi.typeof(self.fn).args

    def __call__(self, *args: Any) -> Any:
        m = self.model
        m.to_c()
        cargs = [m.c_value(a, t) for a, t in zip(args, self.params, strict=False)]
        cargs += [m.ffi.NULL if t.kind == "pointer" else 0 for t in self.params[len(cargs):]]
        result = self.fn(*cargs)
        m.to_py()
        m.finish()
        m._data_writes()
        if m.ffi.typeof(self.fn).result.cname == "struct enet_statistics *":
            return m.stats(result)
        return result

    def __repr__(self) -> str:
        return f"<C function {self.__qualname__}>"


class CModel:
    """One loaded copy of a C driver in its process: a driver model (name, init_module,
    cleanup_module) whose code is the shared object's."""

    def __init__(self, factory: CDriverFactory, handle: Any, instance: int,
                 params: dict[str, int]) -> None:
        build = factory.build
        self.factory = factory
        self.ffi = ffi = _ffi()
        self.handle = handle
        self.name = module_name(build.name, instance)
        self.lib = ffi.dlopen(str(build.library))
        for key, value in params.items():
            if key not in build.symbols:
                known = ", ".join(sorted(build.symbols)) or "none"
                raise TypeError(f"{build.name}: no global variable {key!r} to set (insmod "
                                f"sets a module's global int by name); its globals are: "
                                f"{known}")
            ctypes.c_int.in_dll(ctypes.CDLL(str(build.library)), key).value = value
        self._up = ffi.callback("long long(const char *, void *, int, long long *)",
                                self._upcall, onerror=self._upcall_error)
        self.lib.nds_up = self._up
        self._kernel_methods = {_fn_int(ffi, getattr(self.lib, n)): n for n in _KERNEL_METHODS}
        self._names = factory.names
        off = factory.init_offset
        self._base = 0 if off is None else _fn_int(ffi, self.lib.init_module) - off
        #: Structures in C memory and their mirrors, both ways, with the values last synced.
        self.devs: dict[int, Any] = {}
        self.skbs: dict[int, Any] = {}
        self.live_skbs: dict[int, Any] = {}
        self.queues: dict[int, Any] = {}
        self.socks: dict[int, Any] = {}
        self.timers: dict[int, Any] = {}
        self.addr: dict[int, int] = {}
        self.shadow: dict[int, dict[str, Any]] = {}
        #: Per structure: its C bytes and its mirror's fields as of the last sync (a
        #: crossing compares these first and looks at fields only when they differ).
        self.raw: dict[int, bytes] = {}
        self.seen: dict[int, dict[str, Any]] = {}
        self.keep: list[Any] = []
        self.areas: dict[int, tuple[int, int]] = {}
        self.area_by_head: dict[int, int] = {}
        #: Each data area's bytes as the kernel last got them from the driver.
        self.area_bytes: dict[int, bytes] = {}
        self.functions: dict[int, CFunction] = {}
        self.cookies: dict[int, CPointer] = {}
        self.kfuncs: dict[str, Any] = {}
        self.error: BaseException | None = None
        self._line_offsets = factory.line_offsets
        self._line_rows = factory.line_rows
        self._paths = factory.paths
        self._where: dict[int, list[Any] | None] = {}
        # the crash handler's tables (see runtime.c), made by the factory
        self.lib.nds_crash_setup(*factory.crash_tables)
        self.init_module = self._entry("init_module", self.lib.init_module)
        self.cleanup_module = self._entry("cleanup_module", self.lib.cleanup_module)

    def _entry(self, name: str, fn: Any) -> Callable[[], Any]:
        def entry() -> Any:
            self.to_c()
            result = fn()
            self.to_py()
            self.finish()
            self._data_writes()
            return result

        entry.__qualname__ = name
        return entry

    # -- calls from C ------------------------------------------------------------------------
    def _upcall(self, name_p: Any, caller: Any, n: int, argv: Any) -> int:
        if self.error is not None:  # a kernel call raised: the C code runs out, inert
            return 0
        ffi = self.ffi
        name = ffi.string(name_p).decode()
        if name == "<kernel-function>":
            fname = ffi.string(ffi.cast("char *", argv[0])).decode()
            raise TypeError(f"{fname} is the kernel's own function; a driver does not call "
                            "it (it stores it in a device for the kernel to call)")
        where = self.where(int(ffi.cast("intptr_t", caller)))
        spec = _SPECS[name]
        vals = [int(argv[i]) for i in range(len(spec))]
        count = next((v for (k, _), v in zip(spec, vals, strict=True) if k in "nN"), 0)
        args: list[Any] = []
        into = 0  # the driver's buffer the answer's bytes go to (insb, memcpy_fromio)
        for (k, width), v in zip(spec, vals, strict=True):
            if k == "<":
                into = v
            elif k == ">":
                args.append(bytes(ffi.buffer(ffi.cast("char *", v), max(count, 0) * width))
                            if count > 0 else b"")
            elif k == "n":
                args.append(v)
            elif k != "N":
                args.append(self.py_value(k, v))
        self.to_py()
        self._data_writes()
        session = ds._session()
        result = session.rpc(name, tuple(args), where)
        self.to_c()
        if into:
            if isinstance(result, (bytes, bytearray)):
                ffi.memmove(ffi.cast("char *", into), result, len(result))
            return 0
        if name == "eth_copy_and_sum":
            self._copied(args[0], args[1])
            return 0
        if name in _ADDRESS_RESULT:
            return 0 if result is None else self.c_address(args[0], result)
        if name == "restore_flags" or name == "save_flags":
            return int(bool(result))
        return self.c_result(result)

    def where(self, address: int) -> list[Any] | None:
        """``[file, line]`` of the driver's code at return address ``address`` (the call
        just before it), from the shared object's line table; remembered per address."""
        got = self._where.get(address)
        if got is None and address not in self._where:
            off = address - self._base - 1
            i = bisect.bisect_right(self._line_offsets, off) - 1
            if i >= 0 and self._line_rows[i][1] != Path(cbuild.RUNTIME).name:
                line, fname = self._line_rows[i]
                got = [self._paths.get(fname, fname), line]
            self._where[address] = got
        return got

    def _upcall_error(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        # An exception cannot cross C frames: keep it, return 0 to C, and raise it when the
        # C code returns to Python (see to_py).
        if self.error is None:
            self.error = exc

    # -- values ----------------------------------------------------------------------------
    def py_value(self, kind: str, v: int) -> Any:
        """The Python value of a C argument ``v`` of the given kind (see _ARGS)."""
        if kind == "i":
            return v
        if kind == "f":
            return bool(v)
        if kind == "S":
            return None if v == 0 else self.ffi.string(self.ffi.cast("char *", v)).decode(
                "latin-1")
        if kind == "D":
            return self.device(v)
        if kind == "B":
            return self.skb(v)
        if kind == "Q":
            return self.queue(v)
        if kind == "H":
            return self.function(v, _IRQ_HANDLER, "interrupt handler")
        if kind == "T":
            return self.timer(v)
        return self.cookie(v)

    def cookie(self, v: int) -> Any:
        """A ``void *`` as the kernel keeps it: the device it points at, None, or one
        :class:`CPointer` per address (so the kernel compares dev_ids by identity)."""
        if v == 0:
            return None
        if v in self.devs:
            return self.devs[v]
        c = self.cookies.get(v)
        if c is None:
            c = self.cookies[v] = CPointer(v)
        return c

    def function(self, v: int, ctype: str, what: str) -> Any:
        """A C function pointer as the kernel holds it: None, the kernel's own method it
        stands for, or one :class:`CFunction` per address, named as in the source."""
        if v == 0:
            return None
        if v in self._kernel_methods:
            kf = self.kfuncs.get(self._kernel_methods[v])
            if kf is not None:
                return kf
        f = self.functions.get(v)
        if f is None:
            name = self._names.get(v - self._base, what)
            f = self.functions[v] = CFunction(self, v, ctype, name)
        return f

    def c_result(self, r: Any) -> int:
        """A kernel call's answer as the integer C gets (a pointer for a structure)."""
        if r is None or r is False:
            return 0
        if r is True:
            return 1
        if type(r) is int:
            return r
        a = self.addr.get(id(r))
        if a is not None:
            return a
        if isinstance(r, ds.Device):
            return self.c_device(r)
        if isinstance(r, ds.SkBuff):
            return self.c_skb(r)
        if isinstance(r, ds.SkBuffHead):
            return self.c_queue(r)
        return 0

    def c_value(self, v: Any, ctype: Any) -> Any:
        """A Python value the kernel passes, as the C argument of type ``ctype``."""
        ffi = self.ffi
        if ctype.kind != "pointer":
            return int(v) if v is not None else 0
        if v is None:
            return ffi.NULL
        if isinstance(v, CPointer):
            return ffi.cast(ctype, v.address)
        if isinstance(v, IfMap):
            m = ffi.new("struct ifmap *", {f: getattr(v, f) for f in (
                "mem_start", "mem_end", "base_addr", "irq", "dma", "port")})
            self.keep.append(m)
            return m
        if isinstance(v, (bytes, bytearray)):
            b = ffi.new("unsigned char[]", bytes(v) or b"\0")
            self.keep.append(b)
            return ffi.cast(ctype, b)
        a = self.c_result(v)
        return ffi.cast(ctype, a) if a else ffi.NULL

    def c_address(self, skb: Any, sim: int) -> int:
        """The C address of simulated address ``sim`` in ``skb``'s data area."""
        base, head = self.areas[self.addr[id(skb)]]
        return base + (sim - head)

    def stats(self, p: Any) -> EnetStatistics | None:
        """The ``struct enet_statistics`` at ``p`` by value, as get_stats returns it."""
        if p == self.ffi.NULL:
            return None
        return EnetStatistics(**{f: getattr(p, f) for f in _STATS_FIELDS})

    # -- structures ----------------------------------------------------------------------------
    def device(self, v: int) -> Any:
        """The mirror of the ``struct device`` at C address ``v`` (made on first sight)."""
        if v == 0:
            return None
        m = self.devs.get(v)
        if m is None:
            p = self.ffi.cast("struct device *", v)
            m = ds.Device(_c_str(self.ffi, p.name))
            self._map(v, m, self.devs)
            self.shadow[v] = {}
            self._dev_to_py(v, p, m, fresh=True)
        return m

    def c_device(self, m: Any) -> int:
        """The C address of a device the kernel made (allocated here on first sight)."""
        a = self.addr.get(id(m))
        if a is None:
            p = self.ffi.new("struct device *")
            self.keep.append(p)
            a = int(self.ffi.cast("intptr_t", p))
            self._map(a, m, self.devs)
            self.shadow[a] = {}
            self._dev_to_c(a, p, m)
        return a

    def skb(self, v: int) -> Any:
        """The mirror of the buffer at C address ``v`` (one the kernel gave), or a
        :class:`CPointer` for anything else (the kernel refuses it)."""
        if v == 0:
            return None
        m = self.skbs.get(v)
        if m is None:  # not a buffer the kernel gave: an object of the driver's own
            return self.cookie(v)
        return m

    def c_skb(self, m: Any) -> int:
        """The C address of a buffer the kernel gave (its ``struct sk_buff`` and data area
        made here on first sight; a clone shares its original's data area)."""
        a = self.addr.get(id(m))
        if a is None:
            p = self.ffi.new("struct sk_buff *")
            self.keep.append(p)
            a = int(self.ffi.cast("intptr_t", p))
            d = m.__dict__
            head = d.get("head", 0)
            area = self._area(head, d.get("end", head) - head)
            self.areas[a] = (area, head)
            self._map(a, m, self.skbs)
            self.live_skbs[a] = m
            self.shadow[a] = {}
            self._skb_to_c(a, p, m)
        return a

    def _area(self, head: int, size: int) -> int:
        areas = self.area_by_head
        a = areas.get(head)
        if a is None:
            buf = self.ffi.new("unsigned char[]", max(size, 1))
            self.keep.append(buf)
            a = areas[head] = int(self.ffi.cast("intptr_t", buf))
            self.area_bytes[a] = bytes(max(size, 1))
        return int(a)

    def _data_writes(self) -> None:
        """Bytes the driver wrote into a live buffer's data area since the last crossing
        (``memcpy(skb_put(skb, n), frame, n)``, ``insw`` into it) go to the kernel's copy
        with ``skb_write`` before the call that follows, so the kernel reads the frame the
        driver built (eth_type_trans reads its header) and the write is judged as a use
        of the buffer (a write into a clone's shared data, into a buffer handed off)."""
        ffi = self.ffi
        done: set[int] = set()
        for a, m in list(self.live_skbs.items()):
            base, head = self.areas[a]
            if base in done:
                continue
            done.add(base)
            old = self.area_bytes[base]
            now = ffi.buffer(ffi.cast("char *", base), len(old))[:]
            if now == old:
                continue
            lo = next(i for i in range(len(old)) if old[i] != now[i])
            hi = len(old) - next(i for i in range(len(old)) if old[-1 - i] != now[-1 - i])
            self.area_bytes[base] = now
            ds._session().rpc("skb_write", (m, head + lo, now[lo:hi]), None)

    def _copied(self, skb: Any, data: bytes) -> None:
        """The kernel copied ``data`` to a live buffer's ``data`` (eth_copy_and_sum): the
        same bytes go to its C memory, clipped to the area as the kernel clips them, and
        become what the kernel last got (so they are not sent back as the driver's)."""
        ffi = self.ffi
        a = self.addr.get(id(skb))
        if a is None or a not in self.live_skbs:
            return
        base, head = self.areas[a]
        size = len(self.area_bytes[base])
        off = skb.__dict__.get("data", head) - head
        lo, hi = max(off, 0), min(off + len(data), size)
        if lo < hi:
            ffi.memmove(ffi.cast("char *", base + lo), data[lo - off:hi - off], hi - lo)
            self.area_bytes[base] = ffi.buffer(ffi.cast("char *", base), size)[:]

    def queue(self, v: int) -> Any:
        """The mirror of the ``struct sk_buff_head`` at ``v``: one of a device's
        ``buffs[]``, or the driver's own queue (made on first sight)."""
        if v == 0:
            return None
        m = self.queues.get(v)
        if m is not None:
            return m
        for a, dev in self.devs.items():  # &dev->buffs[i]
            off = v - a - _BUFFS_OFFSET
            if 0 <= off < _BUFFS_SIZE and off % _QUEUE_SIZE == 0:
                return dev.__dict__["buffs"][off // _QUEUE_SIZE]
        m = ds.SkBuffHead()
        self._map(v, m, self.queues)
        return m

    def c_queue(self, m: Any) -> int:
        """The C address of a queue the kernel gave (made here on first sight)."""
        a = self.addr.get(id(m))
        if a is None:
            p = self.ffi.new("struct sk_buff_head *")
            self.keep.append(p)
            a = int(self.ffi.cast("intptr_t", p))
            self._map(a, m, self.queues)
        return a

    def timer(self, v: int) -> Any:
        """The mirror of the driver's ``struct timer_list`` at ``v`` (made on first sight
        with the fields the driver set)."""
        if v == 0:
            return None
        m = self.timers.get(v)
        if m is None:
            m = ds.TimerList()
            self._map(v, m, self.timers)
            self.shadow[v] = {}
            self._timer_to_py(v, m, fresh=True)
        return m

    def _timer_to_py(self, a: int, m: Any, fresh: bool = False) -> None:
        p = self.ffi.cast("struct timer_list *", a)
        sh = self.shadow[a]
        for f in ("expires", "data"):
            v = getattr(p, f)
            if sh.get(f) != v:
                sh[f] = v
                if fresh:
                    m.__dict__[f] = v
                else:
                    setattr(m, f, v)
        fn = int(self.ffi.cast("intptr_t", p.function))
        if sh.get("function") != fn:
            sh["function"] = fn
            py = self.function(fn, _TIMER_FUNCTION, "timer function")
            if fresh:
                m.__dict__["function"] = py
            else:
                m.function = py

    def sock(self, m: Any) -> Any:
        """The ``struct sock *`` for a buffer's socket mirror (made on first sight)."""
        if m is None:
            return self.ffi.NULL
        a = self.addr.get(id(m))
        if a is None:
            p = self.ffi.new("struct sock *")
            self.keep.append(p)
            a = int(self.ffi.cast("intptr_t", p))
            self._map(a, m, self.socks)
            self.shadow[a] = {}
        return self.ffi.cast("struct sock *", a)

    def _map(self, a: int, m: Any, table: dict[int, Any]) -> None:
        table[a] = m
        self.addr[id(m)] = a
        self.keep.append(m)

    # -- synchronisation -----------------------------------------------------------------------
    def to_py(self) -> None:
        """Copy every field the driver changed in C memory to its mirror (sent with the
        next crossing, and judged there)."""
        ffi = self.ffi
        raw = self.raw
        for a, m in list(self.devs.items()):
            p = ffi.cast("struct device *", a)
            now = self._dev_bytes(p)
            if raw.get(a) != now:  # the driver wrote something: find what, field by field
                self._dev_to_py(a, p, m)
                raw[a] = now
                self.seen[a] = dict(m.__dict__)
        # every buffer the driver ever held: a write through a stale pointer to a freed or
        # handed-off buffer is seen, and judged, like any other
        for a, m in self.skbs.items():
            p = ffi.cast("struct sk_buff *", a)
            now = ffi.buffer(p)[:]
            if raw.get(a) != now:
                self._skb_to_py(a, p, m)
                raw[a] = now
                self.seen[a] = dict(m.__dict__)
        for a, m in self.timers.items():
            self._timer_to_py(a, m)
        for a, m in self.socks.items():
            p = ffi.cast("struct sock *", a)
            sh = self.shadow[a]
            for f in ("rmem_alloc", "wmem_alloc"):
                v = getattr(p, f)
                if sh.get(f) != v:
                    setattr(m, f, v)
                    sh[f] = v

    def _dev_bytes(self, p: Any) -> bytes:
        """A device's C memory as bytes: the structure and the name it points at (which a
        driver writes in place, with sprintf)."""
        ffi = self.ffi
        return bytes(ffi.buffer(p)[:] + (b"" if p.name == ffi.NULL else ffi.string(p.name)))

    def finish(self) -> None:
        """Back in Python from C: raise what a kernel call raised while C ran."""
        if self.error is not None:
            exc, self.error = self.error, None
            raise exc

    def to_c(self) -> None:
        """Copy the kernel's values of every shared structure into C memory."""
        ffi = self.ffi
        self.lib.jiffies = ds._session().jiffies if ds._S is not None else 0
        raw, seen = self.raw, self.seen
        for a, m in list(self.devs.items()):
            if seen.get(a) == m.__dict__:  # the kernel changed nothing since the last sync
                continue
            p = ffi.cast("struct device *", a)
            self._dev_to_c(a, p, m)
            raw[a] = self._dev_bytes(p)
            seen[a] = dict(m.__dict__)
        for a, m in list(self.live_skbs.items()):
            if seen.get(a) == m.__dict__:
                continue
            p = ffi.cast("struct sk_buff *", a)
            self._skb_to_c(a, p, m)
            if not m.__dict__.get("alive", True):
                del self.live_skbs[a]
                self._poison(a, p)
            raw[a] = ffi.buffer(p)[:]
            seen[a] = dict(m.__dict__)
        for a, m in self.queues.items():
            ffi.cast("struct sk_buff_head *", a).qlen = m.__dict__.get("qlen", 0)
        for a, m in self.timers.items():  # 2.0 tells a pending timer by next != NULL
            t = ffi.cast("struct timer_list *", a)
            t.next = t.prev = t if m.__dict__.get("pending") else ffi.NULL
        for a, m in self.socks.items():
            p = ffi.cast("struct sock *", a)
            sh = self.shadow[a]
            for f in ("rmem_alloc", "wmem_alloc"):
                v = m.__dict__.get(f, 0)
                if sh.get(f) != v:
                    setattr(p, f, v)
                    sh[f] = getattr(p, f)

    def _dev_to_py(self, a: int, p: Any, m: Any, fresh: bool = False) -> None:
        sh = self.shadow[a]
        d = m.__dict__
        ffi = self.ffi
        put: Callable[[str, Any], None] = d.__setitem__ if fresh else m.__setattr__
        for f in _DEV_INT_FIELDS:
            v = getattr(p, f)
            if sh.get(f) != v:
                sh[f] = v
                put(f, v)
        name = _c_str(ffi, p.name)
        if sh.get("name") != name:
            sh["name"] = name
            put("name", name)
        for f in ("broadcast", "dev_addr"):
            v = bytes(ffi.buffer(getattr(p, f)))
            if sh.get(f) != v:
                sh[f] = v
                put(f, bytearray(v))
        for f, ctype in _DEV_METHODS.items():
            v = int(ffi.cast("intptr_t", getattr(p, f)))
            if sh.get(f) != v:
                sh[f] = v
                put(f, self.function(v, ctype, f))
        for i, q in enumerate(p.buffs):
            sh[f"q{i}"] = q.qlen

    def _dev_to_c(self, a: int, p: Any, m: Any) -> None:
        sh = self.shadow[a]
        d = m.__dict__
        ffi = self.ffi
        for f in _DEV_INT_FIELDS:
            v = d.get(f, 0)
            if sh.get(f) != v:
                setattr(p, f, v & _MASKS[f] if type(v) is int else 0)
                sh[f] = getattr(p, f)
        name = d.get("name", "")
        if sh.get("name") != name:
            buf = ffi.new("char[]", _NAME_BYTES)
            raw = name.encode("latin-1", "replace")[:_NAME_BYTES - 1]
            ffi.memmove(buf, raw, len(raw))
            self.keep.append(buf)
            p.name = buf
            sh["name"] = name
        for f in ("broadcast", "dev_addr"):
            v = bytes(d.get(f) or b"")[:7].ljust(7, b"\0")
            if sh.get(f) != v:
                ffi.memmove(getattr(p, f), v, 7)
                sh[f] = v
        for f in _DEV_METHODS:
            v = d.get(f)
            c = self._fn_address(v)
            if sh.get(f) != c:
                setattr(p, f, ffi.cast(_DEV_METHODS[f], c))
                sh[f] = c
        for i, q in enumerate(d.get("buffs") or ()):
            if i < len(p.buffs):
                p.buffs[i].qlen = q.__dict__.get("qlen", 0)

    def _fn_address(self, v: Any) -> int:
        if v is None:
            return 0
        if isinstance(v, CFunction):
            return v.address
        if isinstance(v, ds.KernelFunction):
            short = v.name.rsplit(".", 1)[-1]
            if short in _KERNEL_METHODS:
                self.kfuncs[short] = v
                return _fn_int(self.ffi, getattr(self.lib, short))
            return _KERNEL_FUNCTION_TAG
        return 0

    def _poison(self, a: int, p: Any) -> None:
        """A freed buffer's fields are filled with a pattern no driver writes, as a
        debugging allocator poisons freed memory: a later write through a stale pointer
        then changes them, even when it writes the value they held, and is judged."""
        sh = self.shadow[a]
        for f in _SKB_INT_FIELDS:
            if f in ds.SKB_WRITABLE:
                setattr(p, f, _POISON & _SKB_MASKS[f])
                sh[f] = getattr(p, f)

    def _skb_to_py(self, a: int, p: Any, m: Any) -> None:
        sh = self.shadow[a]
        base, head = self.areas[a]
        ffi = self.ffi
        for f in _SKB_INT_FIELDS:
            if f not in ds.SKB_WRITABLE:
                continue
            v = getattr(p, f)
            if sh.get(f) != v:
                sh[f] = v
                setattr(m, f, v)
        for f in _SKB_PTR_FIELDS:
            c = int(ffi.cast("intptr_t", getattr(p, f)))
            if sh.get(f) != c:
                sh[f] = c
                setattr(m, f, head + (c - base))
        for f, union in _SKB_RAW:
            c = int(ffi.cast("intptr_t", getattr(p, union).raw))
            if sh.get(f) != c:
                sh[f] = c
                setattr(m, f, 0 if c == 0 else head + (c - base))
        dv = int(ffi.cast("intptr_t", p.dev))
        if sh.get("dev") != dv:
            sh["dev"] = dv
            m.dev = self.device(dv)

    def _skb_to_c(self, a: int, p: Any, m: Any) -> None:
        sh = self.shadow[a]
        base, head = self.areas[a]
        d = m.__dict__
        ffi = self.ffi
        for f in _SKB_INT_FIELDS:
            v = d.get(f, 0)
            if sh.get(f) != v:
                setattr(p, f, v & _SKB_MASKS[f] if type(v) is int else 0)
                sh[f] = getattr(p, f)
        for f in (*_SKB_PTR_FIELDS, *_SKB_FIXED_PTRS):
            v = d.get(f, head)
            c = base + (v - head)
            if sh.get(f) != c:
                setattr(p, f, ffi.cast("unsigned char *", c))
                sh[f] = c
        for f, union in _SKB_RAW:
            v = d.get(f, 0)
            c = 0 if not v else base + (v - head)
            if sh.get(f) != c:
                getattr(p, union).raw = ffi.cast("unsigned char *", c)
                sh[f] = c
        dev = d.get("dev")
        dv = 0 if dev is None else self.c_device(dev)
        if sh.get("dev") != dv:
            p.dev = ffi.cast("struct device *", dv)
            sh["dev"] = dv
        sk = d.get("sk")
        if sh.get("sk") is not sk:
            p.sk = self.sock(sk)
            sh["sk"] = sk


#: What a freed buffer's integer fields hold (see CModel._poison).
_POISON = 0x6B6B6B6B6B6B6B6B
#: A method pointer standing for a kernel function the runtime does not define.
_KERNEL_FUNCTION_TAG = 0x10


def _fn_int(ffi: Any, fn: Any) -> int:
    return int(ffi.cast("intptr_t", fn))


def _c_str(ffi: Any, p: Any) -> str:
    return "" if p == ffi.NULL else str(ffi.string(p).decode("latin-1"))


def _masks(struct: str, names: tuple[str, ...]) -> dict[str, int]:
    ffi = _ffi()
    t = ffi.typeof(f"struct {struct}")
    out = {}
    for name, field in t.fields:
        if name in names:
            out[name] = (1 << (8 * ffi.sizeof(field.type))) - 1
    return out


_MASKS = _masks("device", _DEV_INT_FIELDS)
_SKB_MASKS = _masks("sk_buff", _SKB_INT_FIELDS)
_STATS_FIELDS = tuple(n for n, _ in _ffi().typeof("struct enet_statistics").fields)
_BUFFS_OFFSET = _ffi().offsetof("struct device", "buffs")
_QUEUE_SIZE = _ffi().sizeof("struct sk_buff_head")
_BUFFS_SIZE = _ffi().sizeof("struct sk_buff_head[3]")


def _line_table(build: CBuild) -> list[tuple[int, int, str]]:
    """``(offset, line, file)`` rows of the build's line table (see cbuild), sorted."""
    path = Path(build.library).with_name("lines")
    rows = []
    if path.is_file():
        for row in path.read_text().splitlines():
            off, line, fname = row.split(" ", 2)
            rows.append((int(off, 16), int(line), fname))
    return rows


def _source_paths(build: CBuild) -> dict[str, str]:
    """The line table names files by their base name: the driver's own files (its sources
    and what sits beside them, such as its headers) by full path."""
    out: dict[str, str] = {}
    for src in build.sources:
        for f in sorted(src.parent.iterdir()):
            out.setdefault(f.name, str(f))
        out[src.name] = str(src)
    return out


def _function_names(build: CBuild) -> dict[int, str]:
    """The driver's functions by offset in the shared object (from the build's symbol
    table), so callbacks are named as in the source."""
    path = Path(build.library).with_name("functions")
    out: dict[int, str] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            off, _, name = line.partition(" ")
            if off and name:
                out[int(off, 16)] = name
    return out
