"""PSA Crypto API 1.0 constants as TF-M encodes them (algorithms, key types, usage flags), as the
proxy layer names them (``psaemu.proxy.services`` re-exports the ones it always had); the values
live in :mod:`psaemu.platform.psa_values`."""
from __future__ import annotations

from psaemu.platform.psa_values import *  # noqa: F401,F403  (re-exported)
