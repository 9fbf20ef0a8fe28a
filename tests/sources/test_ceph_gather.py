"""The Ceph gather: each part once, a failure kept with its part, a monitor that does not answer ending it at
once, and one deadline for the whole gather — with the real ceph/rbd CLIs where they can produce the case, and
a stand-in ``ceph`` that answers every command with the upmap lab's real ``osd dump`` for the deadline."""

import shutil
import stat
from pathlib import Path

import pytest

from runbook_lib.errors import ParameterError, SourceUnreachable
from runbook_lib.sources.ceph import CephAccess
from runbook_lib.sources.ceph_gather import CEPH_PARTS, collect_ceph, collect_rbd, rbd_watchers
from runbook_lib.sources.ceph_gather import test_reweight as preview_reweight  # named like a test: not collected
from runbook_lib.sources.deadline import Deadline

OSD_DUMP = Path(__file__).parent.parent / "fixtures" / "ceph-upmap-lab" / "osd_dump.json"


def missing_conf(tmp_path) -> CephAccess:
    assert shutil.which("ceph") and shutil.which("rbd"), "ceph-common is installed by 'make test'"
    return CephAccess(conf=str(tmp_path / "missing.conf"), timeout=3)


def answering(tmp_path) -> CephAccess:
    """``ceph`` (and ``rbd`` beside it) that log each command line and print the lab's osd dump."""
    for tool in ("ceph", "rbd"):
        path = tmp_path / "bin" / tool
        path.parent.mkdir(exist_ok=True)
        path.write_text(f'#!/bin/sh\necho "{tool} $*" >> {tmp_path}/calls\ncat {OSD_DUMP}\n')
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return CephAccess(str(tmp_path / "bin" / "ceph"), timeout=5)


class Ticking:
    """A clock one second later at each look: the deadline passes after a counted number of checks."""

    def __init__(self):
        self.now = -1.0

    def __call__(self):
        self.now += 1
        return self.now


def test_cephs_own_reweight_preview_keeps_its_limits_and_the_error_instead_of_raising(tmp_path):
    record = preview_reweight(missing_conf(tmp_path), 120, 0.05, 4, True)
    assert {k: record[k] for k in ("oload", "max_change", "max_osds", "no_increasing", "result")} == {
        "oload": 120,
        "max_change": 0.05,
        "max_osds": 4,
        "no_increasing": True,
        "result": None,
    }
    assert record["error"].startswith("'ceph osd test-reweight-by-utilization 120 0.05 4 --no-increasing': ")


def test_an_rbd_failure_is_kept_in_the_pools_record_and_per_watcher(tmp_path):
    ceph = missing_conf(tmp_path)
    record = collect_rbd(ceph, "volumes")
    assert {k: record[k] for k in ("pool", "images", "du", "trash")} == {
        "pool": "volumes",
        "images": [],
        "du": {},
        "trash": [],
    }
    # the real rbd's words for a missing conf (global_init: unable to open config file) are read as such
    assert record["error"] == (
        f"'rbd ls -l --pool volumes': ceph cannot read its configuration {tmp_path / 'missing.conf'}; "
        "set ceph_conf to the cluster's ceph.conf"
    )
    [watched] = rbd_watchers(ceph, ["vms/3930a8c5-f35c-402b-9b60-41e2812c8bd2_disk"])
    assert watched["image"] == "vms/3930a8c5-f35c-402b-9b60-41e2812c8bd2_disk" and watched["watchers"] == []
    assert watched["error"].startswith(
        "'rbd status --pool vms --image 3930a8c5-f35c-402b-9b60-41e2812c8bd2_disk': ceph cannot read its configuration"
    )
    with pytest.raises(ParameterError):
        rbd_watchers(ceph, ["-x/image"])
    with pytest.raises(ParameterError):
        collect_rbd(ceph, "vol umes")


def test_a_gather_that_cannot_reach_the_cluster_raises_at_once(tmp_path):
    with pytest.raises(SourceUnreachable, match=r"^'ceph osd dump': ceph cannot read its configuration"):
        collect_ceph(missing_conf(tmp_path), ["volumes"])
    with pytest.raises(ParameterError, match="'vol umes' is not a Ceph pool name"):
        collect_ceph(missing_conf(tmp_path), ["volumes", "vol umes"])  # before any command runs
    assert CEPH_PARTS[0] == ("ceph/osd_dump", ["osd", "dump"])  # the one part nothing works without


