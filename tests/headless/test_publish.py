"""Publishing a run: summary.json and the index always, the comparison with --previous, one readable line for a
--previous that is not a run."""

import json

import pytest

from runbook_lib.errors import ConfigError
from runbook_lib.headless.publish import publish_run


def _payload(verdict: str = "WARN") -> dict:
    finding = {"kind": "k", "severity": "warn", "subject": "s", "message": "m", "remediation": "r", "evidence": {}}
    return {
        "source": "snapshot demo",
        "started_at": "2026-11-23T20:00:00Z",
        "exit_code": 0,
        "runbooks": [
            {"runbook": "cpu_topology", "verdict": verdict, "exit_code": 0, "counts": {"warn": 1}}
            | {"findings": [finding], "html": "", "notebook": "", "duration_s": 1.0}
        ],
    }


def test_a_run_is_written_with_its_marker_and_index(tmp_path):
    publish_run(tmp_path / "run", _payload(), "", 0, "")
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["source"] == "snapshot demo"
    assert (tmp_path / "run" / "index.html").exists() and (tmp_path / "run" / ".stack-runbooks-run").exists()


def test_compared_with_an_explicit_previous_run(tmp_path, capsys):
    publish_run(tmp_path / "a", _payload(), "", 0, "")
    later = {**_payload(), "started_at": "2026-11-23T21:00:00Z"}
    publish_run(tmp_path / "b", later, str(tmp_path / "a"), 0, "")
    changes = json.loads((tmp_path / "b" / "summary.json").read_text())["changes"]
    assert (len(changes["new"]), len(changes["persisting"])) == (0, 1)
    assert "since a: 0 new, 0 resolved, 1 persisting" in capsys.readouterr().out


def test_a_previous_that_is_not_a_run_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match=r"--previous .*nowhere: not a run directory \(no readable summary.json"):
        publish_run(tmp_path / "run", _payload(), str(tmp_path / "nowhere"), 0, "")
