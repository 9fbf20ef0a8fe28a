"""Agent liveness from neutron-server's own log, for a snapshot that has logs but no agent list.

neutron-server checks its agents every ``agent_down_time / 2`` seconds (``AgentDbMixin.agent_health_check``)
and, when some are dead, logs one WARNING whose message is a small table (the rows are continuation lines
of the same record)::

    Agent healthcheck: found 2 dead agents out of 7:
                    Type       Last heartbeat host
      Open vSwitch agent  2026-11-23 20:01:13 cmp1
              DHCP agent  2026-11-23 20:00:52 net1

With every agent alive it logs ``Agent healthcheck: found 7 active agents`` at DEBUG. Only admin-up agents
are checked, and only the dead ones are named: a host missing from the table is not known to have no agent.
"""

from __future__ import annotations

import re

import pandas as pd

HEADER = re.compile(r"Agent healthcheck: found (?P<dead>\d+) dead agents out of (?P<total>\d+)")
ALL_ALIVE = re.compile(r"Agent healthcheck: found (?P<total>\d+) active agents")
_ROW = re.compile(r"^\s*(?P<type>\S.*?)\s+(?P<beat>\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?)\s+(?P<host>\S+)\s*$")
COLUMNS = ["time", "agent_type", "host", "heartbeat_timestamp", "dead", "total", "source"]
AGENT_COLUMNS = ["agent_type", "host", "alive", "admin_state_up", "heartbeat_timestamp", "started_at", "seen_in"]


def health_checks(logs: pd.DataFrame) -> pd.DataFrame:
    """One row per dead agent per health-check line (``agent_type`` empty for a check that found all alive)."""
    if logs.empty:
        return pd.DataFrame(columns=COLUMNS)
    rows = []
    for r in logs[logs["message"].str.contains("Agent healthcheck: found", regex=False)].itertuples():
        header = HEADER.search(r.message)
        if header is None:
            alive = ALL_ALIVE.search(r.message)
            if alive:
                rows.append(
                    {"time": r.time, "agent_type": "", "host": "", "heartbeat_timestamp": None, "dead": 0}
                    | {"total": int(alive["total"]), "source": r.source}
                )
            continue
        for line in r.message.split("\n")[1:]:
            row = _ROW.match(line)
            if row and row["type"] != "Type":
                rows.append(
                    {
                        "time": r.time,
                        "agent_type": row["type"],
                        "host": row["host"],
                        "heartbeat_timestamp": row["beat"],
                        "dead": int(header["dead"]),
                        "total": int(header["total"]),
                        "source": r.source,
                    }
                )
    return pd.DataFrame(rows, columns=COLUMNS)


def agents_from_log(checks: pd.DataFrame) -> pd.DataFrame:
    """The agents the newest health check named dead, in the shape of the API's agent list (alive False,
    admin up: only admin-up agents are checked); ``seen_in`` says where the row comes from."""
    if checks.empty:
        return pd.DataFrame(columns=AGENT_COLUMNS)
    last = checks["time"].max()
    newest = checks[(checks["time"] == last) & (checks["agent_type"] != "")]
    return pd.DataFrame(
        [
            {
                "agent_type": r.agent_type,
                "host": r.host,
                "alive": False,
                "admin_state_up": True,
                "heartbeat_timestamp": r.heartbeat_timestamp,
                "started_at": None,
                "seen_in": f"neutron-server log ({r.source}), health check at {last}",
            }
            for r in newest.itertuples()
        ],
        columns=AGENT_COLUMNS,
    )
