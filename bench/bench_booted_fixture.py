"""Per-test overhead of the pytest plugin's ``booted`` fixture (restore the session's snapshot)
against building and booting a machine for each test, with and without a Host image.

    python bench/bench_booted_fixture.py

Each "test" is an ITS set + get through the scripted client; its own cost is printed beside the
overheads so the ratio means something.
"""
import time

from psaemu.platform.system.builder import MachineSpec, build_machine
from psaemu.platform.testing.pytest_plugin import boot_to_ready

N = 20


def work(m):
    m.psa.its_set(0x10, b"x")
    m.psa.its_get(0x10)


for host in (None, "regression_host"):
    t = time.perf_counter()
    for _ in range(N):
        m = boot_to_ready(build_machine(MachineSpec(images={"host": host, "se": "se_firmware"}, default_images=False)))
    boot = (time.perf_counter() - t) / N
    virtual_us = m.now_ps / 1e6
    snap = m.snapshot()
    restores, works = [], []
    for _ in range(N):
        t = time.perf_counter()
        work(m)
        works.append(time.perf_counter() - t)
        t = time.perf_counter()
        m.restore(snap)
        restores.append(time.perf_counter() - t)
    restore = sum(restores) / N
    print(f"host={host}: booted at {virtual_us:.0f} us virtual; build+boot {boot * 1e3:.1f} ms/test; "
          f"restore {restore * 1e3:.3f} ms/test (median {sorted(restores)[N // 2] * 1e3:.3f}), "
          f"{boot / restore:.0f}x less; the test itself {sum(works) / N * 1e3:.2f} ms")
