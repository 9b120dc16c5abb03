"""FastUc (raw ctypes access to libunicorn) against the high-level binding: same values, same
side effects, same errors, the privilege-checked registers of unicorn 2.1.4 behaving the
same, batches keeping their order, and a clean fallback when the binding is not as expected."""
from __future__ import annotations

import random

import pytest
import unicorn.arm_const as A
from unicorn import UC_ARCH_ARM, UC_ERR_READ_UNMAPPED, UC_ERR_WRITE_UNMAPPED, UC_MODE_THUMB, Uc, UcError

from psaemu.platform.cpu import fastuc
from psaemu.platform.cpu.fastuc import REGS32, FastUc
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine

RAM = 0x20000000
MODELS = {"m33": A.UC_CPU_ARM_CORTEX_M33, "m0": A.UC_CPU_ARM_CORTEX_M0}
GPRS = [getattr(A, f"UC_ARM_REG_R{i}") for i in range(13)] + [A.UC_ARM_REG_SP, A.UC_ARM_REG_LR]
SYSREGS = [A.UC_ARM_REG_MSP, A.UC_ARM_REG_PSP, A.UC_ARM_REG_PRIMASK, A.UC_ARM_REG_BASEPRI,
           A.UC_ARM_REG_FAULTMASK, A.UC_ARM_REG_CONTROL]
READ_ONLY_VIEW = [A.UC_ARM_REG_XPSR, A.UC_ARM_REG_IPSR, A.UC_ARM_REG_APSR, A.UC_ARM_REG_APSR_NZCV,
                  A.UC_ARM_REG_EPSR, A.UC_ARM_REG_PC]


def make_uc(model: str = "m33") -> Uc:
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)
    uc.ctl_set_cpu_model(MODELS[model])
    uc.mem_map(RAM, 0x10000)
    uc.reg_write(A.UC_ARM_REG_MSP, RAM + 0x8000)
    uc.reg_write(A.UC_ARM_REG_PC, RAM | 1)
    return uc


def state(uc: Uc) -> dict[int, int]:
    """Every register the tests touch, read through the binding with Handler mode borrowed."""
    xpsr = uc.reg_read(A.UC_ARM_REG_XPSR)
    uc.reg_write(A.UC_ARM_REG_XPSR_NZCVQG, xpsr | 3)
    values = {r: uc.reg_read(r) for r in SYSREGS}
    uc.reg_write(A.UC_ARM_REG_XPSR_NZCVQG, xpsr)
    values.update({r: uc.reg_read(r) for r in GPRS + READ_ONLY_VIEW})
    return values


def go_unprivileged(write, uc: Uc) -> None:
    """Thread mode, PSP, unprivileged (CONTROL = nPRIV | SPSEL), as firmware would leave it."""
    write(A.UC_ARM_REG_PSP, RAM + 0x4000)
    write(A.UC_ARM_REG_XPSR_NZCVQG, uc.reg_read(A.UC_ARM_REG_XPSR) | 3)   # Handler mode: privileged
    write(A.UC_ARM_REG_CONTROL, 3)
    write(A.UC_ARM_REG_XPSR_NZCVQG, uc.reg_read(A.UC_ARM_REG_XPSR) & ~0x1FF)


def test_raw_path_is_used_when_the_binding_has_the_expected_internals():
    uc = make_uc()
    f = FastUc(uc)
    assert f.raw == (fastuc._raw_lib(uc) is not None)
    assert FastUc(uc, raw=False).raw is False


@pytest.mark.parametrize("model", MODELS)
def test_single_register_reads_and_writes_match_the_binding(model):
    uc = make_uc(model)
    f = FastUc(uc)
    rng = random.Random(7)
    for reg in GPRS:
        value = rng.getrandbits(32)
        f.reg_write(reg, value)
        assert uc.reg_read(reg) == value
        uc.reg_write(reg, value ^ 0xFFFFFFFF)
        assert f.reg_read(reg) == value ^ 0xFFFFFFFF
    for reg in sorted(REGS32):
        assert f.reg_read(reg) == uc.reg_read(reg), reg
    f.reg_write(A.UC_ARM_REG_R0, -1)                   # wraps like c_uint64(-1) in the binding
    assert uc.reg_read(A.UC_ARM_REG_R0) == 0xFFFFFFFF


