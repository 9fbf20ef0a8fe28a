"""Ceph's own upmap optimizer, run offline: the cluster's OSDMap exported (``ceph osd getmap <epoch>``) and
``osdmaptool --upmap`` run on it here (Debian's ceph-base). Nothing is changed on the cluster: osdmaptool
only writes the ``ceph osd pg-upmap-items`` commands it would run to a file, which is read back.

The map is written to ``/dev/stdout`` by the ceph CLI itself (``-o``): its plain standard output is text
and corrupts the binary map; the same works when ``ceph_command`` goes through ssh.
"""

from __future__ import annotations

import base64
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from runbook_lib.errors import SourceError
from runbook_lib.sources.ceph import CephAccess, command_error
from runbook_lib.sources.crushtool import exported_crushmap

OSDMAPTOOL = "osdmaptool"


def exported_osdmap(access: CephAccess, epoch: int) -> bytes:
    """The binary OSDMap of ``epoch`` (the epoch the other parts were read at)."""
    argv = access.argv("ceph", ["osd", "getmap", str(int(epoch)), "-o", "/dev/stdout"], json_format=False)
    done = subprocess.run(argv, capture_output=True, timeout=access.timeout + 15)
    if done.returncode != 0:
        raise command_error("ceph osd getmap", done.returncode, done.stderr.decode(errors="replace"), access.conf)
    return done.stdout


def run_osdmaptool(
    osdmap: bytes, pools: list[str], deviation: int, max_moves: int, timeout: float = 120
) -> dict[str, Any]:
    """``osdmaptool <map> --upmap <out> [--upmap-pool P]… --upmap-deviation D --upmap-max N``: the argv, the
    commands it wrote and the tail of what it said; ``error`` when it could not run."""
    with tempfile.TemporaryDirectory(prefix="osdmaptool-") as scratch:
        map_file, out_file = Path(scratch, "osdmap"), Path(scratch, "upmap.txt")
        map_file.write_bytes(osdmap)
        argv = [OSDMAPTOOL, str(map_file), "--upmap", str(out_file)]
        for pool in pools:
            argv += ["--upmap-pool", pool]
        argv += ["--upmap-deviation", str(int(deviation)), "--upmap-max", str(int(max_moves))]
        shown = [OSDMAPTOOL, "osdmap", "--upmap", "upmap.txt", *argv[4:]]  # the scratch paths, named
        record: dict[str, Any] = {"argv": shown, "pools": pools, "deviation": deviation, "max_moves": max_moves}
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        except FileNotFoundError:
            return record | {"error": "osdmaptool is not installed here (Debian/Ubuntu package ceph-base)"}
        except subprocess.TimeoutExpired:
            return record | {"error": f"osdmaptool gave no answer within {timeout:g} s"}
        said = (done.stdout + done.stderr).strip().splitlines()
        if done.returncode != 0 or not out_file.exists():
            return record | {"error": f"osdmaptool exited {done.returncode}: {' / '.join(said[-3:])}"}
        commands = [line.strip() for line in out_file.read_text().splitlines() if line.strip()]
        return record | {"commands": commands, "said": said[-6:]}


def ceph_offline(
    access: CephAccess, epoch: int, pools: list[str], deviation: int, max_moves: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """From the cluster's map at ``epoch``: Ceph's optimizer's proposal and the CRUSH map (base64, for the
    reweight plan's CRUSH replay); each a record with ``error`` when it could not be had."""
    try:
        osdmap = exported_osdmap(access, epoch)
    except (SourceError, subprocess.TimeoutExpired, OSError) as exc:
        error = f"the OSDMap could not be exported ({exc})"
        return {"error": error, "pools": pools}, {"error": error, "epoch": epoch}
    try:
        crush: dict[str, Any] = {"epoch": epoch, "base64": base64.b64encode(exported_crushmap(osdmap)).decode()}
    except SourceError as exc:
        crush = {"epoch": epoch, "error": f"the CRUSH map could not be taken from the OSDMap ({exc})"}
    return run_osdmaptool(osdmap, pools, deviation, max_moves) | {"epoch": epoch}, crush
