"""The faults suite's platform: proxied, with a private PostgreSQL (tests/faults/platform.py)."""

import pytest

from tests.faults.platform import running_faulty_platform


@pytest.fixture(scope="package")
def faulty_platform(smtp_server, tmp_path_factory):
    with running_faulty_platform(smtp_server, tmp_path_factory.mktemp("faults")) as platform:
        yield platform