def test_registers_wider_than_32_bits_go_through_the_binding():
    uc = make_uc()
    f = FastUc(uc)
    uc.reg_write(A.UC_ARM_REG_D1, 0x1122334455667788)
    assert A.UC_ARM_REG_D1 not in REGS32
    assert f.reg_read(A.UC_ARM_REG_D1) == 0x1122334455667788
    f.reg_write(A.UC_ARM_REG_D2, 0x0102030405060708)
    assert uc.reg_read(A.UC_ARM_REG_D2) == 0x0102030405060708
    assert f.reader([A.UC_ARM_REG_D1, A.UC_ARM_REG_R0])() == [0x1122334455667788, uc.reg_read(A.UC_ARM_REG_R0)]


def test_privilege_checked_registers_behave_as_through_the_binding():
    """Unicorn 2.1.4 checks privilege in its register API: unprivileged Thread mode reads MSP/PSP/PRIMASK/BASEPRI/FAULTMASK
    as 0 and ignores writes to them and to CONTROL, whichever path makes the call."""
    ucs = {"api": make_uc(), "raw": make_uc()}
    fast = FastUc(ucs["raw"])
    writes = {"api": ucs["api"].reg_write, "raw": fast.reg_write}
    reads = {"api": ucs["api"].reg_read, "raw": fast.reg_read}
    for name, uc in ucs.items():
        go_unprivileged(writes[name], uc)
    for name in ucs:
        assert [reads[name](r) for r in SYSREGS[:5]] == [0, 0, 0, 0, 0]
        assert reads[name](A.UC_ARM_REG_CONTROL) == 3
        for reg in (A.UC_ARM_REG_MSP, A.UC_ARM_REG_PRIMASK, A.UC_ARM_REG_CONTROL):
            writes[name](reg, 0)                      # ignored
    assert state(ucs["api"]) == state(ucs["raw"])
    assert state(ucs["raw"])[A.UC_ARM_REG_CONTROL] == 3


def test_batches_run_in_list_order_like_single_calls():
    """The borrow sequence of Core.privileged as one batch: Handler mode, the privileged writes,
    Thread mode back, hflags refresh. Order matters (the MSP write only lands while privileged)."""
    seq = [(A.UC_ARM_REG_XPSR_NZCVQG, None), (A.UC_ARM_REG_MSP, RAM + 0x7000), (A.UC_ARM_REG_PRIMASK, 1),
           (A.UC_ARM_REG_R5, 0x55), (A.UC_ARM_REG_XPSR_NZCVQG, None), (A.UC_ARM_REG_APSR_NZCV, None)]
    ucs = {"api": make_uc(), "raw": make_uc()}
    fast = FastUc(ucs["raw"])
    go_unprivileged(ucs["api"].reg_write, ucs["api"])
    go_unprivileged(fast.reg_write, ucs["raw"])
    xpsr = ucs["api"].reg_read(A.UC_ARM_REG_XPSR)
    assert xpsr == ucs["raw"].reg_read(A.UC_ARM_REG_XPSR)
    values = [xpsr | 3, RAM + 0x7000, 1, 0x55, xpsr, xpsr & 0xF0000000]
    for (reg, _), value in zip(seq, values):
        ucs["api"].reg_write(reg, value)
    fast.writer([reg for reg, _ in seq])(*values)
    assert state(ucs["api"]) == state(ucs["raw"])
    assert state(ucs["raw"])[A.UC_ARM_REG_MSP] == RAM + 0x7000
    assert fast.reader([A.UC_ARM_REG_R5, A.UC_ARM_REG_CONTROL, A.UC_ARM_REG_MSP])() == [0x55, 3, 0]
    with pytest.raises(ValueError):
        fast.writer([A.UC_ARM_REG_R0, A.UC_ARM_REG_R1])(1)


