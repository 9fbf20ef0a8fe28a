"""CEPH_CONF reaches ceph only through wrappers that keep the environment: a stale one is refused before ceph
runs there, and never behind sudo (env_reset), a container (cephadm, docker, podman, kubectl) or ssh."""

import pytest

from runbook_lib.errors import ConfigError
from runbook_lib.sources.ceph_environment import check_environment_conf, inherits_environment


@pytest.mark.parametrize(
    ("prefix", "inherited"),
    [
        ("", True),
        ("timeout 60", True),
        ("timeout -k 5 60s", True),
        ("env LC_ALL=C CEPH_ARGS=--id=admin", True),
        ("/usr/bin/nice -n 5 ionice -c3", True),
        ("sudo", False),
        ("sudo -n", False),
        ("timeout 60 sudo -n", False),
        ("cephadm shell --", False),
        ("docker exec ceph-mon", False),
        ("kubectl -n rook-ceph exec deploy/rook-ceph-tools --", False),
        ("ssh mon1", False),
        ("env X=1 ssh mon1", False),
    ],
)
def test_only_environment_keeping_wrappers_pass_ceph_conf_on(prefix, inherited):
    assert inherits_environment(prefix.split()) is inherited


@pytest.mark.parametrize(
    "command", ["sudo ceph", "sudo -n ceph", "cephadm shell -- ceph", "ssh mon1 ceph", "timeout 9 ssh mon1 ceph"]
)
def test_a_stale_ceph_conf_here_does_not_refuse_a_ceph_that_never_reads_it(tmp_path, monkeypatch, command):
    monkeypatch.setenv("CEPH_CONF", str(tmp_path / "stale.conf"))
    check_environment_conf(command, "")  # no error: that ceph reads its own default or its host's


@pytest.mark.parametrize("value", ["/etc/ceph/$cluster.conf", "/etc/ceph/a.conf,/etc/ceph/b.conf"])
def test_ceph_s_own_search_list_forms_are_left_to_ceph(monkeypatch, value):
    monkeypatch.setenv("CEPH_CONF", value)
    check_environment_conf("ceph", "")


@pytest.mark.parametrize("command", ["ceph", "timeout 5 ceph", "env LC_ALL=C ceph", "/usr/bin/ceph"])
def test_a_stale_ceph_conf_the_local_ceph_would_read_is_one_line_before_it_runs(tmp_path, monkeypatch, command):
    missing = tmp_path / "nonexistent.conf"
    monkeypatch.setenv("CEPH_CONF", str(missing))
    with pytest.raises(ConfigError, match=rf"^CEPH_CONF={missing} \(from the environment\) is not a file: "):
        check_environment_conf(command, "")
