"""A Secure-alias caller outside every ``.tfm_sp.<id>`` section is client 0, and its IPC records say so."""
from __future__ import annotations

import json

from psaemu.platform.firmware.images import image_path
from psaemu.platform.system.machine import Machine
from psaemu.proxy.spm import OUTSIDE_PARTITIONS
from psaemu.proxy.system import attach_proxy

BUDGET = 50_000_000
#: Musca-B1: the Secure alias of a Host address sets bit 28 (same store).
SECURE_ALIAS = 0x10000000


def test_secure_caller_outside_every_partition_is_client_0_and_the_record_says_so():
    m = Machine()
    m.load("host", image_path("regression_host"))
    m.load("se", image_path("se_firmware"))
    printed: list[str] = []
    system = attach_proxy(m, on_record=lambda rec: printed.append(rec.format()))
    # Secure partition 268 calls its own psa_connect (Secure state); send it to the Secure alias of
    # the Non-secure client library's psa_connect instead: Secure code outside every partition
    assert m.run_until("sp268_psa_connect", core="host", max_instructions=BUDGET).reason == "until"
    host = m.host
    done = len(system.records)
    secure_svc = host.image.address_of("psa_connect") + SECURE_ALIAS
    assert m.memory.maps["host"].find(secure_svc).secure is not False
    assert not any(p.start <= secure_svc < p.end for p in system.spm.partitions)
    host.set_reg("pc", secure_svc | 1)
    r = m.run_until(lambda m: len(system.records) > done and system.records[done].t_reply_ps is not None,
                    max_instructions=BUDGET)
    assert r.reason == "until", r.message
    rec = system.records[done]
    origin = f"{OUTSIDE_PARTITIONS} at {secure_svc:#010x}"
    assert rec.client_id == 0 and rec.client_origin == origin
    assert printed[-1] == rec.format() and f" CONNECT client=0 ({origin}) sid=" in printed[-1]
    assert json.loads(rec.to_json())["client_origin"] == origin
    # the records of Non-secure and partition callers have nothing to explain
    earlier = system.records[:done]
    assert {r.client_id for r in earlier} >= {-1} and all(r.client_origin == "" for r in earlier)
    assert all(" client=-1 " in r.format() for r in earlier if r.client_id == -1)
