"""What a sosreport's files say: sos's file names, command outputs with their traps (blank lines, stderr in
the same file, an error instead of JSON, a cut), ps with start times, nova's config lines, rotated logs."""

import json

import pytest

from runbook_lib.sos_parts import (
    command_json,
    conf_lines,
    pg_stats,
    ps_processes,
    rotation_order,
    sos_command_file,
)


def test_files_are_named_as_sos_names_them():
    assert sos_command_file("ceph osd df tree --format json-pretty") == "ceph_osd_df_tree_--format_json-pretty"
    assert sos_command_file("/usr/bin/ceph pg dump --format json-pretty") == "ceph_pg_dump_--format_json-pretty"
    assert sos_command_file("ps axo pid,ppid,wchan:20,lstart,cmd") == "ps_axo_pid_ppid_wchan_20_lstart_cmd"


DUMP = {
    "pg_ready": True,
    "pg_map": {
        "pg_stats": [
            {
                "pgid": "1.0",
                "state": "active+clean",
                "up": [0, 1],
                "acting": [0, 1],
                "up_primary": 0,
                "acting_primary": 0,
                "stat_sum": {"num_bytes": 4096},
            }
        ]
    },
}


@pytest.mark.parametrize(
    "text",
    [
        "\n" + json.dumps(DUMP, indent=4) + "\ndumped all\n",  # stderr after the JSON, a blank line before
        "dumped all\n" + json.dumps(DUMP, indent=4),  # stderr first
        json.dumps(DUMP),
    ],
)
def test_the_json_is_read_from_around_what_sos_keeps_with_it(text):
    assert command_json(text) == (DUMP, "")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (
            "Error initializing cluster client: ObjectNotFound('RADOS object not found')\n",
            "holds no JSON: \"Error initializing cluster client: ObjectNotFound('RADOS object not found')\"",
        ),
        ("", "is empty"),
        ("\n\n", "is empty"),
        (json.dumps(DUMP, indent=4)[:200] + "dumped all\n", "is not whole JSON"),  # cut at the pipe's 64 KiB
    ],
)
def test_an_output_that_is_not_json_says_what_it_holds(text, why):
    value, said = command_json(text)
    assert value is None and said.startswith(why), said


def test_pg_stats_come_from_the_whole_dump_of_any_release_slimmed_to_placement_and_sizes():
    slim = pg_stats(DUMP)[0]["pg_stats"]
    assert slim == [
        {
            "pgid": "1.0",
            "state": "active+clean",
            "up": [0, 1],
            "up_primary": 0,
            "acting": [0, 1],
            "acting_primary": 0,
            "stat_sum": {"num_bytes": 4096},
        }
    ]
    assert pg_stats({"pg_stats": DUMP["pg_map"]["pg_stats"]})[0]["pg_stats"] == slim  # Nautilus to Octopus
    assert pg_stats(DUMP["pg_map"]["pg_stats"])[0]["pg_stats"] == slim  # Luminous: pg dump pgs is a bare list
    assert pg_stats([])[0]["pg_stats"] == []


PS_HEADER = "F S   UID   PID  PPID  PGID   SID CLS PRI ADDR    SZ WCHAN" + " " * 33 + "STARTED TT           TIME CMD"


def _ps(pid, ppid, started, cmd):
    """One line of sos's ps axo flags,…,wchan:20,lstart,tty,time,cmd, laid out as procps lays it out."""
    return (
        f"0 S     0 {pid:>5} {ppid:>5} {pid:>5} {pid:>5}  TS  19    -  1867 {'-':<20} {started} ?        00:00:00 {cmd}"
    )


PS = "\n".join(
    [
        PS_HEADER,
        _ps(1, 0, "Wed Dec  2 05:11:26 2026", "/sbin/init"),
        _ps(
            110,
            1,
            "Wed Dec  2 05:57:23 2026",
            "/usr/bin/python3 /usr/bin/nova-compute --config-file /etc/nova/nova.conf",
        ),
        _ps(999, 110, "Wed Dec 32 05:57:23 2026", "nova-compute worker"),
    ]
)


def test_ps_gives_nova_compute_processes_with_their_start_as_epoch_seconds():
    assert ps_processes(PS) == [
        "@proc 110 1 1796191043 /usr/bin/python3 /usr/bin/nova-compute --config-file /etc/nova/nova.conf"
    ]  # an unreadable start time is left out, not guessed


def test_only_section_headers_and_vif_options_leave_a_config_file():
    text = "[DEFAULT]\nvif_plugging_is_fatal = False\ndebug = true\n[database]\nconnection = mysql://n:pw@db/n\n"
    assert conf_lines("/etc/nova/nova.conf", 7, text) == [
        "@conf 7 /etc/nova/nova.conf",
        "@line [DEFAULT]",
        "@line vif_plugging_is_fatal = False",
        "@line [database]",
    ]


def test_rotated_logs_are_read_oldest_first():
    names = ["nova-compute.log", "nova-compute.log.1", "nova-compute.log.10.gz", "nova-compute.log.2.gz"]
    assert rotation_order(names) == [
        "nova-compute.log.10.gz",
        "nova-compute.log.2.gz",
        "nova-compute.log.1",
        "nova-compute.log",
    ]
