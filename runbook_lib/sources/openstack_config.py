"""clouds.yaml and secure.yaml as openstacksdk's loader finds them, checked before a connection is made.

openstacksdk 4.x's loader (``openstack.config.loader``) takes the first of its files that exists
(OS_CLIENT_CONFIG_FILE, then ./, ~/.config/openstack/, /etc/openstack/), and skips one it cannot parse with a
log warning nobody sees: a typo then reads as "cloud not found" or, worse, as another file's cloud. Here that
same file is parsed first, and its error said with the line and column. A cloud's auth_url that is no URL
would reach keystoneauth, which reports it as a missing catalog entry: it is refused here, by name.
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlsplit

from runbook_lib.errors import ConfigError


def check_config_files() -> str:
    """The clouds.yaml the SDK will read ("" when there is none), after parsing it and the secure.yaml as the
    SDK would: a file that does not parse, or an OS_CLIENT_CONFIG_FILE that is not there, is a ConfigError."""
    from openstack.config import loader

    named = {"OS_CLIENT_CONFIG_FILE": os.environ.get("OS_CLIENT_CONFIG_FILE", "")}
    named["OS_CLIENT_SECURE_FILE"] = os.environ.get("OS_CLIENT_SECURE_FILE", "")
    for variable, path in named.items():
        if path and not os.path.isfile(path):
            raise ConfigError(
                f"{variable}={path}: no such file; point it at your clouds.yaml, or unset it to use "
                "./, ~/.config/openstack/ or /etc/openstack/"
            )
    clouds = first_readable([named["OS_CLIENT_CONFIG_FILE"], *loader.CONFIG_FILES])
    secure = first_readable([named["OS_CLIENT_SECURE_FILE"], *loader.SECURE_FILES])
    for path in (clouds, secure):
        if path:
            problem = parse_problem(path)
            if problem:
                raise ConfigError(
                    f"cannot parse {path}: {problem}; fix the file (openstacksdk would skip it without a word)"
                )
    return clouds


def first_readable(paths: list[str]) -> str:
    """The first of ``paths`` that exists and can be opened: the one the SDK's loader reads (it passes over
    a file it may not open, as the loader does)."""
    for path in paths:
        if path and os.path.exists(path):
            try:
                with open(path, "rb"):
                    return path
            except OSError:
                continue
    return ""


def parse_problem(path: str) -> str:
    """What keeps the SDK's loader from parsing ``path`` (JSON for *json, YAML otherwise), with the line and
    column; "" when it parses."""
    import yaml

    try:
        with open(path) as f:  # the loader's own open(): the locale's encoding
            if path.endswith("json"):
                json.load(f)
            else:
                yaml.safe_load(f)
    except json.JSONDecodeError as exc:
        return f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
    except yaml.MarkedYAMLError as exc:  # e.g. "expected ',' or ']' … at line 2, column 1 (while parsing a flow
        # sequence at line 1, column 9)": where it broke, and where what it broke began
        context = f" ({exc.context}{_at(exc.context_mark)})" if exc.context else ""
        return f"{exc.problem}{_at(exc.problem_mark)}{context}"
    except yaml.YAMLError as exc:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    except UnicodeDecodeError as exc:
        return f"not text in the locale's encoding ({exc.encoding}, byte {exc.start})"
    return ""


def _at(mark: object) -> str:
    line, column = getattr(mark, "line", None), getattr(mark, "column", None)
    return f" at line {line + 1}, column {column + 1}" if line is not None and column is not None else ""


def known_clouds() -> tuple[list[str], list[str]]:
    """(cloud names, clouds.yaml files looked at)."""
    from openstack.config import loader

    try:
        config = loader.OpenStackConfig()
    except Exception as exc:  # the SDK's loader refuses a clouds.yaml that is not a mapping, deep inside
        where = os.environ.get("OS_CLIENT_CONFIG_FILE", "clouds.yaml")
        raise ConfigError(f"cannot read {where}: {exc}; it must map 'clouds:' to named entries") from None
    files = [f for f in getattr(config, "_config_files", []) if os.path.exists(f)]
    return sorted(set(config.get_cloud_names()) - {"envvars", "defaults"}), files


def check_auth_url(cloud: str, auth_url: object, where: str = "") -> None:
    """``auth_url`` (when the cloud's auth plugin has one) is an http(s) URL with a host: keystoneauth takes
    anything and fails later with words about the service catalog."""
    if auth_url is None:
        return
    text = str(auth_url)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 — a port that is no number raises here
        fine = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # an unclosed [IPv6 bracket, a port that is no number
        fine = False
    if not fine:
        text = text.rpartition("@")[2] if "@" in text else text  # 'user:password@host' without a scheme: no echo
        raise ConfigError(
            f"auth_url {text!r} of cloud {cloud!r} is not a URL (it needs http:// or https:// and a host, e.g. "
            f"https://keystone.example.com:5000/v3); fix it in {where or 'clouds.yaml'}"
        )
