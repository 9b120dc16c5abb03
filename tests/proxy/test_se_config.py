"""The SE firmware's configuration block (proxy/system.py ``_write_se_config``): a word lands at its
named offset, and a block too old for it is refused with a ConfigError naming the image and word."""
from __future__ import annotations

import struct

import pytest

from psaemu.platform.errors import ConfigError
from psaemu.proxy.client import boot_se_only
from psaemu.proxy.system import SE_CONFIG_SYMBOL, SE_CONFIG_WORDS, _write_se_config


def _se(m) -> str:
    return next(name for name, core in m.cores.items() if core.image is not None
                and SE_CONFIG_SYMBOL in core.image.symbols)


def test_word_written_at_its_named_offset() -> None:
    m, _system = boot_se_only()
    se = _se(m)
    core = m.cores[se]
    addr = core.image.address_of(SE_CONFIG_SYMBOL)
    _write_se_config(m, se, 3, "tfm_release", struct.pack("<I", 0x1234), "test", "nothing")
    assert struct.unpack("<I", core.mem_read(addr + 44, 4))[0] == 0x1234
    assert SE_CONFIG_WORDS["tfm_release"] == 44


def test_block_too_old_is_refused_naming_image_and_word() -> None:
    m, _system = boot_se_only()
    se = _se(m)
    core = m.cores[se]
    addr = core.image.address_of(SE_CONFIG_SYMBOL)
    version = struct.unpack("<I", core.mem_read(addr + 4, 4))[0]
    before = core.mem_read(addr, 64)
    with pytest.raises(ConfigError) as exc:
        _write_se_config(m, se, version + 1, "mailbox_slots", b"\x07\0\0\0", "--mailbox-slots 7", "use one slot")
    text = str(exc.value)
    for part in (str(core.image.path), f"version {version}", "mailbox_slots word", "--mailbox-slots 7",
                 f"needs version {version + 1}", "make -C images", "use one slot"):
        assert part in text
    assert core.mem_read(addr, 64) == before
