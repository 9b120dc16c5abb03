"""The GDB remote server: the packet layer, the protocol over a raw socket, and real
gdb-multiarch sessions in batch mode against the pingpong and regression pairs."""
from __future__ import annotations

import re
import shutil
import socket
import subprocess
import threading
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from typing import Iterator

import pytest

from psaemu.platform.debug import gdbserver as G
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine

GDB = shutil.which("gdb-multiarch")
needs_gdb = pytest.mark.skipif(GDB is None, reason="gdb-multiarch is not installed (apt-get install gdb-multiarch; "
                                                   "CI installs it)")
GDB_TIMEOUT = 120


# =============================================================================================
# Packet layer
# =============================================================================================

def test_checksum_and_frame():
    assert G.checksum(b"") == 0
    assert G.checksum(b"OK") == (ord("O") + ord("K")) & 0xFF == 0x9A
    assert G.frame(b"OK") == b"$OK#9a"
    assert G.frame(b"qSupported:multiprocess+") == b"$qSupported:multiprocess+#" + b"%02x" % (
        sum(b"qSupported:multiprocess+") % 256)
    assert G.checksum(bytes(range(256))) == sum(range(256)) % 256


def test_escape_round_trip_and_escaped_bytes():
    raw = bytes(range(256)) + b"#$}*"
    esc = G.escape_binary(raw)
    for special in b"#$*":
        assert special not in esc
    assert G.escape_binary(b"a#b") == b"a}\x03b"
    assert G.escape_binary(b"}") == b"}]"
    assert G.escape_binary(b"*$") == b"}\x0a}\x04"
    assert G.unescape_binary(esc) == raw
    assert G.unescape_binary(b"plain") == b"plain"
    with pytest.raises(G.GdbServerError):
        G.unescape_binary(b"abc}")


def test_reader_packets_acks_interrupts_and_fragments():
    r = G.PacketReader()
    assert r.feed(b"+") == [G.Incoming("ack")]
    stream = b"-" + G.frame(b"qSupported:swbreak+") + b"\x03" + G.frame(b"g")
    out = []
    for i in range(len(stream)):            # one byte at a time
        out += r.feed(stream[i:i + 1])
    assert out == [G.Incoming("nak"), G.Incoming("packet", b"qSupported:swbreak+"), G.Incoming("interrupt"),
                   G.Incoming("packet", b"g")]
    assert r.feed(b"$m0,4#00") == [G.Incoming("bad", b"m0,4")]
    assert r.feed(b"$m0,4#zz") == [G.Incoming("bad", b"m0,4")]
    assert r.feed(b"junk" + G.frame(b"?")) == [G.Incoming("packet", b"?")]


def test_reader_binary_payload_with_escaped_bytes_and_0x03_inside():
    data = b"\x03#$}*\x00\xff"
    pkt = b"X1a408000,7:" + G.escape_binary(data)
    r = G.PacketReader()
    (got,) = r.feed(G.frame(pkt))
    assert got.kind == "packet"                     # 0x03 inside a packet is data, not an interrupt
    head, _, body = got.payload.partition(b":")
    assert head == b"X1a408000,7" and G.unescape_binary(body) == data


def test_xfer_slices():
    data = b"<target>*#</target>"
    assert G.xfer_slice(data, 0, 5) == b"m<targ"[:1] + b"<targ"
    assert G.xfer_slice(data, 0, 0x1000) == b"l" + G.escape_binary(data)
    assert G.xfer_slice(data, len(data), 10) == b"l"
    whole = b""
    off = 0
    while True:
        part = G.xfer_slice(data, off, 4)
        whole += G.unescape_binary(part[1:])
        off += 4
        if part[:1] == b"l":
            break
    assert whole == data


def test_target_descriptions():
    host = ET.fromstring(G.V8M_FP.xml)
    features = {f.get("name"): [r.get("name") for r in f.findall("reg")] for f in host.findall("feature")}
    assert features["org.gnu.gdb.arm.m-profile"] == [f"r{i}" for i in range(13)] + ["sp", "lr", "pc", "xpsr"]
    assert features["org.gnu.gdb.arm.m-system"] == ["msp", "psp", "primask", "basepri", "faultmask", "control"]
    assert features["org.gnu.gdb.arm.vfp"] == [f"d{i}" for i in range(16)] + ["fpscr"]
    regnums = [int(r.get("regnum")) for r in host.iter("reg")]
    assert regnums == list(range(len(regnums)))
    se = ET.fromstring(G.V6M.xml)
    assert {f.get("name") for f in se.findall("feature")} == {"org.gnu.gdb.arm.m-profile", "org.gnu.gdb.arm.m-system"}
    assert [r.get("name") for r in se.iter("reg")][-4:] == ["msp", "psp", "primask", "control"]
    assert G.V8M_FP.regs[G.PC_REGNUM].name == "pc"


