"""The Host's own platform IOCTL service, for the ``platform-split`` lifted limitation.

TF-M v1.3 forwards the whole platform partition to the SE, whose HAL answers every IOCTL with
``TFM_PLATFORM_ERR_NOT_SUPPORTED``. With ``platform-split`` the Host serves SID 0x41
(``TFM_SP_PLATFORM_IOCTL``) itself, with the platform partition's IOCTL rules and the Musca-B1
SSE-200 HAL's two requests (pin service 0, GPIO service 1), while system reset (0x40) and the NV
counters (0x42) are still forwarded to the SE. The pins are modelled here (16 CMSDK GPIO pins,
their directions, driven levels, external input levels, and the SCC pin settings), as plain data
that a snapshot keeps.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from psaemu.platform.errors import ConfigError
from psaemu.proxy.services import TFM_PLATFORM_IOCTL_INPUT_BUFFER_SIZE, TFM_PLATFORM_IOCTL_OUTPUT_BUFFER_SIZE
from psaemu.proxy.status import PsaStatus

if TYPE_CHECKING:   # spm imports this module
    from psaemu.proxy.operation import Vec
    from psaemu.proxy.spm import Caller, Connection, HostSpm

#: ``enum tfm_platform_err_t``, replied as positive statuses.
TFM_PLATFORM_ERR_SUCCESS = 0
TFM_PLATFORM_ERR_SYSTEM_ERROR = 1
TFM_PLATFORM_ERR_INVALID_PARAM = 2
TFM_PLATFORM_ERR_NOT_SUPPORTED = 3
#: The SID the Host serves with ``platform-split``.
PLATFORM_IOCTL_SID = 0x41
#: Musca-B1 requests (``enum tfm_platform_ioctl_reqest_types_t``).
IOCTL_PIN_SERVICE = 0
IOCTL_GPIO_SERVICE = 1
REQUESTS = {IOCTL_PIN_SERVICE: "pin service", IOCTL_GPIO_SERVICE: "GPIO service"}
#: Pin service types (``enum tfm_pin_service_type_t``); args are 24 bytes, the output a u32 result.
PIN_SET_ALTFUNC, PIN_SET_DEFAULT_IN, PIN_SET_PIN_MODE = 0, 1, 2
PIN_ARGS_SIZE, PIN_OUT_SIZE = 24, 4
#: GPIO service types (``enum tfm_gpio_service_type_t``); args are 12 bytes, the output 8.
(GPIO_INIT, GPIO_PIN_CONFIG, GPIO_PIN_WRITE, GPIO_PIN_READ,
 GPIO_PORT_CONFIG, GPIO_PORT_WRITE, GPIO_PORT_READ) = range(7)
GPIO_ARGS_SIZE, GPIO_OUT_SIZE = 12, 8
#: Driver results in the output: 0 done, 1 invalid argument (``GPIO_CMSDK_ERR_INVALID_ARG``,
#: ``SCC_INVALID_ARG``: [v1.3] sse_200/Native_Driver/gpio_cmsdk_drv.h:64, musca_b1_scc_drv.h:33).
RESULT_OK, RESULT_INVALID_ARG = 0, 1
GPIO_PINS = 16
PIN_MASK = (1 << GPIO_PINS) - 1


@dataclass
class HostPlatform:
    """The Host's platform IOCTL handler and the pin state it drives."""

    direction: int = 0                      # bit n set: pin n is an output
    driven: int = 0                         # levels written to the output register
    inputs: int = 0                         # external levels on the pins (set from Python)
    altfunc: dict[int, int] = field(default_factory=dict)     # pin -> alternate function
    pin_mode: dict[int, int] = field(default_factory=dict)    # pin -> pin mode
    default_in: dict[int, tuple[int, bool]] = field(default_factory=dict)   # altfunc -> (pin value, level)
    calls: int = 0

    def set_input(self, pin: int, level: bool) -> None:
        """Drive an input pin from outside (a button, another chip)."""
        if not 0 <= pin < GPIO_PINS:
            raise ConfigError(f"set_input: GPIO pin {pin} does not exist on the Host platform service; "
                              f"give a pin 0..{GPIO_PINS - 1}")
        self.inputs = (self.inputs | (1 << pin)) if level else (self.inputs & ~(1 << pin))

    def levels(self) -> int:
        """What the data register reads: driven levels on outputs, external ones on inputs."""
        return (self.driven & self.direction) | (self.inputs & ~self.direction & PIN_MASK)

    # -- the platform partition's IOCTL rules ------------------------------------------------
    def serve(self, inputs: list[bytes], out_sizes: list[int]) -> tuple[int, list[bytes], str]:
        """One ``psa_call`` on SID 0x41: (status, output bytes per out_vec, what happened). As the
        platform partition does: trailing empty vectors trimmed, 1..2 inputs and at most one output
        (else SYSTEM_ERROR), a short request or a buffer over 64 bytes is PROGRAMMER_ERROR, and the
        output buffer is written in full whatever the result."""
        self.calls += 1
        in_sizes = [len(b) for b in inputs]
        num_in, num_out = _trimmed(in_sizes), _trimmed(out_sizes)
        if not 1 <= num_in <= 2 or num_out > 1:
            return TFM_PLATFORM_ERR_SYSTEM_ERROR, [b""] * len(out_sizes), \
                f"{num_in} input and {num_out} output vectors (the IOCTL takes 1..2 inputs and at most 1 output)"
        if len(inputs[0]) < 4:
            return PsaStatus.PSA_ERROR_PROGRAMMER_ERROR, [b""] * len(out_sizes), \
                f"request vector of {len(inputs[0])} bytes (needs a 4-byte request)"
        request = struct.unpack_from("<i", inputs[0])[0]
        arg = inputs[1] if num_in > 1 else b""
        out_len = out_sizes[0] if num_out else 0
        if len(arg) > TFM_PLATFORM_IOCTL_INPUT_BUFFER_SIZE or out_len > TFM_PLATFORM_IOCTL_OUTPUT_BUFFER_SIZE:
            return PsaStatus.PSA_ERROR_PROGRAMMER_ERROR, [b""] * len(out_sizes), \
                f"request {request}: input {len(arg)} / output {out_len} bytes over the 64-byte buffers"
        status, data, what = self.hal(request, arg, out_len)
        outputs = [b""] * len(out_sizes)
        if num_out:
            outputs[0] = (data + bytes(out_len))[:out_len]
        return status, outputs, what

    # -- the Musca-B1 SSE-200 HAL -------------------------------------------------------------
    def hal(self, request: int, arg: bytes, out_len: int) -> tuple[int, bytes, str]:
        """``tfm_platform_hal_ioctl``: (status, output bytes, what happened)."""
        if request not in REQUESTS:
            return TFM_PLATFORM_ERR_NOT_SUPPORTED, b"", (
                f"request {request} is not supported (the Host serves "
                + ", ".join(f"{name} {number}" for number, name in REQUESTS.items()) + ")")
        name = REQUESTS[request]
        need = (PIN_ARGS_SIZE, PIN_OUT_SIZE) if request == IOCTL_PIN_SERVICE else (GPIO_ARGS_SIZE, GPIO_OUT_SIZE)
        if (len(arg), out_len) != need:
            return TFM_PLATFORM_ERR_INVALID_PARAM, b"", (
                f"{name}: arguments of {len(arg)} bytes and output of {out_len} (needs {need[0]} and {need[1]})")
        if request == IOCTL_PIN_SERVICE:
            result, what = self._pin(arg)
            return TFM_PLATFORM_ERR_SUCCESS, struct.pack("<I", result), f"{name}: {what}"
        result, data, what = self._gpio(arg)
        return TFM_PLATFORM_ERR_SUCCESS, struct.pack("<II", result, data), f"{name}: {what}"

    def _pin(self, arg: bytes) -> tuple[int, str]:
        kind = struct.unpack_from("<I", arg)[0]
        if kind == PIN_SET_ALTFUNC:
            func, mask = struct.unpack_from("<I4xQ", arg, 8)
            for pin in _pins(mask):
                self.altfunc[pin] = func
            return RESULT_OK, f"alternate function {func} on pins {mask:#x}"
        if kind == PIN_SET_DEFAULT_IN:
            func, value, level = struct.unpack_from("<II?", arg, 8)
            self.default_in[func] = (value, level)
            return RESULT_OK, f"default input of alternate function {func}: pin {value} level {int(level)}"
        if kind == PIN_SET_PIN_MODE:
            mask, mode = struct.unpack_from("<QI", arg, 8)
            for pin in _pins(mask):
                self.pin_mode[pin] = mode
            return RESULT_OK, f"pin mode {mode} on pins {mask:#x}"
        return RESULT_INVALID_ARG, f"unknown pin service type {kind}"

    def _gpio(self, arg: bytes) -> tuple[int, int, str]:
        kind, pin_or_mask, value = struct.unpack("<III", arg)
        single = kind in (GPIO_PIN_CONFIG, GPIO_PIN_WRITE, GPIO_PIN_READ)
        if kind == GPIO_INIT:
            self.direction = self.driven = 0
            return RESULT_OK, 0, "init"
        if kind > GPIO_PORT_READ:
            return RESULT_INVALID_ARG, 0, f"unknown GPIO service type {kind}"
        if (single and pin_or_mask >= GPIO_PINS) or (not single and pin_or_mask & ~PIN_MASK):
            return RESULT_INVALID_ARG, 0, f"GPIO type {kind}: pin or mask {pin_or_mask:#x} out of the {GPIO_PINS} pins"
        mask = (1 << pin_or_mask) if single else pin_or_mask
        if kind in (GPIO_PIN_CONFIG, GPIO_PORT_CONFIG):
            if value not in (0, 1):
                return RESULT_INVALID_ARG, 0, f"direction {value} (0 input, 1 output)"
            self.direction = (self.direction | mask) if value else (self.direction & ~mask)
            return RESULT_OK, 0, f"pins {mask:#x} {'output' if value else 'input'}"
        if kind in (GPIO_PIN_WRITE, GPIO_PORT_WRITE):
            bits = (mask if value else 0) if single else (value & mask)
            self.driven = (self.driven & ~mask) | bits
            return RESULT_OK, 0, f"pins {mask:#x} written {bits:#x}"
        data = self.levels() & mask
        return RESULT_OK, (1 if data else 0) if single else data, f"pins {mask:#x} read {data:#x}"

    # -- snapshots --------------------------------------------------------------------------
    def save_state(self) -> dict[str, Any]:
        """The pin state as plain data."""
        return {"direction": self.direction, "driven": self.driven, "inputs": self.inputs,
                "altfunc": dict(self.altfunc), "pin_mode": dict(self.pin_mode),
                "default_in": dict(self.default_in), "calls": self.calls}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Put the pin state back (an empty state: the state at power-on)."""
        self.__init__(**{k: dict(v) if isinstance(v, dict) else v for k, v in state.items()})  # type: ignore[misc]


def _trimmed(sizes: list[int]) -> int:
    """Vectors left once trailing empty ones are dropped."""
    n = len(sizes)
    while n and sizes[n - 1] == 0:
        n -= 1
    return n


def _pins(mask: int) -> list[int]:
    return [p for p in range(64) if mask >> p & 1]


# -- the Host SPM's side: connections to SID 0x41 it serves without the proxy -----------------
#: ``Connection.chunk`` of a connection the Host serves itself (it holds no forward handle).
HOST_SERVED = -1
#: psa_call types the platform partition takes on every signal (``PSA_IPC_CALL``, NV read/increment).
ACCEPTED_TYPES = (0, 1010, 1011)


def host_serves(spm: HostSpm, sid: int) -> bool:
    """Whether the Host SPM serves ``sid`` itself (SID 0x41 with ``platform-split`` lifted)."""
    return sid == PLATFORM_IOCTL_SID and spm.proxy.profile.host_platform_ioctl


def host_connect(spm: HostSpm, caller: Caller, sid: int) -> int:
    """A connection to the Host's own platform IOCTL service: a handle at once, nothing forwarded."""
    handle = spm.add_connection(caller.client_id, sid, HOST_SERVED)
    spm.machine.events.record(spm.core, "host_platform", op="connect", sid=sid, handle=handle,
                              client=caller.client_id)
    return handle


