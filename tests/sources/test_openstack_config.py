"""clouds.yaml as openstacksdk would read it, checked first: a file that does not parse is named with its line
and column, an auth_url that is no URL by its value (openstacksdk's own loader, real files in tmp_path)."""

import pytest

from runbook_lib.errors import ConfigError
from runbook_lib.sources.openstack_config import check_auth_url, check_config_files, parse_problem


@pytest.fixture
def clouds_file(tmp_path, monkeypatch):
    """Write the text handed to it as the clouds.yaml that OS_CLIENT_CONFIG_FILE names; return its path."""
    monkeypatch.delenv("OS_CLIENT_SECURE_FILE", raising=False)
    monkeypatch.chdir(tmp_path)  # ./clouds.yaml of the working directory is no stray one

    def write(text, name="clouds.yaml"):
        path = tmp_path / name
        path.write_text(text)
        monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
        return path

    return write


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "clouds: [unclosed\n",
            "expected ',' or ']', but got '<stream end>' at line 2, column 1 "
            "(while parsing a flow sequence at line 1, column 9)",
        ),
        (
            "clouds:\n\tprod:\n\t\tauth: {}\n",
            "found character '\\t' that cannot start any token at line 2, column 1 (while scanning for the next token)",
        ),
    ],
)
def test_a_clouds_yaml_that_does_not_parse_is_named_with_line_and_column(clouds_file, text, problem):
    path = clouds_file(text)
    with pytest.raises(ConfigError) as err:
        check_config_files()
    assert str(err.value) == f"cannot parse {path}: {problem}; fix the file (openstacksdk would skip it without a word)"


def test_a_clouds_json_is_parsed_as_json(clouds_file):
    path = clouds_file('{"clouds": {"a": }', name="clouds.json")
    assert parse_problem(str(path)) == "Expecting value at line 1, column 18"


def test_a_secure_yaml_that_does_not_parse_is_named_too(clouds_file, tmp_path, monkeypatch):
    clouds_file("clouds: {prod: {auth: {auth_url: 'https://k:5000/v3'}}}\n")
    secure = tmp_path / "secure.yaml"
    secure.write_text("clouds: {prod: {auth: {password: 'unclosed}}}\n")
    monkeypatch.setenv("OS_CLIENT_SECURE_FILE", str(secure))
    with pytest.raises(ConfigError, match=rf"^cannot parse {secure}: found unexpected end of stream at line 2"):
        check_config_files()


def test_the_file_the_sdk_reads_is_returned_and_a_missing_named_one_refused(clouds_file, tmp_path, monkeypatch):
    path = clouds_file("clouds: {prod: {auth: {auth_url: 'https://k:5000/v3'}}}\n")
    assert check_config_files() == str(path)
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(tmp_path / "nope.yaml"))
    with pytest.raises(ConfigError) as err:
        check_config_files()
    assert str(err.value) == (
        f"OS_CLIENT_CONFIG_FILE={tmp_path / 'nope.yaml'}: no such file; point it at your clouds.yaml, or unset it "
        "to use ./, ~/.config/openstack/ or /etc/openstack/"
    )


@pytest.mark.parametrize("url", ["not-a-url", "http://", "ftp://keystone/v3", "http://keystone:abc/", "http://[::1"])
def test_an_auth_url_that_is_no_http_url_with_a_host_is_refused_by_value(url):
    with pytest.raises(ConfigError) as err:
        check_auth_url("prod", url, "/etc/openstack/clouds.yaml")
    assert str(err.value) == (
        f"auth_url {url!r} of cloud 'prod' is not a URL (it needs http:// or https:// and a host, e.g. "
        "https://keystone.example.com:5000/v3); fix it in /etc/openstack/clouds.yaml"
    )


@pytest.mark.parametrize("url", ["https://keystone.example.com:5000/v3", "http://127.0.0.1:9/", "http://[::1]:5000"])
def test_an_http_url_with_a_host_passes_and_so_does_none(url):
    check_auth_url("prod", url)
    check_auth_url("prod", None)  # an auth plugin without auth_url (admin_token, none)


def test_an_auth_url_refused_never_echoes_a_password_before_the_host():
    with pytest.raises(ConfigError) as err:
        check_auth_url("prod", "admin:hunter2secret@keystone.example.com:5000/v3")
    assert "hunter2secret" not in str(err.value)
    assert str(err.value).startswith("auth_url 'keystone.example.com:5000/v3' of cloud 'prod' is not a URL")