def test_register_encoding_is_little_endian():
    pc = G.V8M_FP.regs[G.PC_REGNUM]
    assert G.encode_register(pc, 0x1A2601C4) == b"c401261a"
    assert G.decode_register(pc, b"c401261a") == 0x1A2601C4
    assert G.decode_register(pc, b"xxxxxxxx") is None
    d0 = G.V8M_FP.regs[G.V8M_FP.index["d0"]]
    assert G.encode_register(d0, 0x400000003F800000) == b"0000803f00000040"


def test_fp_registers_are_s_pairs_and_read_zero_on_the_se(pingpong_machine):
    m = pingpong_machine
    d1 = G.V8M_FP.regs[G.V8M_FP.index["d1"]]
    G.write_register(m.host, d1, 0x4000000040400000)          # s2 = 3.0f, s3 = 2.0f
    import unicorn.arm_const as A
    assert m.host.uc.reg_read(A.UC_ARM_REG_S2) == 0x40400000
    assert m.host.uc.reg_read(A.UC_ARM_REG_S3) == 0x40000000
    assert G.read_register(m.host, d1) == 0x4000000040400000
    G.write_register(m.se, d1, 0x1234)                         # ignored: the M0+ has no FP
    assert G.read_register(m.se, d1) == 0
    basepri = G.V8M_FP.regs[G.V8M_FP.index["basepri"]]
    G.write_register(m.se, basepri, 0x80)
    assert G.read_register(m.se, basepri) == 0


# =============================================================================================
# The protocol over a raw socket (no gdb needed)
# =============================================================================================