def test_memory_access_matches_the_binding_and_raises_the_same_errors():
    uc = make_uc()
    f = FastUc(uc)
    data = bytes(range(256)) * 3
    f.mem_write(RAM + 0x100, data)
    assert bytes(uc.mem_read(RAM + 0x100, len(data))) == data
    uc.mem_write(RAM + 0x40, b"\x78\x56\x34\x12\xef\xbe\xad\xde")
    assert f.mem_read(RAM + 0x40, 8) == b"\x78\x56\x34\x12\xef\xbe\xad\xde"
    assert f.read_u32(RAM + 0x40) == 0x12345678
    assert f.read_words(RAM + 0x40, 2) == (0x12345678, 0xDEADBEEF)
    assert f.mem_read(RAM + 0x100, 700) == data[:700]               # larger than the shared buffer
    assert f.mem_read(RAM, 0) == b""
    f.mem_write(RAM + 0x10, bytearray(b"\x01\x02"))
    assert bytes(uc.mem_read(RAM + 0x10, 2)) == b"\x01\x02"
    for fn, args, errno in ((f.mem_read, (0x90000000, 4), UC_ERR_READ_UNMAPPED),
                            (f.read_u32, (0x90000000,), UC_ERR_READ_UNMAPPED),
                            (f.mem_write, (0x90000000, b"1234"), UC_ERR_WRITE_UNMAPPED)):
        with pytest.raises(UcError) as err:
            fn(*args)
        assert err.value.errno == errno


def test_fallback_when_the_internals_are_not_as_expected(monkeypatch):
    monkeypatch.setattr(fastuc, "_raw_lib", lambda uc: None)
    uc = make_uc()
    f = FastUc(uc)
    assert f.raw is False
    f.reg_write(A.UC_ARM_REG_R3, 0x1234)
    assert uc.reg_read(A.UC_ARM_REG_R3) == f.reg_read(A.UC_ARM_REG_R3) == 0x1234
    assert f.reader([A.UC_ARM_REG_R3, A.UC_ARM_REG_PC])() == [0x1234, uc.reg_read(A.UC_ARM_REG_PC)]
    f.writer([A.UC_ARM_REG_R1, A.UC_ARM_REG_R2])(1, 2)
    assert (uc.reg_read(A.UC_ARM_REG_R1), uc.reg_read(A.UC_ARM_REG_R2)) == (1, 2)
    f.mem_write(RAM, b"\xaa\xbb\xcc\xdd")
    assert f.mem_read(RAM, 4) == b"\xaa\xbb\xcc\xdd" and f.read_u32(RAM) == 0xDDCCBBAA
    assert f.read_words(RAM, 1) == (0xDDCCBBAA,)
    with pytest.raises(UcError):
        f.mem_read(0x90000000, 4)


def test_fallback_when_the_handle_is_missing():
    class NoHandle:
        _uch = None

        def reg_read(self, reg):
            return 7

        def reg_write(self, reg, value):
            pass

    assert fastuc._raw_lib(NoHandle()) is None
    f = FastUc(NoHandle())
    assert f.raw is False and f.reg_read(A.UC_ARM_REG_R0) == 7


@pytest.mark.parametrize("core,image", [("host", "exc_host"), ("se", "exc_se")])
def test_machine_runs_identically_through_the_binding(monkeypatch, core, image):
    """The exception-engine images (nesting, tail-chaining, FP frames, PSP/unprivileged Thread,
    SVCs, WFI/WFE) give the same event trace and registers with PSAEMU_FASTUC=0."""
    results = []
    for env in ("1", "0"):
        monkeypatch.setenv("PSAEMU_FASTUC", env)
        m = Machine()
        m.load(core, image_path(image))
        if core == "se":
            m.set_released("se", True)
        assert m.cores[core].fast.raw == (env == "1" and fastuc._raw_lib(m.cores[core].uc) is not None)
        r = m.run(max_instructions=5_000_000)
        assert r.ok, r.message
        results.append((m.events.digest(), m.cores[core].registers(), r.instructions))
    assert results[0] == results[1]


def test_a_read_made_by_an_mmio_callback_during_a_read_gets_its_own_buffer():
    uc = make_uc()
    f = FastUc(uc)
    f.mem_write(RAM, b"\x11\x22\x33\x44")
    inner = []

    def mmio_read(uc_, offset, size, _ud):
        inner.append(f.mem_read(RAM, 4))               # nested read while the outer one is in C
        return 0xA0 + offset

    uc.mmio_map(0x40000000, 0x1000, mmio_read, None, None, None)
    assert f.mem_read(0x40000000, 4) == bytes(uc.mem_read(0x40000000, 4))
    assert inner and all(x == b"\x11\x22\x33\x44" for x in inner)
