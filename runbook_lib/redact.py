"""Secrets never reach a report: the values of a run's parameters that are secrets (a ``--key``/``--password``
option, a ``PASSWORD=…``/``TOKEN=…`` assignment, a URL's credentials or a bare ``user:password@host``, a cephx
key, or any value of a parameter named like a secret) are found once, and every text the run writes (the
executed notebook, its HTML, the summary, the runner's lines) has each of them replaced by ``***``."""

from __future__ import annotations

import re
from typing import Any

MASK = "***"
_SECRET_WORD = r"(?:pass(?:word|wd)?|secret|token|key(?!ring)|credential|auth)"  # a keyring is a path
# --password x, --key=x, -k? no: only long options whose name says secret
_OPTION = re.compile(rf"(?i)(?:^|\s|=)--[\w-]*{_SECRET_WORD}(?:=|\s+)(['\"]?)(?P<value>[^\s'\"]+)\1")
# OS_PASSWORD=x, password: x, "token": "x" (an env assignment or a config line carried in a value)
_ASSIGNMENT = re.compile(rf"(?i)\b[\w-]*{_SECRET_WORD}\s*[=:]\s*(['\"]?)(?P<value>[^\s'\",;]+)\1")
_URL_CREDENTIALS = re.compile(r"://[^/\s:@]+:(?P<value>[^@\s/]+)@")
# user:password@host without a scheme: no ssh takes it, but that is what the operator typed, and its value
# would be quoted back in the error that refuses it
_USERINFO = re.compile(r"(?:^|(?<=[\s=,]))[\w.+-]+:(?P<value>\S+)@[\w.-]+(?=[\s,]|$)")
_SSHPASS = re.compile(r"(?:^|\s)sshpass\s+(?:-\w+\s+)*-p\s*(['\"]?)(?P<value>[^\s'\"]+)\1")  # sshpass -p <password>
_CEPHX_KEY = re.compile(r"\bAQ[A-Za-z0-9+/]{36}==")  # a cephx secret: 28 bytes in base64, 40 characters
_SECRET_NAME = re.compile(rf"(?i){_SECRET_WORD}")


def secret_values(parameters: dict[str, Any]) -> set[str]:
    """The secrets the parameters carry (longest first when replaced), never a value shorter than 4
    characters (masking "no" or "1" everywhere would garble the report and hide nothing)."""
    found: set[str] = set()
    for name, value in parameters.items():
        if not isinstance(value, str) or not value:
            continue
        if _SECRET_NAME.search(name):
            found.add(value)
        for pattern in (_OPTION, _ASSIGNMENT, _URL_CREDENTIALS, _USERINFO, _SSHPASS):
            found |= {m.group("value") for m in pattern.finditer(value)}
        found |= set(_CEPHX_KEY.findall(value))
    return {v for v in found if len(v) >= 4}


def redact(text: str, secrets: set[str]) -> str:
    """``text`` with every secret (and any cephx key or URL password, whatever carried it) masked."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _CEPHX_KEY.sub(MASK, text)
    return _URL_CREDENTIALS.sub(lambda m: m.group(0).replace(m.group("value"), MASK), text)


def redact_tree(value: Any, secrets: set[str]) -> Any:
    """Every string inside a JSON-like value redacted (dict keys are names, never secrets: kept)."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {k: redact_tree(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_tree(v, secrets) for v in value]
    return value