class RawClient:
    """A minimal RSP client for protocol tests."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.reader = G.PacketReader()
        self.pending: list[G.Incoming] = []

    def send(self, payload: bytes) -> None:
        self.sock.sendall(G.frame(payload))

    def packet(self) -> bytes:
        while True:
            while self.pending:
                item = self.pending.pop(0)
                if item.kind == "packet":
                    self.sock.sendall(b"+")
                    return item.payload
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("server closed the connection")
            self.pending += self.reader.feed(data)

    def ask(self, payload: bytes) -> bytes:
        self.send(payload)
        return self.packet()

    def close(self) -> None:
        self.sock.close()


@contextmanager
def serving(machine: Machine, **kwargs) -> Iterator[G.GdbServer]:
    srv = G.GdbServer(machine, log=lambda text: None, **kwargs)
    t = threading.Thread(target=srv.serve, daemon=True)
    t.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        t.join(10)
        assert not t.is_alive(), "the server thread did not end"


def test_raw_protocol_basics(pingpong_machine):
    with serving(pingpong_machine) as srv:
        c = RawClient(srv.port_numbers["all"])
        features = c.ask(b"qSupported:multiprocess+;swbreak+;hwbreak+;vContSupported+").split(b";")
        for want in (b"PacketSize=4000", b"qXfer:features:read+", b"qXfer:threads:read+", b"swbreak+",
                     b"hwbreak+", b"vContSupported+"):
            assert want in features
        assert c.ask(b"vMustReplyEmpty") == b""
        assert c.ask(b"qfThreadInfo") == b"m1,2" and c.ask(b"qsThreadInfo") == b"l"
        assert c.ask(b"qC") == b"QC1"
        assert c.ask(b"T2") == b"OK" and c.ask(b"T3").startswith(b"E")
        assert bytes.fromhex(c.ask(b"qThreadExtraInfo,2").decode()).startswith(b"se cortex-m0plus")
        threads = ET.fromstring(G.unescape_binary(c.ask(b"qXfer:threads:read::0,fff")[1:]))
        assert [(t.get("id"), t.get("name")) for t in threads] == [("1", "host"), ("2", "se")]
        xml = c.ask(b"qXfer:features:read:target.xml:0,3fff")
        assert xml[:1] == b"l" and b"org.gnu.gdb.arm.vfp" in xml
        assert c.ask(b"vCont?") == b"vCont;c;C;s;S"
        stop = c.ask(b"?")
        assert re.fullmatch(rb"T05thread:1;0f:c401261a;", stop), stop
        regs = c.ask(b"g")
        assert len(regs) == 2 * (17 * 4 + 6 * 4 + 16 * 8 + 4)
        assert c.ask(b"p0f") == b"c401261a"
        assert c.ask(b"P0=78563412") == b"OK" and c.ask(b"p0") == b"78563412"
        # memory through both views; X writes binary (with bytes that need escaping)
        data = b"\x03#$}*\x00\x7e\xff"
        assert c.ask(b"X1a408000,8:" + G.escape_binary(data)) == b"OK"
        assert c.ask(b"m1a408000,8") == data.hex().encode()
        assert c.ask(b"Hg2") == b"OK"
        assert c.ask(b"m38208000,8") == data.hex().encode()
        assert c.ask(b"m1a408000,8") == data.hex().encode()       # not in the SE's map: Host view
        assert c.ask(b"M38208004,4:aabbccdd") == b"OK"
        assert c.ask(b"m1a408004,4") == b"aabbccdd"
        assert c.ask(b"mfffffff0,4").startswith(b"E")
        assert c.ask(b"X1a408000,0:") == b"OK"
        # the System Control Space of the selected thread's core (CPUID, CFSR...) is readable
        cpuid = pingpong_machine.se.scs.read(0xD00, 4)
        assert c.ask(b"me000ed00,4") == cpuid.to_bytes(4, "little").hex().encode()
        assert c.ask(b"Hg1") == b"OK"
        assert c.ask(b"me000ed00,4") == pingpong_machine.host.scs.read(0xD00, 4).to_bytes(4, "little").hex().encode()
        assert c.ask(b"Hg2") == b"OK"
        # SE thread: no FP, no basepri/faultmask
        assert c.ask(b"p%x" % G.V8M_FP.index["basepri"]) == b"00000000"
        c.send(b"qRcmd," + b"translate 0x1a408000 host se".hex().encode())
        out = b""
        while (p := c.packet()) != b"OK":
            assert p[:1] == b"O"
            out += bytes.fromhex(p[1:].decode())
        assert b"se:0x38208000" in out
        assert c.ask(b"qUnknownThing") == b""
        c.close()


def _wait_for(predicate, seconds: float = 30.0) -> None:
    import time
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_raw_stop_replies_breakpoints_watchpoints_and_detach(pingpong_machine):
    m = pingpong_machine
    irq24 = symbol("pingpong_se", "IRQ24_Handler")
    with serving(m) as srv:
        c = RawClient(srv.port_numbers["all"])
        assert c.ask(b"QStartNoAckMode") == b"OK"
        c.sock.sendall(G.frame(b"Z0,%x,2" % irq24))          # no acks from here on
        assert c.packet() == b"OK"
        assert c.ask(b"Z0,%x,2" % irq24) == b"OK"           # twice: still one breakpoint
        assert c.ask(b"Z0,ffff0000,2").startswith(b"E")      # no core maps it
        pc = G.encode_register(G.V8M_FP.regs[15], irq24)
        assert c.ask(b"vCont;c") == b"T05swbreak:;thread:2;0f:" + pc + b";"
        assert c.ask(b"qC") == b"QC2"
        assert c.ask(b"z0,%x,2" % irq24) == b"OK"
        assert c.ask(b"Z1,%x,2" % (irq24 + 2)) == b"OK"
        pc2 = G.encode_register(G.V8M_FP.regs[15], irq24 + 2)
        assert c.ask(b"c") == b"T05hwbreak:;thread:2;0f:" + pc2 + b";"
        assert c.ask(b"z1,%x,2" % (irq24 + 2)) == b"OK"
        assert c.ask(b"Hg1") == b"OK"
        assert c.ask(b"Z2,1a408140,4") == b"OK"              # pp_shared.out_round in the Host's view
        stop = c.ask(b"vCont;c")
        assert stop.startswith(b"T05watch:1a408140;thread:2;"), stop    # written by the SE at 0x38208140
        assert c.ask(b"z2,1a408140,4") == b"OK"
        assert c.ask(b"Z3,1a408000,4") == b"OK"              # pp_shared.round: read by the SE through its view
        stop = c.ask(b"c")
        assert re.match(rb"T05rwatch:1a408000;thread:[12];", stop), stop
        assert c.ask(b"z3,1a408000,4") == b"OK"
        assert c.ask(b"Z4,38208004,4") == b"OK"              # nwords, in the SE's view
        stop = c.ask(b"c")
        assert re.match(rb"T05awatch:38208004;thread:[12];", stop), stop
        assert c.ask(b"z4,38208004,4") == b"OK"
        c.sock.sendall(G.frame(b"D"))
        assert c.packet() == b"OK"
        _wait_for(lambda: srv.ended_by is not None)
        assert srv.ended_by == "detached" and m.exit is not None and m.exit[1] == 0
        c.close()


def _loop_forever(client: RawClient, machine: Machine) -> None:
    """Patch the Host's first instruction into ``b .`` so the machine runs until stopped."""
    pc = machine.host.pc & ~1
    assert client.ask(b"M%x,2:fee7" % pc) == b"OK"


