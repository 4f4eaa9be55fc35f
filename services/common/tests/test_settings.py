import subprocess
import sys

import pytest

from services.common.settings import ServiceSettings, load_settings
from tests.fixtures.postgres import ROOT


def test_missing_required_setting_stops_with_its_name(monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("GRPC_PORT", "5000")
    with pytest.raises(SystemExit) as stop:
        load_settings(ServiceSettings)
    assert stop.value.code == 2
    assert "DATABASE_URL: is required but not set" in capsys.readouterr().err


def test_invalid_setting_is_named(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql://x@127.0.0.1/db")
    monkeypatch.setenv("GRPC_PORT", "not-a-port")
    with pytest.raises(SystemExit):
        load_settings(ServiceSettings)
    assert "GRPC_PORT" in capsys.readouterr().err


def test_a_service_process_refuses_to_start_without_its_database():
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT}/gen:{ROOT}"}
    result = subprocess.run([sys.executable, "-m", "services.points"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "DATABASE_URL: is required but not set" in result.stderr
