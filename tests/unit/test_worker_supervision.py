"""The supervisor's backoff and messages (service/infra/supervisor.py), the
WORKER_DOWN_AFTER_SECONDS setting, and compose's restart policy for the processes."""

import signal
from pathlib import Path

import pytest
import yaml  # PyYAML, which schemathesis brings

from service.infra.config import ConfigurationError, Settings
from service.infra.supervisor import describe_exit, next_delay


def delays(runs: list[float], first=1.0, limit=30.0, stable_after=60.0) -> list[float]:
    """The pauses before each restart, for children that ran `runs` seconds each."""
    previous = None
    pauses = []
    for ran_for in runs:
        previous = next_delay(previous, ran_for, first, limit, stable_after)
        pauses.append(previous)
    return pauses


def test_restarts_back_off_from_one_second_doubling_to_thirty():
    assert delays([0.5] * 8) == [1, 2, 4, 8, 16, 30, 30, 30]


def test_a_child_that_stayed_up_a_minute_starts_the_backoff_over():
    assert delays([0.5, 0.5, 0.5, 60.0, 0.5]) == [1, 2, 4, 1, 2]


def test_exits_are_described_as_a_person_reads_them():
    assert describe_exit(-signal.SIGKILL) == "killed by SIGKILL"
    assert describe_exit(3) == "exit code 3"
    assert describe_exit(0) == "exit status unknown or 0"


def test_worker_down_after_seconds_defaults_to_15_and_is_checked():
    assert Settings.from_environment({}).worker_down_after_seconds == 15
    assert (
        Settings.from_environment({"WORKER_DOWN_AFTER_SECONDS": "4.5"}).worker_down_after_seconds
        == 4.5
    )
    for bad in ("0", "-3", "nan", "3601", "soon"):
        with pytest.raises(ConfigurationError, match="WORKER_DOWN_AFTER_SECONDS"):
            Settings.from_environment({"WORKER_DOWN_AFTER_SECONDS": bad})


def test_compose_restarts_the_worker_and_the_web_processes_when_they_die():
    compose = yaml.safe_load((Path(__file__).parents[2] / "compose.yaml").read_text())
    for name in ("worker", "web"):
        assert compose["services"][name].get("restart") in ("always", "unless-stopped"), name
