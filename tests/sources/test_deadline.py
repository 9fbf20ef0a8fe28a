"""One deadline per collection and one wait per part: real keystoneauth sessions against a real TCP socket
that accepts connections and never answers (what a hung API process does), and a clock for the deadline."""

import socket
import threading

import pytest
from keystoneauth1 import exceptions as ksa_exc
from keystoneauth1 import session as ksa_session

from runbook_lib.errors import SourceUnreachable
from runbook_lib.sources.deadline import Deadline, RequestGuard
from runbook_lib.sources.openstack_errors import translate_error


@pytest.fixture
def hung_endpoint():
    """A listening socket whose backlog takes connections that nobody reads: every request times out."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    server.close()


@pytest.fixture
def answering_endpoint():
    """A socket that answers every request with HTTP 200 and counts them."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    served = []

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                served.append(1)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", served
    server.close()


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_part_that_timed_out_is_not_waited_for_a_second_time(hung_endpoint):
    session = ksa_session.Session()
    attempts = []
    real = session.request

    def counted(*args, **kwargs):
        attempts.append(kwargs.get("timeout"))
        return real(*args, **kwargs)

    session.request = counted
    with RequestGuard(session, Deadline(600), api_timeout=0.3) as guard:
        guard.part("openstack/flavors")
        with pytest.raises(ksa_exc.ConnectTimeout):
            session.request(f"{hung_endpoint}/v2.1/", "GET", authenticated=False)
        # openstacksdk's discovery then tries another URL of the same endpoint: refused at once
        with pytest.raises(SourceUnreachable) as again:
            session.request(f"{hung_endpoint}/", "GET", authenticated=False)
    assert attempts == [0.3]  # one wait reached the socket, bounded by the API timeout
    said = guard.timed_out["openstack/flavors"]
    assert str(again.value) == said
    assert said.startswith("openstack/flavors: timed out after 0.3 s (the API timeout) with no answer: Request to ")
    assert "not waited for again; " in said and "of the collection's 600 s deadline spent" in said
    assert str(translate_error(again.value, "openstack/flavors", "prod")) == said
    assert session.request is counted  # put back


def test_the_last_wait_is_what_is_left_of_the_deadline_and_then_nothing_is_asked(answering_endpoint):
    url, served = answering_endpoint
    clock = Clock()
    deadline = Deadline(100, clock)
    session = ksa_session.Session()
    seen = []
    real = session.request

    def counted(*args, **kwargs):
        seen.append(kwargs["timeout"])
        return real(*args, **kwargs)

    session.request = counted
    with RequestGuard(session, deadline, api_timeout=30) as guard:
        guard.part("openstack/servers")
        session.request(url, "GET", authenticated=False)
        clock.now += 88
        session.request(url, "GET", authenticated=False)
        clock.now += 12
        with pytest.raises(
            SourceUnreachable, match=r"^openstack/servers: not asked: the collection.s deadline of 100 s"
        ):
            session.request(url, "GET", authenticated=False)
    assert seen == [30, pytest.approx(12)] and len(served) == 2
    assert deadline.passed() and deadline.said() == "100 s of the collection's 100 s deadline spent"


def test_a_timeout_bounded_by_the_deadline_says_so(hung_endpoint):
    clock = Clock()
    session = ksa_session.Session()
    with RequestGuard(session, Deadline(600, clock), api_timeout=30) as guard:
        clock.now += 599.8
        guard.part("openstack/ports")
        with pytest.raises(ksa_exc.ConnectTimeout):
            session.request(hung_endpoint, "GET", authenticated=False)
    assert "timed out after 0.2 s (what was left of the deadline)" in guard.timed_out["openstack/ports"]