def test_raw_interrupt_stops_a_running_machine(pingpong_machine):
    with serving(pingpong_machine, chunk=20_000) as srv:
        c = RawClient(srv.port_numbers["all"])
        _loop_forever(c, pingpong_machine)
        c.send(b"vCont;c")
        import time
        time.sleep(0.3)
        c.sock.sendall(b"\x03")
        stop = c.packet()
        assert stop.startswith(b"T02thread:1;"), stop
        assert pingpong_machine.host.instructions > 20_000          # it did run
        c.close()


def test_raw_budget_and_deadlock_stops():
    m = Machine(console=lambda core, line: None)
    m.load("host", image_path("pingpong_host"))
    with serving(m, chunk=10_000, max_instructions=30_000) as srv:
        c = RawClient(srv.port_numbers["all"])
        _loop_forever(c, m)
        c.send(b"c")
        out = b""
        while (p := c.packet()).startswith(b"O"):
            out += bytes.fromhex(p[1:].decode())
        assert p.startswith(b"T18thread:1;"), p                       # SIGXCPU
        assert b"instruction budget of 30000" in out
        c.close()
    m = Machine(console=lambda core, line: None)
    m.load("host", image_path("pingpong_host"))                      # no SE: the Host waits forever
    with serving(m) as srv:
        c = RawClient(srv.port_numbers["all"])
        c.send(b"vCont;c")
        out = b""
        while (p := c.packet()).startswith(b"O"):
            out += bytes.fromhex(p[1:].decode())
        assert p.startswith(b"T11"), p                                # SIGSTOP
        assert b"nothing can wake it" in out
        c.close()


# =============================================================================================
# Real gdb-multiarch sessions
# =============================================================================================

def _gdb_args(port: int, commands: list[str], elf) -> list[str]:
    args = [GDB, "-batch", "-nx", "-iex", "set debuginfod enabled off", "-ex", "set pagination off",
            "-ex", "set confirm off",
            "-ex", f"target extended-remote :{port}"]
    for cmd in commands:
        args += ["-ex", cmd]
    return args + [str(elf)]


def run_gdb(port: int, commands: list[str], elf) -> str:
    r = subprocess.run(_gdb_args(port, commands, elf), capture_output=True, text=True, timeout=GDB_TIMEOUT)
    return r.stdout + r.stderr


def symbol(image: str, name: str) -> int:
    from psaemu.platform.firmware.loader import read_image
    arch = "v6m" if image.endswith("_se") or image == "se_firmware" else "v8m"
    return read_image(image_path(image), arch, "x").symbols[name] & ~1


@pytest.fixture
def served_pingpong(pingpong_machine):
    with serving(pingpong_machine) as srv:
        yield pingpong_machine, srv


@needs_gdb
def test_gdb_both_cores_break_in_se_inspect_shared_memory_step_and_exit(served_pingpong):
    m, srv = served_pingpong
    irq24 = symbol("pingpong_se", "IRQ24_Handler")
    out = run_gdb(srv.port_numbers["all"], [
        "info threads",
        f"add-symbol-file {image_path('pingpong_se')}",
        f"break *{irq24:#x}",
        "continue",
        "p/x $pc",
        "x/4wx 0x1A408000",
        "x/4wx 0x38208000",
        "stepi",
        "p/x $pc",
        "monitor translate 0x1a408000 host se",
        "delete",
        "continue",
    ], image_path("pingpong_host"))
    assert re.search(r'\* 1\s+Thread 1 "host"', out) and re.search(r'\n\s+2\s+Thread 2 "se"', out), out
    assert 'Thread 2 "se" hit Breakpoint 1' in out and "IRQ24_Handler" in out, out
    pcs = [int(v, 16) for v in re.findall(r"^\$\d+ = (0x[0-9a-f]+)", out, re.M)]
    assert pcs[0] == irq24 and irq24 < pcs[1] <= irq24 + 4, out
    host_view = re.search(r"^0x1a408000[^:]*:\s+(.*)$", out, re.M).group(1).split()
    se_view = re.search(r"^0x38208000[^:]*:\s+(.*)$", out, re.M).group(1).split()
    assert host_view == se_view and host_view[0] == "0x00000001", out       # round 1 of the request
    assert "host:0x1a408000 = se:0x38208000" in out
    assert "exited normally" in out, out
    assert m.exit is not None and m.exit[1] == 0


