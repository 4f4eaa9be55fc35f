"""Fixtures for tests that need a real Kubernetes API server (see apiserver.py)."""

from __future__ import annotations

from typing import Iterator

import pytest

from .apiserver import KubeApiServer, running_apiserver


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "kube: needs a real kube-apiserver (built once by scripts/kube/build-apiserver.sh)"
    )


@pytest.fixture(scope="session")
def kube_apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeApiServer]:
    """etcd + kube-apiserver + kube-controller-manager on loopback for the whole session."""
    with running_apiserver(tmp_path_factory.mktemp("kube")) as api:
        yield api
