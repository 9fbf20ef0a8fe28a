"""SSH between the mini cloud's ssh-* computes: nova's own user, its key, and one sshd per destination.

Real OpenSSH, so that a resize over SSH fails (or works) inside real nova exactly as in the field.
"""

from __future__ import annotations

from pathlib import Path

import labkit
from minicloud_config import write
from minicloud_layout import LOG, NOVA_USER, SSH_DESTINATIONS, SSH_PORT, STATE, run, user_home
from minicloud_processes import start, wait_for


def ssh_trust() -> None:
    """The nova user of ssh-src, its key, and one sshd per destination address (never the system's).

    ssh-dst-ok: host key in known_hosts, key authorized: a resize to it works.
    ssh-dst-bad: host key NOT in known_hosts: 'Host key verification failed.' as in the field.
    Nova runs plain 'ssh -o BatchMode=yes <ip>'; the port comes from the user's ~/.ssh/config.
    """
    if run(["id", "-u", NOVA_USER], check=False).returncode != 0:
        run(["useradd", "--system", "-M", "-d", str(user_home()), "-s", "/bin/sh", "-U", NOVA_USER])
    run(["usermod", "-d", str(user_home()), "-s", "/bin/sh", "-p", "*", NOVA_USER])  # '*': not locked
    ssh_dir = user_home() / ".ssh"
    ssh_dir.mkdir(parents=True, exist_ok=True)
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(ssh_dir / "id_ed25519")])
    (ssh_dir / "authorized_keys").write_text((ssh_dir / "id_ed25519.pub").read_text())
    (ssh_dir / "config").write_text(f"Host {' '.join(SSH_DESTINATIONS.values())}\n    Port {SSH_PORT}\n")
    known = []
    Path("/run/sshd").mkdir(exist_ok=True)  # Debian's sshd needs its privilege-separation directory
    for host, ip in SSH_DESTINATIONS.items():
        sshd_dir = STATE / "sshd" / host
        sshd_dir.mkdir(parents=True, exist_ok=True)
        key = sshd_dir / "ssh_host_ed25519_key"
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)])
        sshd_config = f"""
            ListenAddress {ip}:{SSH_PORT}
            HostKey {key}
            PidFile {sshd_dir}/sshd.pid
            UsePAM no
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            AuthorizedKeysFile .ssh/authorized_keys
            AllowUsers {NOVA_USER}
            PermitRootLogin no
            StrictModes yes
            LogLevel VERBOSE
            """
        config = write(sshd_dir / "sshd_config", sshd_config)
        run(["/usr/sbin/sshd", "-t", "-f", config])
        start(f"sshd-{host}", ["/usr/sbin/sshd", "-D", "-f", str(config), "-E", str(LOG / f"sshd-{host}.log")])
        if host == "ssh-dst-ok":
            host_key = " ".join(key.with_suffix(".pub").read_text().split()[:2])
            known.append(f"[{ip}]:{SSH_PORT} {host_key}")
    (ssh_dir / "known_hosts").write_text("\n".join(known) + "\n")
    run(["chown", "-R", f"{NOVA_USER}:{NOVA_USER}", str(user_home())])
    user_home().chmod(0o755)
    ssh_dir.chmod(0o700)
    for ip in SSH_DESTINATIONS.values():
        wait_for(f"sshd on {ip}", lambda ip=ip: labkit.port_open(ip, SSH_PORT), 20)
