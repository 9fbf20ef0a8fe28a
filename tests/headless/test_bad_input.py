"""Bad input, a table: each case through the CLI's entry point gives the documented exit code and one line on
stderr that names the fact and the value, never a traceback (unless --debug asks for one)."""

import gzip
import json
import shutil
import tarfile

import pytest

from runbook_lib.headless.cli import main
from runbook_lib.snapshot import DEMO_SNAPSHOT


def _demo_copy(tmp_path, name="snap"):
    root = tmp_path / name
    shutil.copytree(DEMO_SNAPSHOT, root)
    return root


def _edit_manifest(root, **fields):
    manifest = json.loads((root / "manifest.json").read_text())
    (root / "manifest.json").write_text(json.dumps({**manifest, **fields}))
    return root


def _tarball(tmp_path, cut=None):
    path = tmp_path / "snap.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(DEMO_SNAPSHOT, arcname="snap")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if cut else data)
    return path


def _write(path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# (case, how to build the snapshot argument (or other arguments) in tmp_path, exit code, the line's words)
CASES = [
    ("tarball cut in half", lambda t: ["--snapshot", str(_tarball(t, cut=True))], 2, "is truncated or corrupt"),
    ("not a tarball", lambda t: ["--snapshot", str(_write(t / "x.tar.gz", b"garbage"))], 2, "nor a readable tarball"),
    (
        "gzip of random bytes",
        lambda t: ["--snapshot", str(_write(t / "r.tar.gz", gzip.compress(bytes(range(256)) * 40)))],
        2,
        "nor a readable tarball",
    ),
    (
        "a part that is not UTF-8",
        lambda t: ["--snapshot", str(_write(_demo_copy(t) / "openstack" / "servers.json", b"\xff\xfe[]").parents[1])],
        2,
        "is not UTF-8 text (byte 0)",
    ),
    (
        "JSON nested 100000 deep",
        lambda t: [
            "--snapshot",
            str(_write(_demo_copy(t) / "openstack" / "servers.json", b"[" * 100000 + b"]" * 100000).parents[1]),
        ],
        2,
        "nests JSON deeper than any collected part does",
    ),
    (
        "a part that is an object",
        lambda t: ["--snapshot", str(_write(_demo_copy(t) / "openstack" / "servers.json", b'{"a": 1}').parents[1])],
        2,
        "must hold a JSON list",
    ),
    (
        "manifest parts of the wrong type",
        lambda t: ["--snapshot", str(_edit_manifest(_demo_copy(t), parts="oops"))],
        2,
        "parts must be an object, not str",
    ),
    (
        "manifest schema_version a string",
        lambda t: ["--snapshot", str(_edit_manifest(_demo_copy(t), schema_version="1"))],
        2,
        "schema_version '1' is not a whole number",
    ),
    (
        "a part name that climbs out",
        lambda t: ["--snapshot", str(_edit_manifest(_demo_copy(t), parts={"../../etc/x": {}}))],
        2,
        "part name '../../etc/x' is not a plain relative name like 'openstack/servers'",
    ),
    (
        "a manifest that is a list",
        lambda t: ["--snapshot", str(_write(t / "s" / "manifest.json", b"[]").parent)],
        2,
        "is not a snapshot manifest",
    ),
    ("a directory without a manifest", lambda t: ["--snapshot", str(t)], 2, "it has no manifest.json"),
    ("--out is a file", lambda t: ["--out", str(_write(t / "f", b""))], 2, "f is a file, not a directory"),
    ("--reports-dir is a file", lambda t: ["--reports-dir", str(_write(t / "f", b""))], 2, "f is a file, not a"),
    ("empty --snapshot", lambda t: ["--snapshot", ""], 2, "--snapshot"),
    ("unbalanced quote in ceph_command", lambda t: ["-p", "ceph_command", 'ssh mon1 "ceph'], 2, "cannot be split"),
]


@pytest.mark.parametrize(("case", "build", "code", "words"), CASES, ids=[c[0] for c in CASES])
def test_each_bad_input_is_one_line_with_its_exit_code(tmp_path, capsys, case, build, code, words):
    runbook = "ceph_capacity" if "ceph_command" in case else "cpu_topology"
    args = build(tmp_path)
    where = [] if any(a in args for a in ("--out", "--reports-dir")) else ["--out", str(tmp_path / "out")]
    assert main(["run", runbook, *where, *args]) == code
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("runbook: ") and words in lines[0], err
    assert "Traceback" not in err


def test_a_bug_of_ours_is_one_line_and_its_traceback_only_with_debug(tmp_path, capsys, monkeypatch):
    from runbook_lib.headless import cli

    def broken(args):
        raise KeyError("boom")

    monkeypatch.setattr(cli, "_cmd_run", broken)
    assert main(["run", "cpu_topology"]) == 3
    err = capsys.readouterr().err
    assert err.strip() == (
        "runbook: internal error: KeyError: 'boom' (run again with --debug for the traceback, and report it)"
    )
    assert main(["--debug", "run", "cpu_topology"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("runbook: internal error: KeyError") and "Traceback (most recent call last)" in err


def test_a_refused_value_that_carries_a_secret_is_masked_in_its_line(tmp_path, capsys):
    assert main(["run", "ceph_capacity", "-p", "ceph_command", "sshpass -p hunter2hunter ssh 'mon1 ceph"]) == 2
    err = capsys.readouterr().err
    assert "hunter2hunter" not in err and "sshpass -p *** ssh" in err and "cannot be split" in err


@pytest.mark.parametrize(
    ("summary", "words"),
    [
        ('{"runbooks": 3}', "its 'runbooks' is not a list"),
        ("[]", "it is not a JSON object"),
        ('{"runbooks": [{"runbook": "x"}]}', "runbook entry 0 lacks 'verdict'"),
        ('{"runbooks": [{"runbook": "x", "verdict": "OK", "findings": [1]}]}', "a finding is not an object"),
        ("{", "not a run directory (no readable summary.json"),
    ],
)
def test_a_malformed_run_is_refused_by_report_and_by_previous_before_any_notebook_runs(
    tmp_path, capsys, summary, words
):
    run = tmp_path / "run"
    run.mkdir()
    (run / "summary.json").write_text(summary)
    assert main(["report", str(run)]) == 2
    assert words in capsys.readouterr().err
    assert main(["run", "cpu_topology", "--previous", str(run), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("runbook: --previous ") and words in err and not (tmp_path / "out").exists()


def test_a_clouds_yaml_that_is_not_a_mapping_is_one_line(tmp_path, capsys, monkeypatch):
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text("- a\n- b\n")
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    assert main(["run", "cpu_topology", "--cloud", "prod", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"runbook: cannot read {clouds}: ") and err.endswith("it must map 'clouds:' to named entries")


def _bad_values():
    """Every typed parameter of every runbook, with the values a hurried operator or an unset variable gives:
    wrong types, NaN and infinities, out of range, an unknown choice, a missing path, a change without a cloud."""
    from runbook_lib.headless.params import RUNNER_OWNED, declared_parameters
    from runbook_lib.headless.runner import available_runbooks

    cases = []
    for runbook, notebook in available_runbooks().items():
        for p in declared_parameters(notebook).values():
            if p.name in RUNNER_OWNED:
                continue
            values = {
                "int": ["abc", "1.5", "", "1e999"],
                "float": ["abc", "nan", "inf", ""],  # "-inf" is an option to argparse: its usage error, not ours
                "bool": ["maybe", "2", ""],
                "dict": ["not json", "[1, 2]", '{"a": '],
            }.get(p.type_name, [])
            if p.range:
                low, high = p.range
                values += [str(high * 10 + 1), str(low - 1)]
            if p.choices:
                values.append("bogus-choice")
            if p.path_kind in ("file", "dir"):  # ceph_conf too: its command, ceph by default, runs here
                values.append("/nonexistent/stack-runbooks-path")
            if p.each:
                values += ['{"a": "abc"}', '{"a": 0}', '{"a": true}', '{"a": 65}']
            if p.needs:
                values.append("true")
            cases += [pytest.param(runbook, p.name, v, id=f"{runbook}-{p.name}={v!r}") for v in dict.fromkeys(values)]
    return cases


@pytest.mark.parametrize(("runbook", "name", "value"), _bad_values())
def test_every_typed_parameter_refuses_a_bad_value_in_one_line_before_any_kernel(
    tmp_path, capsys, runbook, name, value
):
    assert main(["run", runbook, "--out", str(tmp_path / "out"), "-p", name, value]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("runbook: ") and name in lines[0], err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


# Values that would run a command if any of them reached a shell: each is refused by the runbook (exit 2, its
# one line in the run's output) and the planted command never runs.
HOSTILE = [
    ("ceph_capacity", "pools", "volumes;touch {canary}"),
    ("ceph_capacity", "ceph_cluster", "ceph$(touch {canary})"),
    ("ceph_capacity", "ceph_id", "admin`touch {canary}`"),
    ("resize_ssh", "nova_user", "nova;touch {canary}"),
    ("resize_ssh", "trust_hosts", "cmp1,cmp2;touch {canary}"),
    ("resize_ssh", "ssh_user", "root$(touch {canary})"),
    ("vif_plugging", "host_facts", "cmp1|touch {canary}"),
    ("vif_plugging", "canary_hosts", "cmp1 && touch {canary}"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("runbook", "name", "value"), HOSTILE, ids=[f"{r}-{n}" for r, n, _ in HOSTILE])
def test_a_value_built_to_reach_a_shell_is_refused_and_runs_nothing(tmp_path, capsys, runbook, name, value):
    canary = tmp_path / "pwned"
    code = main(["run", runbook, "--out", str(tmp_path / "out"), "-p", name, value.format(canary=canary)])
    out = capsys.readouterr().out
    assert code == 2 and "ParameterError: " in out, out
    assert not canary.exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            [],
            "collect needs --cloud NAME, --ceph (with --ceph-conf/--ceph-command), --snapshot with -p, or --sosreport",
        ),
        (["--sosreport", "x.tar.xz", "--ceph"], "collect reads sosreports, or a live cloud/Ceph/hosts, not both"),
        (["--ceph", "--ceph-command", "sudo"], "ceph_command 'sudo' must end with the ceph executable"),
        (["--ceph", "--ceph-conf", "/nonexistent/ceph.conf"], "ceph cannot read its configuration /nonexistent"),
    ],
)
def test_collect_without_a_source_or_with_a_ceph_it_cannot_read_is_one_line(tmp_path, capsys, args, words):
    code = main(["collect", "--out", str(tmp_path / "snap"), *args])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and words in lines[0], err
    assert not (tmp_path / "snap").exists()  # nothing half written


def test_a_secret_in_collects_ceph_command_is_masked_in_its_one_line_and_its_debug_traceback(tmp_path, capsys):
    argv = ["collect", "--out", str(tmp_path / "s"), "--ceph", "--ceph-command", "sshpass -p hunter2pw ssh mon1 sudo"]
    assert main(argv) == 2 and main(["--debug", *argv]) == 2
    err = capsys.readouterr().err
    assert "hunter2pw" not in err and "ceph_command 'sshpass -p *** ssh mon1 sudo' must end with" in err
    assert "Traceback (most recent call last)" in err  # --debug still shows where, masked


def test_the_table_counts_every_case():
    assert len(CASES) + len(_bad_values()) + len(HOSTILE) >= 150
