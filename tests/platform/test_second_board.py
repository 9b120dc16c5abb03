"""A second board, unlike Musca-B1 in everything a board file can say (tests/boards/tiny.toml:
cores ``main``/``aux``, other clocks, memory bases, window bases, MHU and UART addresses and IRQ
numbers, no SCC, no [proxy] table), running the pingpong sources built for it. Nothing about
Musca-B1 or the core names ``host``/``se`` may be hard-coded for this to pass."""
from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from psaemu.platform.cpu.core import CoreState
from psaemu.platform.cpu.nvic import IRQ0, exception_name
from psaemu.platform.errors import ImageError
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine

TINY = Path(__file__).resolve().parent.parent / "boards" / "tiny.toml"
PSAEMU = [sys.executable, "-m", "psaemu.platform.cli"]
ROUNDS = 8
MAIN_SHARED, AUX_SHARED = 0x21000000, 0x60000000
MUSCA_IRQS = {87, 88, 89, 23, 24, 25}


def psaemu(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*PSAEMU, *args], capture_output=True, text=True, timeout=120)


def tiny_images() -> tuple[Path, Path]:
    return image_path("pingpong_tiny_main"), image_path("pingpong_tiny_aux")


@pytest.fixture(scope="module")
def ran() -> tuple[Machine, object]:
    """The tiny board with its pingpong pair, run to the end."""
    m = Machine(TINY)
    main_elf, aux_elf = tiny_images()
    m.load("main", main_elf)
    m.load("aux", aux_elf)
    return m, m.run(max_instructions=5_000_000, timeout=60)


def test_tiny_board_loads_with_its_own_cores_and_numbers():
    m = Machine(TINY)
    b = m.board
    assert b.name == "tiny" and list(m.cores) == ["main", "aux"]
    main, aux = b.cores["main"], b.cores["aux"]
    assert (main.cpu, main.clock_hz, main.priority_bits, main.num_irqs, main.reset) == \
        ("cortex-m33", 100_000_000, 4, 16, "run")
    assert (aux.cpu, aux.clock_hz, aux.priority_bits, aux.num_irqs, aux.reset) == \
        ("cortex-m0plus", 12_000_000, 2, 8, "run")
    assert [(r.name, r.base, r.size) for r in main.regions] == [("flash", 0, 0x40000), ("ram", 0x20000000, 0x20000)]
    assert [(r.name, r.base, r.size) for r in aux.regions] == [("flash", 0x10000000, 0x10000),
                                                               ("ram", 0x20000000, 0x8000)]
    assert [(w.name, w.size, w.bases) for w in b.windows] == [("mailbox", 0x4000,
                                                               {"main": MAIN_SHARED, "aux": AUX_SHARED})]
    assert b.proxy == {} and b.mhu == {"channels": 2, "revision": "2.0"}
    assert "musca_b1_scc" not in {p.type for p in b.peripherals}
    # The cores are built from the board: NVIC sizes and implemented priority bits.
    assert (m.main.nvic.num_irqs, m.aux.nvic.num_irqs) == (16, 8)
    assert (m.main.nvic.prio_mask, m.aux.nvic.prio_mask) == (0xF0, 0xC0)
    assert m.main.v8m and not m.aux.v8m
    assert "host" not in m.cores and "se" not in m.cores


def test_check_prints_the_tiny_maps():
    r = psaemu("check", str(TINY))
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert "OK (tiny: main cortex-m33, aux cortex-m0plus)" in out
    main_map = out[out.index("memory map of core 'main'"):out.index("memory map of core 'aux'")]
    aux_map = out[out.index("memory map of core 'aux'"):]
    for line in ("0x00000000..0x0003ffff  flash      flash", "0x20000000..0x2001ffff  ram        ram",
                 "0x21000000..0x21003fff  window     mailbox", "0x40004000..0x40004fff  peripheral main_uart",
                 "0x40010000..0x40010fff  peripheral main_to_aux_sender",
                 "0x40011000..0x40011fff  peripheral aux_to_main_receiver"):
        assert line in main_map, line
    for line in ("0x10000000..0x1000ffff  flash      flash", "0x20000000..0x20007fff  ram        ram",
                 "0x50008000..0x50008fff  peripheral aux_uart",
                 "0x50010000..0x50010fff  peripheral main_to_aux_receiver",
                 "0x50011000..0x50011fff  peripheral aux_to_main_sender",
                 "0x60000000..0x60003fff  window     mailbox"):
        assert line in aux_map, line
    assert "window mailbox: 16K seen by main@0x21000000, aux@0x60000000" in out