def test_what_the_deadline_leaves_unasked_says_so_and_costs_no_command(tmp_path):
    access = answering(tmp_path)
    parts, problems = collect_ceph(
        access,
        ["volumes", "vms"],
        {"oload": 120, "max_change": 0.05, "max_osds": 4, "no_increasing": False},
        Deadline(3, Ticking()),
    )
    assert [p for p in parts if p != "ceph/gather"][:2] == ["ceph/osd_dump", "ceph/osd_df_tree"]
    unasked = [part for part, _ in CEPH_PARTS[2:]] + ["ceph/test_reweight"]
    assert problems == {p: f"{p}: not asked: the collection's deadline of 3 s had passed" for p in unasked} | {
        "ceph/rbd": "rbd could not read pool(s) volumes, vms "
        "(first: rbd of pool volumes: not asked: the collection's deadline of 3 s had passed)"
    }
    assert [r["error"] for r in parts["ceph/rbd"]] == [
        "rbd of pool volumes: not asked: the collection's deadline of 3 s had passed",
        "rbd of pool vms: not asked: the collection's deadline of 3 s had passed",
    ]
    # two parts and the epoch after: three commands, none for what was not asked
    calls = (tmp_path / "calls").read_text().splitlines()
    assert [c.split(" --connect-timeout 5 ")[1] for c in calls] == [
        "osd dump --format json",
        "osd df tree --format json",
        "osd dump --format json",
    ]
    assert parts["ceph/gather"][0]["epoch_after"] == parts["ceph/osd_dump"][0]["epoch"]
    [late] = rbd_watchers(access, ["volumes/volume-1"], Deadline(0))
    assert late == {
        "image": "volumes/volume-1",
        "watchers": [],
        "error": "rbd status of volumes/volume-1: not asked: the collection's deadline of 0 s had passed",
    }
    assert len((tmp_path / "calls").read_text().splitlines()) == 3


def test_within_the_deadline_every_part_is_asked_once(tmp_path):
    parts, problems = collect_ceph(answering(tmp_path), ["volumes"], None, Deadline(600))
    assert problems == {} and set(dict(CEPH_PARTS)) <= set(parts)
    assert len((tmp_path / "calls").read_text().splitlines()) == len(CEPH_PARTS) + 1 + 3  # epoch; rbd ls, du, trash


def only_osd_dump(tmp_path, reweight_says: str) -> CephAccess:
    """``ceph`` that answers ``osd dump`` only (and test-reweight with ``reweight_says`` on stderr, exit 33);
    ``rbd`` that always fails."""
    ceph, rbd = tmp_path / "bin" / "ceph", tmp_path / "bin" / "rbd"
    ceph.parent.mkdir()
    ceph.write_text(
        f'#!/bin/sh\ncase "$*" in *"osd dump"*) cat {OSD_DUMP}; exit 0;;\n'
        f'*test-reweight*) echo "{reweight_says}" >&2; exit 33;; esac\necho "refused: $*" >&2; exit 1\n'
    )
    rbd.write_text('#!/bin/sh\necho "rbd refused: $*" >&2; exit 1\n')
    for path in (ceph, rbd):
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return CephAccess(str(ceph), timeout=5)


def test_pools_rbd_could_not_read_and_a_failed_reweight_preview_are_problems_but_cephs_refusal_is_not(tmp_path):
    limits = {"oload": 120, "max_change": 0.05, "max_osds": 4, "no_increasing": False}
    _, problems = collect_ceph(
        only_osd_dump(tmp_path, "Error EIO: the monitor hiccupped"), ["vms", "nosuchpool"], limits
    )
    assert problems["ceph/rbd"] == (
        "rbd could not read pool(s) vms (first: 'rbd ls -l --pool vms' failed with exit code 1: "
        "rbd refused: --client-mount-timeout 5 ls -l --pool vms --format json)"
    )  # nosuchpool is not in the OSDMap: nothing to read there, which the analysis says apart
    assert problems["ceph/test_reweight"].endswith("failed with exit code 33: Error EIO: the monitor hiccupped")
    shutil.rmtree(tmp_path / "bin")
    refusal = "Error EDOM: Refusing to reweight: we only have 107504 kb used across all osds!"
    _, problems = collect_ceph(only_osd_dump(tmp_path, refusal), ["vms"], limits)
    assert "ceph/test_reweight" not in problems and "ceph/rbd" in problems
