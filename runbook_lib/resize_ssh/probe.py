"""What the SSH trust matrix probes and how: a value checked before anything runs."""

from __future__ import annotations

import dataclasses

from runbook_lib.sources.ssh import HostAccess, check_host_name, check_user_name, host_access

# The outcome of a pair that answered as Nova needs, and of a pair the matrix did not probe.
OK = "ok"
NOT_PROBED = "not-probed"


@dataclasses.dataclass(frozen=True)
class TrustProbe:
    """What the trust matrix probes and how: hosts, addresses, the nova user, the operator's access."""

    access: HostAccess
    trust_hosts: str = ""
    trust_sources: str = ""
    migration_addresses: dict[str, str] = dataclasses.field(default_factory=dict)
    nova_user: str = "nova"
    parallel: int = 8

    @property
    def become(self) -> list[str]:
        """How the operator becomes nova on a host (shown in the fixes' commands)."""
        return self.access.become(self.nova_user)


def trust_probe(
    trust_hosts: str = "",
    trust_sources: str = "",
    migration_addresses: dict[str, str] | None = None,
    nova_user: str = "nova",
    parallel: int = 8,
    access: HostAccess | None = None,
) -> TrustProbe:
    """The trust probe from the runbook's parameters, checked before anything runs; ``access`` is
    :func:`runbook_lib.sources.ssh.host_access`'s result (the operator's way onto the hosts)."""
    check_user_name(nova_user)
    for address in (migration_addresses or {}).values():
        check_host_name(address)
    return TrustProbe(
        access or host_access(),
        trust_hosts,
        trust_sources,
        dict(migration_addresses or {}),
        nova_user,
        parallel,
    )
