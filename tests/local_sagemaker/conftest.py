"""session_from_config points byom_monitor.io.storage at the local S3; each module puts back
what was there, so other tests keep their own S3 client."""
from __future__ import annotations

import pytest

from byom_monitor.io import storage


@pytest.fixture(scope="module", autouse=True)
def restore_storage_client():
    saved = storage._s3_client
    yield
    storage.set_s3_client(saved)