@needs_gdb
def test_gdb_watchpoint_in_host_view_fires_on_se_write(served_pingpong):
    m, srv = served_pingpong
    out = run_gdb(srv.port_numbers["all"], [
        "watch *(unsigned int *)0x1a408140",          # pp_shared.out_round, written by the SE at 0x38208140
        "continue",
        "info threads",
        "delete",
        "continue",
    ], image_path("pingpong_host"))
    assert "Hardware watchpoint 1: *(unsigned int *)0x1a408140" in out, out
    assert re.search(r"Thread 2 \"se\" hit Hardware watchpoint 1.*\s+Old value = 0\s+New value = 1", out, re.S), out
    assert "exited normally" in out


@needs_gdb
def test_gdb_fault_is_sigsegv_with_report():
    m = Machine(console=lambda core, line: None)
    m.load("host", image_path("fault_host"))
    m.load("se", image_path("pingpong_se"))
    with serving(m) as srv:
        out = run_gdb(srv.port_numbers["all"], ["continue", "monitor fault"], image_path("fault_host"))
    assert 'Thread 1 "host" received signal SIGSEGV' in out, out
    assert "FAULT on core 'host'" in out and "unmapped address 0x60000000" in out, out


@needs_gdb
def test_gdb_regression_pair_ipc_monitor_after_host_breakpoint():
    from psaemu.proxy.system import attach_proxy
    m = Machine(console=lambda core, line: None)
    m.load("host", image_path("regression_host"))
    m.load("se", image_path("se_firmware"))
    system = attach_proxy(m)
    suite_its = symbol("regression_host", "suite_its")
    with serving(m, system=system) as srv:
        out = run_gdb(srv.port_numbers["all"], [f"break *{suite_its:#x}", "continue", "monitor ipc 3",
                                                "monitor cores"], image_path("regression_host"))
        assert srv.ended_by == "killed"                       # batch gdb kills what it started
    assert 'Thread 1 "host" hit Breakpoint 1' in out and "suite_its" in out, out
    records = re.findall(r"^#\d+ .*$", out, re.M)
    assert len(records) == 3 and len(system.records) > 3, out
    assert records[-1] == f"#{len(system.records) - 1} {system.records[-1].format()}"
    assert re.search(r"thread 1 host .* pc=0x0a26[0-9a-f]+ <suite_its>", out), out


