"""The I/O edge: the only modules that talk to OpenStack, Ceph, hosts and log files.

They import the platform (errors, snapshot) and nothing above it: no runbook, no headless code. Each
normalises its vendor's quirks once, tagged with the release that needs it, and turns every failure into
one of :mod:`runbook_lib.errors`' classes.

    openstack          the connection, and the translation of SDK errors
    openstack_lists    reads: list calls, pagination, detail calls for suspects only
    openstack_writes   writes, only from a plan's apply; the canary boot
    ceph               the ceph / rbd CLIs (reads, and the reweight an apply sets)
    ssh                how the operator reaches hosts (argv lists, checked names)
    hosts              read-only probes over SSH: nova's trust matrix, nova-compute facts
    logs               log files collected to a directory or read over SSH
    origin             a runbook's source: a live cloud collected now, or a saved snapshot
"""
