"""The last resort when OSDs are full: the ratio bump, planned so the ratios stay in order at every moment."""

from __future__ import annotations

from runbook_lib.ceph_capacity.tables import FAILSAFE_FULL
from runbook_lib.records import Record


def plan_ratio_bump(ratios: dict[str, float], step: float = 0.02) -> Record:
    """The last resort when OSDs are full: raise the ratios a little to let writes (and deletes through
    the APIs) through, in an order that keeps nearfull < backfillfull < full at every moment, staying
    under the OSD's failsafe; with the commands that restore today's values afterwards."""
    if not ratios:
        return {"possible": False, "why": "no Ceph data", "raise": [], "restore": [], "new": ratios}
    new = {name: round(value + step, 4) for name, value in ratios.items()}
    if new["full"] >= FAILSAFE_FULL:
        return {
            "possible": False,
            "why": f"full would reach {new['full']:.2f}, at or past the failsafe {FAILSAFE_FULL}",
            "raise": [],
            "restore": [],
            "new": ratios,
        }
    order = ("full", "backfillfull", "nearfull")  # raising: the top first
    raise_commands = [f"ceph osd set-{name}-ratio {new[name]:g}" for name in order]
    restore_commands = [f"ceph osd set-{name}-ratio {ratios[name]:g}" for name in reversed(order)]
    return {"possible": True, "why": "", "raise": raise_commands, "restore": restore_commands, "new": new}
