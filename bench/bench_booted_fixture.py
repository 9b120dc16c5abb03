"""Per-test overhead of the pytest plugin's booted fixture (restore a snapshot) vs building and booting
each time. python bench/bench_booted_fixture.py"""
import time
from psaemu.platform.pytest_plugin import build_machine, boot_to_ready
N = 20
def work(m): m.psa.its_set(0x10, b"x"); m.psa.its_get(0x10)
for host in (None, "regression_host"):
    t = time.perf_counter()
    for _ in range(N):
        m = boot_to_ready(build_machine(None, host, "se_firmware"))
    boot = (time.perf_counter() - t) / N
    snap = m.snapshot()
    ts = []
    for _ in range(N):
        work(m)
        t = time.perf_counter(); m.restore(snap); ts.append(time.perf_counter() - t)
    t = time.perf_counter()
    for _ in range(N): work(m)
    wk = (time.perf_counter() - t) / N
    print(f"host={host}: build+boot {boot*1e3:.1f} ms/test; restore {sum(ts)/N*1e3:.3f} ms/test (median {sorted(ts)[N//2]*1e3:.3f}); ITS set+get itself {wk*1e3:.2f} ms")
