"""The proxy configuration macros: placement, the SE's view, the Host image's section, errors."""
from __future__ import annotations

import pytest

from psaemu.platform.errors import ConfigError
from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine
from psaemu.proxy.config import ProxyConfig, parse_defines, resolve_placement

MUSCA = {"PSA_PROXY_SHARED_MEMORY_BASE": 0x1A408000, "PSA_PROXY_SHARED_MEMORY_SIZE": 0x78000,
         "PSA_PROXY_ADDR_TRANSLATION": 1}


def place(defines=None, host_image="regression_host"):
    m = Machine()
    if host_image:
        m.load("host", image_path(host_image))
    cfg = ProxyConfig.from_board(m.board.proxy, "board", defines)
    return resolve_placement(cfg, m.memory, m.host.image)


def test_board_macros_give_musca_placement():
    p = place()
    assert (p.host_base, p.se_base, p.region_size) == (0x1A408000, 0x38208000, 0x78000)
    assert p.buffer_size == 0x77F84 and p.header_size == 124 and p.mode == "base"
    assert p.to_se(0x1A40807C) == 0x3820807C and p.to_se(0) == 0x1DE00000   # NULL moves too (O3)
    assert p.to_host(0x3820807C) == 0x1A40807C


def test_bss_placement_uses_the_image_reservation():
    p = place({"PSA_PROXY_SHARED_MEMORY_BASE": None})
    assert p.mode == "bss" and p.host_base == 0x1A408000 and p.se_base == 0x38208000


def test_bss_placement_in_memory_the_se_cannot_see():
    with pytest.raises(ConfigError, match=r"the SE cannot see .* set PSA_PROXY_SHARED_MEMORY_BASE/SIZE"):
        place({"PSA_PROXY_SHARED_MEMORY_BASE": None}, host_image="pingpong_host")


def test_neither_size_is_the_tf_m_error():
    with pytest.raises(ConfigError, match="neither PSA_PROXY_SHARED_MEMORY_SIZE nor SHARED_BUFFER_SIZE"):
        place({"PSA_PROXY_SHARED_MEMORY_BASE": None, "PSA_PROXY_SHARED_MEMORY_SIZE": None})


def test_shared_buffer_size_alone_works_in_bss_mode():
    p = place({"PSA_PROXY_SHARED_MEMORY_BASE": None, "PSA_PROXY_SHARED_MEMORY_SIZE": None,
               "SHARED_BUFFER_SIZE": 0x1000})
    assert p.buffer_size == 0x1000 and p.region_size == 0x1000 + 124


def test_contradicting_sizes():
    with pytest.raises(ConfigError, match="SHARED_BUFFER_SIZE: 0x100 contradicts"):
        place({"SHARED_BUFFER_SIZE": 0x100})


def test_base_without_size():
    with pytest.raises(ConfigError, match="defined without PSA_PROXY_SHARED_MEMORY_SIZE"):
        place({"PSA_PROXY_SHARED_MEMORY_SIZE": None, "SHARED_BUFFER_SIZE": 0x1000})


def test_base_in_host_only_memory():
    with pytest.raises(ConfigError, match=r"the SE cannot see the proxy's shared memory at Host 0x30000000"):
        place({"PSA_PROXY_SHARED_MEMORY_BASE": 0x30000000, "PSA_PROXY_SHARED_MEMORY_SIZE": 0x8000},
              host_image="pingpong_host")


def test_section_must_match_the_macros():
    with pytest.raises(ConfigError) as info:
        place({"PSA_PROXY_SHARED_MEMORY_BASE": 0x1A410000, "PSA_PROXY_SHARED_MEMORY_SIZE": 0x10000})
    msg = str(info.value)
    assert "regression_host.elf: section .PSA_PROXY_SHARED_MEMORY does not match the proxy macros" in msg
    assert "address 0x1a408000 != PSA_PROXY_SHARED_MEMORY_BASE 0x1a410000" in msg
    assert "size 0x78000 != PSA_PROXY_SHARED_MEMORY_SIZE 0x10000" in msg


def test_translation_off_needs_identical_addresses():
    with pytest.raises(ConfigError, match="PSA_PROXY_ADDR_TRANSLATION is 0 but the SE sees Host 0x1a408000 at "
                                          "0x38208000"):
        place({"PSA_PROXY_ADDR_TRANSLATION": 0})


def test_parse_defines():
    assert parse_defines(["PSA_PROXY_SHARED_MEMORY_SIZE=0x8000", "PSA_PROXY_SHARED_MEMORY_BASE=",
                          "PSA_PROXY_ADDR_TRANSLATION=1", "-SHARED_BUFFER_SIZE"]) == {
        "PSA_PROXY_SHARED_MEMORY_SIZE": 0x8000, "PSA_PROXY_SHARED_MEMORY_BASE": None,
        "PSA_PROXY_ADDR_TRANSLATION": 1, "SHARED_BUFFER_SIZE": None}
    with pytest.raises(ConfigError, match="no value; write PSA_PROXY_ADDR_TRANSLATION=VALUE"):
        parse_defines(["PSA_PROXY_ADDR_TRANSLATION"])
    with pytest.raises(ConfigError, match="unknown macro 'SHARED_BUFER_SIZE'"):
        parse_defines(["SHARED_BUFER_SIZE=4"])
    with pytest.raises(ConfigError, match="expected a number"):
        parse_defines(["SHARED_BUFFER_SIZE=lots"])