def host_call(spm: HostSpm, caller: Caller, conn: Connection, ptype: int, in_vecs: list[Vec], out_vecs: list[Vec],
              out_addr: int) -> int | None:
    """A ``psa_call`` on a Host-served connection (the vectors already checked by the SPM): the
    outputs and their lengths are written back to the caller and the status returned."""
    if ptype not in ACCEPTED_TYPES:
        from psaemu.platform.errors import ProtocolError
        spm.machine.request_panic(spm.core, ProtocolError(
            f"Host platform partition psa_panic(): psa_call type {ptype} on handle {conn.handle} (SID "
            f"{conn.sid:#x}); the platform partition takes only types {ACCEPTED_TYPES}; caller {caller}"))
        return None
    inputs = [spm.read_caller(v.base, v.len) if v.len else b"" for v in in_vecs]
    status, outputs, what = spm.host_platform.serve(inputs, [v.len for v in out_vecs])
    for i, (v, data) in enumerate(zip(out_vecs, outputs)):
        if v.len:
            if data:
                spm.core.mem_write(v.base, data)
            spm.core.mem_write(out_addr + 8 * i + 4, struct.pack("<I", len(data)))
    spm.machine.events.record(spm.core, "host_platform", op="ioctl", handle=conn.handle, status=int(status),
                              client=caller.client_id, what=what)
    if status == PsaStatus.PSA_ERROR_PROGRAMMER_ERROR:
        if caller.secure:
            spm.panic(caller, f"the Host platform service replied PSA_ERROR_PROGRAMMER_ERROR: {what}")
            return None
        conn.state = "connect_error"
    return int(status)


def served_on_host(spm: HostSpm, handle: int) -> bool:
    """Whether ``handle`` is a connection the Host serves itself (its outputs were written back at once)."""
    conn = spm.connections.get(struct.unpack("<i", struct.pack("<I", handle & 0xFFFFFFFF))[0])
    return conn is not None and conn.chunk == HOST_SERVED
