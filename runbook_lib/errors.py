"""The one exception tree of runbook_lib.

    RunbookError                    base: every error the library raises on purpose
    ├── ConfigError                 bad configuration: unknown cloud, no clouds.yaml, bad CLI use   (exit 2)
    ├── ParameterError              a runbook parameter is unknown, of the wrong type or out of range (exit 2)
    ├── SnapshotError               a snapshot directory/tarball is missing, malformed or too new
    ├── SourceError                 a live source (OpenStack, Ceph, a host) could not answer
    │   ├── SourceUnreachable       connection refused, DNS failure, timeout
    │   ├── AuthenticationFailed    HTTP 401: wrong password or expired token
    │   ├── PermissionDenied        HTTP 403: e.g. all_projects needs the admin role
    │   └── ServiceMissing          the service is not in the catalog
    ├── PlanError                   a remediation cannot be applied or did not verify
    └── InvalidTopology             Nova would refuse this flavor/image CPU topology (HTTP 400)

Messages give the fact, the value, and the next action. Library code raises; the CLI and the
notebook edge turn the error into one readable line.
"""

from __future__ import annotations


class RunbookError(Exception):
    """Base class; ``str(err)`` is the whole readable message."""


class ConfigError(RunbookError):
    pass


class ParameterError(RunbookError):
    pass


class SnapshotError(RunbookError):
    pass


class SourceError(RunbookError):
    def __init__(self, message: str, *, part: str | None = None):
        super().__init__(message)
        self.part = part


class SourceUnreachable(SourceError):
    pass


class AuthenticationFailed(SourceError):
    pass


class PermissionDenied(SourceError):
    pass


class ServiceMissing(SourceError):
    pass


class PlanError(RunbookError):
    pass


class InvalidTopology(RunbookError):
    """Nova's topology exceptions; ``kind`` is Nova's exception class name."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
