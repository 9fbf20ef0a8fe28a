"""A canary boot: one throwaway server on a suspect host, only when the operator asks for it.

The evidence says why builds failed; a canary says whether the host builds now (after a fix). It is a
change to the cloud (a server is created, then deleted, in the operator's project), so it is a plan
unless ``canary_boot`` is set, and it runs on a live cloud only.
"""

from __future__ import annotations

import shlex
from typing import Any

import pandas as pd

from runbook_lib.findings import Finding

RUNBOOK = "vif_plugging"
NAME_PREFIX = "stack-runbooks-canary-"


def canary_plan(hosts: list[str], image: str, flavor: str, network: str) -> pd.DataFrame:
    """What a canary boot would do per host, with the CLI equivalent (every value quoted for a shell)."""
    q = shlex.quote
    rows = []
    for h in hosts:
        name = NAME_PREFIX + h
        command = (f"openstack server create --image {q(image)} --flavor {q(flavor)} --network {q(network)} "
                   f"--availability-zone {q('nova:' + h)} --wait {q(name)}; openstack server delete --wait {q(name)}")  # fmt: skip
        rows.append({"host": h, "server": name, "command": command})
    return pd.DataFrame(rows, columns=["host", "server", "command"])


def tabulate_canaries(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per canary: the status it reached, how long it took, its ports, its fault, deleted or not."""
    columns = ["host", "status", "elapsed_s", "ports_active", "fault", "deleted"]
    rows = [{**r, "ports_active": f"{sum(p['status'] == 'ACTIVE' for p in r.get('ports', []))}/{len(r.get('ports', []))}"}
            for r in records]  # fmt: skip
    return pd.DataFrame(rows).reindex(columns=columns)


def check_canaries(records: list[dict[str, Any]]) -> list[Finding]:
    """An info finding per host that built its canary; a crit one per host that did not."""
    findings = []
    for r in records:
        subject = f"host {r['host']}"
        if r["status"] == "ACTIVE":
            findings.append(Finding(RUNBOOK, "canary-booted", "info", subject,
                                    f"a canary server went ACTIVE on {r['host']} in {r['elapsed_s']} s: the host "
                                    "builds with its network now", "", {"canary": r}))  # fmt: skip
        else:
            what = r.get("fault") or f"still {r['status']} after {r.get('elapsed_s')} s"
            findings.append(Finding(RUNBOOK, "canary-failed", "crit", subject,
                                    f"a canary server did not build on {r['host']}: {what[:200]}",
                                    "the cause above is not fixed yet: fix it, then boot the canary again",
                                    {"canary": r}))  # fmt: skip
    return findings
