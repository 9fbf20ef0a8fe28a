"""Bad input about where to read from and where to write, through the CLI: a clouds.yaml that does not parse, an
auth_url that is no URL, a keystone nobody listens for, an --out that cannot be a directory. Each gives its exit
code and one line on stderr naming the fact and the value, before anything is read; never a traceback. No cloud
is needed: the clouds.yaml is written in tmp_path, and keystone is a local port nothing listens on."""

import socket

import pytest
from conftest import run_cli

from runbook_lib.headless.cli import main

ENTRY = (
    "{auth: {auth_url: 'AUTH', username: u, password: p, project_name: x, user_domain_name: Default, "
    "project_domain_name: Default}, region_name: RegionOne}"
)


def _clouds(tmp_path, text):
    path = tmp_path / "clouds.yaml"
    path.write_text(text)
    return path


# (case, clouds.yaml text, the line after "runbook: " with {file} for its path)
CLOUDS = [
    (
        "an unclosed flow sequence",
        "clouds: [unclosed\n",
        "cannot parse {file}: expected ',' or ']', but got '<stream end>' at line 2, column 1 (while parsing a flow "
        "sequence at line 1, column 9); fix the file (openstacksdk would skip it without a word)",
    ),
    (
        "a tab for indentation",
        "clouds:\n\tprod:\n\t\tauth: {}\n",
        "cannot parse {file}: found character '\\t' that cannot start any token at line 2, column 1 (while scanning "
        "for the next token); fix the file (openstacksdk would skip it without a word)",
    ),
    (
        "an auth_url that is no URL",
        "clouds: {prod: " + ENTRY.replace("AUTH", "not-a-url") + "}\n",
        "auth_url 'not-a-url' of cloud 'prod' is not a URL (it needs http:// or https:// and a host, e.g. "
        "https://keystone.example.com:5000/v3); fix it in {file}",
    ),
    (
        "an auth_url without a host",
        "clouds: {prod: " + ENTRY.replace("AUTH", "http://") + "}\n",
        "auth_url 'http://' of cloud 'prod' is not a URL (it needs http:// or https:// and a host, e.g. "
        "https://keystone.example.com:5000/v3); fix it in {file}",
    ),
]


@pytest.mark.parametrize("command", ["run", "collect"])
@pytest.mark.parametrize(("case", "text", "line"), CLOUDS, ids=[c[0] for c in CLOUDS])
def test_a_clouds_yaml_the_sdk_would_misread_is_one_line_before_anything_is_read(
    tmp_path, capsys, monkeypatch, command, case, text, line
):
    clouds = _clouds(tmp_path, text)
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    runbook = ["cpu_topology"] if command == "run" else []
    assert main([command, *runbook, "--cloud", "prod", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err == f"runbook: {line.format(file=clouds)}\n"
    assert not (tmp_path / "out").exists()


def test_a_keystone_that_refuses_the_connection_is_one_line_that_says_so(tmp_path):
    """In a process of its own: keystoneauth's warning reached stderr through Python's last-resort handler,
    which pytest's own log capture hides."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens
    clouds = _clouds(tmp_path, "clouds: {x: " + ENTRY.replace("AUTH", f"http://127.0.0.1:{port}/") + "}\n")
    env = {"OS_CLIENT_CONFIG_FILE": str(clouds)}
    proc = run_cli("collect", "--cloud", "x", "--out", str(tmp_path / "out"), env=env)
    assert proc.returncode == 2
    assert proc.stderr == (
        f"runbook: keystone authentication: cannot reach the endpoint of cloud 'x': connection refused at "
        f"http://127.0.0.1:{port}/; is the service up and the auth_url/endpoint right?\n"
    )
    assert not (tmp_path / "out").exists()


def _stand_in_ceph(tmp_path):
    """A ceph that notes each call in ``calls``: what a collection read before it refused."""
    ceph = tmp_path / "bin" / "ceph"
    ceph.parent.mkdir()
    ceph.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path / "calls"}\necho "{{}}"\n')
    ceph.chmod(0o755)
    return ceph


@pytest.mark.parametrize(
    "source",
    [
        lambda t: ["collect", "--ceph", "--ceph-command", str(_stand_in_ceph(t))],
        lambda t: ["collect", "--cloud", "x"],
        lambda t: ["run", "cpu_topology", "--cloud", "x"],
    ],
    ids=["collect --ceph", "collect --cloud", "run --cloud"],
)
def test_an_out_that_is_a_file_is_said_before_any_source_is_read(tmp_path, capsys, monkeypatch, source):
    clouds = _clouds(tmp_path, "clouds: {x: " + ENTRY.replace("AUTH", "http://127.0.0.1:9/") + "}\n")
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    (tmp_path / "afile").write_text("")
    assert main([*source(tmp_path), "--out", str(tmp_path / "afile")]) == 2
    assert capsys.readouterr().err == (
        f"runbook: --out {tmp_path / 'afile'} is a file, not a directory; give a directory (created when missing)\n"
    )
    assert not (tmp_path / "calls").exists()  # no ceph call made


def test_a_ceph_command_whose_wrapper_is_not_installed_names_the_wrapper(tmp_path, capsys):
    command = f"{tmp_path / 'sshpass'} -p hunter2pw ssh mon1 ceph"
    assert main(["collect", "--ceph", "--ceph-command", command, "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == (
        f"runbook: cannot run '{tmp_path / 'sshpass'}', the first word of ceph_command: it is not installed here "
        "(or not on PATH); install sshpass, or change ceph_command\n"
    )
    assert not (tmp_path / "out").exists()