@needs_gdb
def test_gdb_one_server_per_core(pingpong_machine):
    m = pingpong_machine
    with serving(m, per_core=True) as srv:
        ports = srv.port_numbers
        host = subprocess.Popen(_gdb_args(ports["host"], ["continue", "info threads", "continue"],
                                          image_path("pingpong_host")),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        se = subprocess.Popen(_gdb_args(ports["se"], ["show architecture", "info registers", "break IRQ24_Handler",
                                                      "continue", "x/2wx 0x38208000", "stepi", "delete", "continue"],
                                        image_path("pingpong_se")),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            host_out = host.communicate(timeout=GDB_TIMEOUT)[0]
            se_out = se.communicate(timeout=GDB_TIMEOUT)[0]
        finally:
            for p in (host, se):
                if p.poll() is None:
                    p.kill()
    assert "armv6s-m" in se_out and "fpscr" not in se_out and "basepri" not in se_out, se_out
    assert "Breakpoint 1, IRQ24_Handler ()" in se_out, se_out
    assert "0x38208000:\t0x00000001\t0x00000040" in se_out, se_out
    assert "Program stopped." in host_out, host_out          # the SE's breakpoint stopped the whole machine
    assert "exited normally" in host_out and "exited normally" in se_out, host_out + se_out


@needs_gdb
def test_psaemu_gdb_command_line():
    import sys
    proc = subprocess.Popen([sys.executable, "-m", "psaemu.platform.cli", "gdb", "--port", "0", "-q",
                             "--host", str(image_path("pingpong_host")), "--se", str(image_path("pingpong_se"))],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = proc.stdout.readline()
        port = int(re.search(r"listening on localhost:(\d+)", first).group(1))
        hint = proc.stdout.readline()
        assert f"gdb-multiarch -ex 'target extended-remote :{port}'" in hint and "pingpong_host.elf" in hint
        out = run_gdb(port, ["info threads", "continue"], image_path("pingpong_host"))
        assert "exited normally" in out, out
        rest = proc.communicate(timeout=GDB_TIMEOUT)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, rest
    assert "Traceback" not in rest


@needs_gdb
def test_gdb_source_stepping_through_wfi_and_interrupts(served_pingpong):
    """next/step/finish single-step the Host through its WFI wait: a sleeping core is stepped by
    running the machine until it executes, and an interrupt pending after CPSIE is taken."""
    m, srv = served_pingpong
    out = run_gdb(srv.port_numbers["all"], ["break run_round", "continue", "next", "next", "step", "finish",
                                            "info threads", "delete", "continue"], image_path("pingpong_host"))
    assert 'Thread 1 "host" hit Breakpoint 1' in out, out
    assert re.search(r"^\s*\* 1\s+Thread 1 \"host\"", out, re.M), out       # finish came back
    assert "exited normally" in out, out


def test_raw_console_to_gdb_and_exit(pingpong_machine):
    with serving(pingpong_machine, console_to_gdb=True) as srv:
        c = RawClient(srv.port_numbers["all"])
        c.send(b"vCont;c")
        out = b""
        while (p := c.packet()).startswith(b"O"):
            out += bytes.fromhex(p[1:].decode())
        assert p == b"W00"
        assert b"[se] pingpong: se round 8\n" in out and b"[host] pingpong: host done, 0 failures\n" in out
        assert c.ask(b"?") == b"W00" and c.ask(b"qfThreadInfo") == b"l"     # no process any more
        c.close()
        _wait_for(lambda: srv.ended_by is not None)
        assert srv.ended_by == "ended"


def _exc_pair() -> Machine:
    m = Machine()
    m.load("host", image_path("exc_host"))
    m.load("se", image_path("exc_se"))
    return m


def _cpsie_in(m: Machine, function: str) -> int:
    """The address of the first CPSIE I in ``function`` of the Host image."""
    start = symbol("exc_host", function) & ~1
    code = m.host.mem_read(start, 0x200)
    return start + next(i for i in range(0, len(code), 2) if code[i:i + 2] == b"\x62\xb6")


def test_raw_step_over_cpsie_takes_the_pending_interrupt_as_machine_step_does():
    """Single-stepping with vCont;s across CPSIE I with SysTick pending enters the handler exactly
    as Machine.step does on an identical machine: same PCs step by step, same event trace."""
    steps = 6
    via_gdb, via_api = _exc_pair(), _exc_pair()
    cpsie = _cpsie_in(via_api, "check_systick")
    handler = symbol("exc_host", "SysTick_Handler") & ~1
    bp = via_api.breakpoints.add("host", cpsie)
    assert via_api.run().reason == "breakpoint"
    via_api.breakpoints.remove(bp)
    api_pcs = []
    for _ in range(steps):
        assert via_api.step("host").reason == "step"
        api_pcs.append(via_api.host.pc)
    # CPSIE, then the step at the ISB enters SysTick_Handler (pended while masked) and executes its first
    # instruction; the handler returns to the ISB
    assert api_pcs[0] == cpsie + 2 and api_pcs[1] == handler + 2 and api_pcs[-1] == cpsie + 2, \
        [hex(pc) for pc in api_pcs]
    with serving(via_gdb) as srv:
        c = RawClient(srv.port_numbers["all"])
        assert c.ask(b"Z0,%x,2" % cpsie) == b"OK"
        assert c.ask(b"vCont;c").startswith(b"T05swbreak:;thread:1;")
        assert c.ask(b"z0,%x,2" % cpsie) == b"OK"
        gdb_pcs = []
        for _ in range(steps):
            assert c.ask(b"vCont;s:1").startswith(b"T05thread:1;")
            gdb_pcs.append(int.from_bytes(bytes.fromhex(c.ask(b"p0f").decode()), "little"))
        c.close()
    assert gdb_pcs == api_pcs
    assert via_gdb.events.digest() == via_api.events.digest()
