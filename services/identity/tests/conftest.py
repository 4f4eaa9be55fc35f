import pytest

from services.identity import passwords


@pytest.fixture
def hasher() -> passwords.Hasher:
    return passwords.Hasher(time_cost=1, memory_kib=8192, parallelism=1)
