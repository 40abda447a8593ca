"""Building a C driver: headers, dialect, cache, and the errors a user sees (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cdrivertools import C_DRIVERS
from netdevspec.conformance import cbuild
from netdevspec.conformance.cbuild import BuildError, build
from netdevspec.conformance.handle import KernelHandle

HEADER = "#include <linux/module.h>\n#include <linux/netdevice.h>\n"
MODULE = "int init_module(void) { return 0; }\nvoid cleanup_module(void) { }\n"


def _write(tmp_path: Path, text: str, name: str = "drv.c") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_a_build_is_cached_by_content_under_xdg_cache_home(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    src = _write(tmp_path, HEADER + "int io = 0x300;\n" + MODULE)
    first = build(src)
    assert not first.cached and first.library.is_file()
    assert first.library.is_relative_to(tmp_path / "xdg" / "netdevspec" / "cbuild")
    assert "io" in first.symbols  # a module parameter stays a real symbol (-O0, global)
    again = build(src)
    assert again.cached and again.library == first.library
    src.write_text(HEADER + "int io = 0x280;\n" + MODULE)
    assert build(src).library != first.library  # a changed source is a new build


def test_a_folder_of_c_files_is_one_module(tmp_path: Path) -> None:
    d = tmp_path / "mydrv"
    d.mkdir()
    _write(d, HEADER + "int helper(void) { return 1; }\n", "a.c")
    _write(d, HEADER + "extern int helper(void);\nint init_module(void) { return helper() - 1; }"
           "\nvoid cleanup_module(void) { }\n", "b.c")
    b = build(d, cache=tmp_path / "c")
    assert b.name == "mydrv" and len(b.sources) == 2


def test_a_compile_error_quotes_the_compiler_with_file_and_line(tmp_path: Path) -> None:
    src = _write(tmp_path, HEADER + MODULE + "int broken(void) { return 1 +; }\n")
    with pytest.raises(BuildError, match=r"drv\.c does not compile:\n.*drv\.c:5:\d+: error"):
        build(src, cache=tmp_path / "c")


def test_a_kernel_function_the_headers_lack_is_named_as_not_provided(tmp_path: Path) -> None:
    src = _write(tmp_path, HEADER + "int init_module(void) {\n"
                 "  dev_queue_xmit(0, 0, 0);\n  return 0;\n}\nvoid cleanup_module(void) { }\n")
    with pytest.raises(BuildError, match=r"calls dev_queue_xmit \(.*drv\.c:4\), which "
                       r"netdevspec's kernel does not provide"):
        build(src, cache=tmp_path / "c")


def test_a_header_netdevspec_lacks_is_named(tmp_path: Path) -> None:
    src = _write(tmp_path, "#include <linux/proc_fs.h>\n" + MODULE)
    with pytest.raises(BuildError, match=r"includes <linux/proc_fs\.h>, which netdevspec's "
                       "headers do not provide"):
        build(src, cache=tmp_path / "c")


def test_a_file_without_init_module_is_no_module(tmp_path: Path) -> None:
    src = _write(tmp_path, HEADER + "int loopback_init(struct device *dev) { return 0; }\n")
    with pytest.raises(BuildError, match=r"defines no init_module.*Fix: add `int "
                       r"init_module\(void\)`"):
        build(src, cache=tmp_path / "c")


def test_no_compiler_says_how_to_install_one(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))
    with pytest.raises(BuildError, match=r"no C compiler found.*apt-get install gcc"):
        build(_write(tmp_path, HEADER + MODULE), cache=tmp_path / "c")


def test_not_a_c_file_and_an_empty_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match=r"is not a \.c file"):
        build(_write(tmp_path, "x", "drv.py"), cache=tmp_path / "c")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BuildError, match=r"holds no \.c file"):
        build(tmp_path / "empty", cache=tmp_path / "c")


def test_the_constants_come_from_the_kernel_handle() -> None:
    text = cbuild.constants_header()
    for name in dir(KernelHandle):
        value = getattr(KernelHandle, name)
        if name.isupper() and type(value) is int and name not in ("MAX_ADDR_LEN",
                                                                  "DEV_NUMBUFFS"):
            assert f"#define {name} {value}\n" in text


def test_the_c_reference_drivers_compile_without_warnings(tmp_path: Path) -> None:
    for src in sorted(C_DRIVERS.glob("*.c")):
        b = build(src, "-Wall -Werror", cache=tmp_path / "c")
        assert b.library.is_file()
