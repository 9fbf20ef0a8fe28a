"""Ceph's own CRUSH, run offline: ``crushtool --test`` on the cluster's CRUSH map (taken from the exported
OSDMap with ``osdmaptool --export-crush``) says where every PG of a pool goes under override weights that
are not applied yet. Nothing here talks to the cluster.

``--pool-id P`` makes crushtool hash each x with the pool id exactly as the OSDMap hashes a PG's placement
seed (``crush_hash32_2(RJENKINS1, ps, pool)``, CrushTester.cc), and ``--weight OSD W`` is the override weight
vector the OSDMap passes to ``crush_do_rule``: the mapping printed is the raw one the monitor will compute.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from runbook_lib.errors import SourceError

CRUSHTOOL = "crushtool"
OSDMAPTOOL = "osdmaptool"
FULL_WEIGHT = 0x10000  # an override weight of 1.0 in the OSDMap's 16.16 fixed point
_MAPPING = re.compile(r"^CRUSH rule (\d+) x (\d+) \[([-\d,]*)\]\s*$")


def exported_crushmap(osdmap: bytes, timeout: float = 60) -> bytes:
    """The binary CRUSH map inside an exported OSDMap."""
    with tempfile.TemporaryDirectory(prefix="crushmap-") as scratch:
        map_file, crush_file = Path(scratch, "osdmap"), Path(scratch, "crushmap")
        map_file.write_bytes(osdmap)
        said = _run([OSDMAPTOOL, str(map_file), "--export-crush", str(crush_file)], timeout)
        if not crush_file.exists():
            raise SourceError(f"osdmaptool wrote no CRUSH map: {said[-200:]!r}")
        return crush_file.read_bytes()


def crush_mappings(
    crushmap: bytes,
    rule: int,
    num_rep: int,
    pool_id: int,
    max_x: int,
    weights: Mapping[int, int],
    timeout: float = 120,
) -> dict[int, tuple[int, ...]]:
    """x (0..max_x) → the OSDs CRUSH picks for placement seed x of pool ``pool_id`` with override weights
    ``weights`` (OSD → 16.16 fixed point; an OSD not named keeps 1.0). A hole of an EC rule is 2147483647."""
    with tempfile.TemporaryDirectory(prefix="crushtool-") as scratch:
        crush_file = Path(scratch, "crushmap")
        crush_file.write_bytes(crushmap)
        argv = [CRUSHTOOL, "-i", str(crush_file), "--test", "--show-mappings", "--rule", str(int(rule))]
        argv += ["--num-rep", str(int(num_rep)), "--pool-id", str(int(pool_id))]
        argv += ["--min-x", "0", "--max-x", str(int(max_x))]
        for osd, weight in sorted(weights.items()):
            if weight != FULL_WEIGHT:
                # exact in single precision (16 significant bits), so crushtool's (int)(f * 0x10000) is `weight`
                argv += ["--weight", str(int(osd)), repr(int(weight) / FULL_WEIGHT)]
        out = _run(argv, timeout)
    mappings = {}
    for line in out.splitlines():
        match = _MAPPING.match(line)
        if match and int(match.group(1)) == rule:
            mappings[int(match.group(2))] = tuple(int(o) for o in match.group(3).split(",") if o)
    if len(mappings) != max_x + 1:
        raise SourceError(f"crushtool mapped {len(mappings)} of {max_x + 1} placement seeds of pool {pool_id}")
    return mappings


def _run(argv: list[str], timeout: float) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        raise SourceError(f"{argv[0]} is not installed here (Debian/Ubuntu package ceph-base)") from None
    except subprocess.TimeoutExpired:
        raise SourceError(f"{argv[0]} gave no answer within {timeout:g} s") from None
    if done.returncode != 0:
        tail = " / ".join((done.stdout + done.stderr).strip().splitlines()[-2:])
        raise SourceError(f"{argv[0]} exited {done.returncode}: {tail}")
    return done.stdout
