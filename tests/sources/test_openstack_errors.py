"""keystoneauth's and openstacksdk's failures in words: real keystoneauth sessions and a real openstacksdk
connection against local sockets (a closed port, one that never answers) and a name that cannot resolve."""

import socket

import pytest
from keystoneauth1 import session as ksa_session

from runbook_lib.errors import SourceUnreachable
from runbook_lib.sources.openstack_errors import exception_chain, translate_error, unreachable_reason


@pytest.fixture
def closed_port():
    """A local port nothing listens on: a connection to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _raised(call):
    with pytest.raises(Exception) as err:
        call()
    return err.value


def test_a_refused_connection_is_said_as_such_with_the_url_and_no_timeout(closed_port):
    url = f"http://127.0.0.1:{closed_port}/v3"
    exc = _raised(lambda: ksa_session.Session().get(url, authenticated=False))
    assert unreachable_reason(exception_chain(exc)) == f"connection refused at {url}"
    said = str(translate_error(exc, "openstack/servers", "prod"))
    assert said == (
        f"openstack/servers: cannot reach the endpoint of cloud 'prod': connection refused at {url}; "
        "is the service up and the auth_url/endpoint right?"
    )


def test_a_refused_keystone_through_openstacksdk_is_one_clean_sentence(closed_port, tmp_path, monkeypatch):
    import openstack

    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(
        f"clouds: {{x: {{auth: {{auth_url: 'http://127.0.0.1:{closed_port}/', username: u, password: p, "
        "project_name: x, user_domain_name: Default, project_domain_name: Default}}}\n"
    )
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    conn = openstack.connect(cloud="x", api_timeout=5)
    error = translate_error(_raised(conn.authorize), "keystone authentication", "x")
    assert isinstance(error, SourceUnreachable)
    assert str(error) == (
        f"keystone authentication: cannot reach the endpoint of cloud 'x': connection refused at "
        f"http://127.0.0.1:{closed_port}/; is the service up and the auth_url/endpoint right?"
    )


def test_a_host_name_that_does_not_resolve_is_named():
    exc = _raised(lambda: ksa_session.Session().get("http://keystone.invalid:5000/v3", authenticated=False))
    reason = unreachable_reason(exception_chain(exc))
    assert reason.startswith("the host name in http://keystone.invalid:5000/v3 does not resolve (")


def test_only_a_timeout_says_its_timeout():
    with socket.socket() as server:  # takes connections, never answers: what a hung API process does
        server.bind(("127.0.0.1", 0))
        server.listen(4)
        url = f"http://127.0.0.1:{server.getsockname()[1]}/"
        exc = _raised(lambda: ksa_session.Session().get(url, authenticated=False, timeout=0.2))
    assert unreachable_reason(exception_chain(exc), api_timeout=0.2) == f"no answer at {url} (timeout 0.2 s)"


def test_the_chain_follows_urllib3s_reason_and_visits_each_exception_once():
    inner = ConnectionRefusedError(111, "Connection refused")

    class Wrapped(Exception):
        reason = inner

    outer = Wrapped("max retries")
    outer.__context__ = inner
    assert exception_chain(outer) == [outer, inner]
    assert unreachable_reason([outer, inner]) == "connection refused"


def test_an_error_without_words_is_still_one_readable_error_not_an_internal_one():
    said = translate_error(TimeoutError(), "openstack/servers", "prod")  # was IndexError: no line to quote
    assert isinstance(said, SourceUnreachable)
    assert str(said) == "openstack/servers: cloud 'prod' did not answer in time (TimeoutError)"
