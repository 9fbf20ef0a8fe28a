"""Every log layout that ships, for one record: the parser must give the same time, pid, level, module,
request, instance and message whatever wraps the line (oslo.log's own formats, journald, Docker's json-file)."""

import json

import pandas as pd
import pytest

from runbook_lib.oslo_log import parse_oslo_log

INSTANCE = "4874c805-c7a8-418e-934a-cc853b3c9373"
REQUEST = "req-7f2cc1a0-d726-40e3-a7a6-2345245d6ae3"
MESSAGE = "Failed to allocate the network(s), not rescheduling."
STAMP = "2026-11-23 20:03:44.518"
# oslo.log's logging_context_format_string: "... [%(global_request_id)s %(request_id)s %(user_identity)s] %(instance)s"
CONTEXT_ROCKY_ON = f"[None {REQUEST} 4399 d3f2 - - default default]"
CONTEXT_QUEENS = f"[{REQUEST} 4399 d3f2 - - -]"


def layouts(module: str = "nova.compute.manager", level: str = "ERROR") -> dict[str, tuple[str, bool]]:
    """layout name → (the line, whether the layout carries the request id)."""
    body_ctx = f"{module} {CONTEXT_ROCKY_ON} [instance: {INSTANCE}] {MESSAGE}"
    oslo = f"{STAMP} 31203 {level} {body_ctx}"
    return {
        "oslo context (Rocky and later)": (oslo, True),
        "oslo context (Queens and before)": (
            f"{STAMP} 31203 {level} {module} {CONTEXT_QUEENS} [instance: {INSTANCE}] {MESSAGE}",
            True,
        ),
        # logging_default_format_string: "[-] %(instance)s%(message)s" when there is no context
        "oslo default, no context": (f"{STAMP} 31203 {level} {module} [-] [instance: {INSTANCE}] {MESSAGE}", False),
        # logging_exception_prefix: "%(asctime)s.%(msecs)03d %(process)d ERROR %(name)s %(instance)s"
        "oslo exception prefix": (f"{STAMP} 31203 {level} {module} [instance: {INSTANCE}] {MESSAGE}", False),
        "journald with the syslog prefix": (f"Nov 23 20:03:44 cmp1 nova-compute[31203]: {oslo}", True),
        "devstack journal, no date or pid": (f"Nov 23 20:03:44 cmp1 nova-compute[31203]: {level} {body_ctx}", True),
        "docker json-file (kolla without log files)": (
            json.dumps({"log": oslo + "\n", "stream": "stderr", "time": "2026-11-23T20:03:44.518Z"}),
            True,
        ),
    }


@pytest.mark.parametrize("layout", list(layouts()))
def test_every_layout_gives_the_same_record(layout):
    line, has_request = layouts()[layout]
    [record] = parse_oslo_log([line], "cmp1", year=2026).to_dict("records")
    assert record["instance"] == INSTANCE, layout
    assert record["message"] == MESSAGE
    assert (record["level"], record["module"], record["pid"]) == ("ERROR", "nova.compute.manager", 31203)
    assert record["request_id"] == (REQUEST if has_request else None)
    assert record["time"].floor("s") == pd.Timestamp("2026-11-23 20:03:44")


def test_a_prefix_on_every_line_of_a_processutils_error_is_one_record():
    """oslo.log prefixes each line of an exception; the Command/Exit code/Stderr block stays one message."""
    prefix = f"{STAMP} 31203 ERROR oslo_messaging.rpc.server"
    lines = [
        f"{prefix} {CONTEXT_ROCKY_ON} Exception during message handling: nova.exception.ResizeError",
        f"{prefix} Traceback (most recent call last):",
        f'{prefix}   File "/usr/lib/python3/dist-packages/nova/utils.py", line 107, in ssh_execute',
        f"{prefix} oslo_concurrency.processutils.ProcessExecutionError: Unexpected error while running command.",
        f"{prefix} Command: ssh -o BatchMode=yes 10.0.0.12 mkdir -p /var/lib/nova/instances/{INSTANCE}",
        f"{prefix} Exit code: 255",
        f"{prefix} Stdout: ''",
        f"{prefix} Stderr: 'Host key verification failed.\\r\\n'",
        f"{STAMP[:-3]}600 31203 INFO nova.compute.manager [-] next record",
    ]
    records = parse_oslo_log(lines, "cmp1")
    assert len(records) == 2
    message = records.iloc[0]["message"]
    assert message.splitlines()[-4:] == [
        f"Command: ssh -o BatchMode=yes 10.0.0.12 mkdir -p /var/lib/nova/instances/{INSTANCE}",
        "Exit code: 255",
        "Stdout: ''",
        "Stderr: 'Host key verification failed.\\r\\n'",
    ]
    assert records.iloc[0]["request_id"] == REQUEST and records.iloc[1]["message"] == "next record"


def test_continuation_lines_without_a_prefix_join_the_record_above():
    lines = [f"{STAMP} 31203 INFO nova.compute.manager {CONTEXT_ROCKY_ON} Resize error:", "Exit code: 255"]
    [record] = parse_oslo_log(lines).to_dict("records")
    assert record["message"] == "Resize error:\nExit code: 255"


def test_two_records_in_the_same_millisecond_with_their_own_context_stay_apart():
    line = f"{STAMP} 31203 INFO nova.compute.manager {CONTEXT_ROCKY_ON} one"
    assert len(parse_oslo_log([line, line.replace(" one", " two")])) == 2


def test_a_traceback_whose_every_line_names_the_instance_is_one_record():
    """The exception prefix carries %(instance)s: every traceback line repeats [instance: …]."""
    prefix = f"{STAMP} 31203 ERROR nova.compute.manager"
    lines = [
        f"{prefix} {CONTEXT_ROCKY_ON} [instance: {INSTANCE}] Instance failed to spawn: VirtualInterfaceCreateException",
        f"{prefix} [instance: {INSTANCE}] Traceback (most recent call last):",
        f'{prefix} [instance: {INSTANCE}]   File "nova/compute/manager.py", line 584, in _wait_for_instance_events',
        f"{prefix} [instance: {INSTANCE}] nova.exception.VirtualInterfaceCreateException: "
        "Virtual Interface creation failed",
    ]
    [record] = parse_oslo_log(lines).to_dict("records")
    assert record["instance"] == INSTANCE and record["message"].splitlines()[1] == "Traceback (most recent call last):"
    assert record["message"].endswith("Virtual Interface creation failed")