def test_pingpong_pair_runs_on_main_and_aux(ran):
    m, r = ran
    assert r.reason == "exit" and r.exit_code == 0 and r.core == "main", r.message
    main, aux = m.console.lines("main"), m.console.lines("aux")
    assert main == (["pingpong: host up"] + [f"pingpong: round {i} ok" for i in range(1, ROUNDS + 1)]
                    + ["pingpong: host done, 0 failures"])
    assert aux == ["pingpong: se up"] + [f"pingpong: se round {i}" for i in range(1, ROUNDS + 1)]
    assert set(m.console.data) == {"main", "aux"}
    # aux runs from power-on: reset at load, never released (there is no SCC), sleeps in WFI.
    kinds = [e[2] for e in m.events if e[1] == "aux"]
    assert "reset" in kinds and "release" not in kinds and kinds.count("wfi") >= ROUNDS
    assert m.aux.state is CoreState.SLEEPING
    assert m.main.image.vector_table == 0 and m.aux.image.vector_table == 0x10000000


def test_shared_window_translates_between_the_two_bases(ran):
    m, _ = ran
    mem = m.memory
    assert mem.translate(MAIN_SHARED, "main", "aux") == AUX_SHARED
    assert mem.translate(AUX_SHARED + 0x3FFC, "aux", "main") == MAIN_SHARED + 0x3FFC
    # The block main wrote through its .shared section is what aux sees at its own base.
    shared = m.main.image.address_of("pp_shared")
    assert shared == MAIN_SHARED
    main_view = bytes(m.main.uc.mem_read(shared, 0x280))
    assert main_view == bytes(m.aux.uc.mem_read(mem.translate(shared, "main", "aux"), 0x280)) and any(main_view)
    # Same base, separate stores: each core's RAM at 0x20000000 is its own.
    assert mem.translate(0x20000000, "main", "aux") is None
    assert mem.translate(0x10000000, "aux", "main") is None


def test_window_is_one_store_and_rams_are_not():
    m = Machine(TINY)
    m.main.uc.mem_write(MAIN_SHARED + 0x10, struct.pack("<I", 0x7104B0A2))
    assert m.aux.uc.mem_read(AUX_SHARED + 0x10, 4) == struct.pack("<I", 0x7104B0A2)
    m.aux.uc.mem_write(AUX_SHARED + 0x20, b"aux")
    assert m.main.uc.mem_read(MAIN_SHARED + 0x20, 3) == b"aux"
    m.main.uc.mem_write(0x20000000, b"main-ram")
    assert m.aux.uc.mem_read(0x20000000, 8) != b"main-ram"


def test_the_tiny_mhu_irq_numbers_are_the_ones_raised(ran):
    m, _ = ran
    raised = {(e[1], dict(e[3])["irq"]) for e in m.events.of_kind("irq_line") if dict(e[3])["level"]}
    assert raised == {("main", 5), ("main", 6), ("aux", 3), ("aux", 4)}
    assert not {irq for _, irq in raised} & MUSCA_IRQS
    # The firmware takes the line it enabled from its board header: comb on main, msg0 on aux.
    taken = {(e[1], dict(e[3])["name"]) for e in m.events.of_kind("exception_entry", "tail_chain")}
    assert taken == {("main", exception_name(IRQ0 + 6)), ("aux", exception_name(IRQ0 + 3))}
    assert taken == {("main", "IRQ6"), ("aux", "IRQ3")}


def test_cli_runs_the_tiny_board_with_image_options():
    main_elf, aux_elf = tiny_images()
    r = psaemu("run", "--board", str(TINY), "--image", f"main={main_elf}", "--image", f"aux={aux_elf}")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "[main] pingpong: host up" in r.stdout and "[aux] pingpong: se up" in r.stdout
    assert "[aux] pingpong: se round 8" in r.stdout
    assert "[main] pingpong: host done, 0 failures" in r.stdout
    assert "[host]" not in r.stdout and "[se]" not in r.stdout and "[proxy]" not in r.stdout
    assert "main exited with status 0" in r.stderr and "Traceback" not in r.stderr


def test_cli_without_images_names_the_cores_of_the_board():
    r = psaemu("run", "--board", str(TINY))
    assert r.returncode == 120, r.stdout + r.stderr
    assert "--image CORE=IMAGE" in r.stderr and "main, aux" in r.stderr and "Traceback" not in r.stderr


def test_musca_images_do_not_fit_the_tiny_board():
    m = Machine(TINY)
    with pytest.raises(ImageError, match="outside the memory of core 'main'"):
        m.load("main", image_path("pingpong_host"))
    with pytest.raises(ImageError, match="no core named 'se'"):
        m.load("se", image_path("pingpong_se"))
