"""Options that only the PSA Proxy model serves are refused before the run when no proxy is attached."""
from __future__ import annotations

from psaemu.platform.cli import main
from psaemu.platform.errors import ConfigError
from psaemu.platform.firmware.images import image_path

PINGPONG = ["--host", str(image_path("pingpong_host")), "--se", str(image_path("pingpong_se"))]


def test_trace_ipc_without_a_proxy_is_an_error_before_running(capsys, tmp_path):
    status = main(["run", *PINGPONG, "--trace-ipc"])
    out, err = capsys.readouterr()
    assert status == ConfigError.exit_code == 120
    assert "psaemu: error: --trace-ipc needs the PSA Proxy model" in err and "use --proxy on" in err
    assert "--proxy auto decided so" in err
    assert "[host]" not in out                                   # nothing ran
    status = main(["run", "--proxy", "off", "--trace-ipc", str(tmp_path / "ipc.txt"), "-q"])
    _, err = capsys.readouterr()
    assert status == 120 and "none is attached: --proxy off;" in err
    assert not (tmp_path / "ipc.txt").exists()
