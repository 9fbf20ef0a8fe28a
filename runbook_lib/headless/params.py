"""Runbook parameters: read from the notebook's ``parameters`` cell, validated before a kernel starts.

papermill only *warns* on unknown names and types ``-p x 90`` as int even when the default is 85.0,
so the runner checks every value against the declaration first. A declaration is one annotated line
with a comment; the comment may end with a constraint that the runner enforces::

    max_change: float = 0.05  # largest reweight change per step [range 0.01..0.5]
    fix_via: str = "image"  # where the fix goes [one of: image, flavor]
    apply: bool = False  # change the cloud [needs: cloud or ceph_live]
    socket_limits: dict = {}  # sockets per image [each: int 1..64]

``[each: int 1..64]`` on a dict: every value must be a whole number in that range. ``[needs: a or b]`` on a
bool: when it is true, one of the named parameters must be set too (a change needs a live source, so
``-p apply true`` on a snapshot is refused here, not inside the notebook). ``[file]``,
``[dir]`` and ``[path]`` mark a path: a relative one is resolved against the caller's working directory
(the notebook runs in ``notebooks/``), and a ``[file]`` / ``[dir]`` must exist. ``[file on the host of
ceph_command]`` is a file on the machine the named command runs on: checked here when that command runs here,
left as given when it goes through ssh (the remote side resolves it).
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import shlex
from pathlib import Path
from typing import Any

from runbook_lib.errors import ParameterError

_TYPES: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict}
_RANGE = re.compile(r"\[range\s+(-?[\d.]+)\s*\.\.\s*(-?[\d.]+)\]")
_CHOICES = re.compile(r"\[one of:\s*([^\]]+)\]")
_EACH = re.compile(r"\[each:\s*int\s+(\d+)\s*\.\.\s*(\d+)\]")
_NEEDS = re.compile(r"\[needs:\s*([^\]]+)\]")
_PATH = re.compile(r"\[(file|dir|path)(?: on the host of (\w+))?\]")
# Parameters the runner sets itself; a user passing them with -p is told which option to use.
RUNNER_OWNED = {"cloud": "--cloud", "snapshot": "--snapshot"}


@dataclasses.dataclass(frozen=True)
class Parameter:
    name: str
    type_name: str
    default: Any
    help: str

    @property
    def plain_help(self) -> str:
        """The help without its constraints, for messages."""
        return re.sub(r"\s*\[(range|one of|needs|each|file|dir|path)\b[^\]]*\]", "", self.help).strip()

    @property
    def range(self) -> tuple[float, float] | None:
        m = _RANGE.search(self.help)
        return (float(m.group(1)), float(m.group(2))) if m else None

    @property
    def choices(self) -> list[str] | None:
        m = _CHOICES.search(self.help)
        return [c.strip() for c in m.group(1).split(",")] if m else None

    @property
    def path_kind(self) -> str:
        """ "file", "dir" or "path" when the value is a path; "" otherwise."""
        m = _PATH.search(self.help)
        return m.group(1) if m else ""

    @property
    def host_of(self) -> str:
        """The command parameter whose host holds this path (``[file on the host of ceph_command]``), or ""."""
        m = _PATH.search(self.help)
        return (m.group(2) or "") if m else ""

    @property
    def each(self) -> tuple[int, int] | None:
        """The range every value of a dict parameter must be a whole number in (``[each: int 1..64]``)."""
        m = _EACH.search(self.help)
        return (int(m.group(1)), int(m.group(2))) if m else None

    @property
    def needs(self) -> list[str]:
        """The parameters of which one must be set when this one is true (``[needs: cloud or ceph_live]``)."""
        m = _NEEDS.search(self.help)
        return [n.strip() for n in m.group(1).split(" or ")] if m else []


def parameters_source(notebook_path: str | Path) -> str:
    nb = json.loads(Path(notebook_path).read_text())
    cells = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ParameterError(f"{notebook_path} has {len(cells)} cells tagged 'parameters' (want exactly 1)")
    src = cells[0]["source"]
    return "".join(src) if isinstance(src, list) else src


def declared_parameters(notebook_path: str | Path) -> dict[str, Parameter]:
    """name → Parameter, from the annotated assignments of the parameters cell."""
    source = parameters_source(notebook_path)
    lines = source.splitlines()
    declared: dict[str, Parameter] = {}
    for node in ast.parse(source).body:
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
            raise ParameterError(f"{notebook_path}: every parameter needs 'name: type = default  # help'")
        type_name = ast.unparse(node.annotation).split("[")[0]
        if type_name not in _TYPES:
            raise ParameterError(f"{notebook_path}: parameter {node.target.id} has unsupported type {type_name}")
        line = lines[node.lineno - 1]
        help_text = line.split("#", 1)[1].strip() if "#" in line else ""
        default = ast.literal_eval(node.value) if node.value is not None else None
        declared[node.target.id] = Parameter(node.target.id, type_name, default, help_text)
    return declared


def _coerce(p: Parameter, raw: Any) -> Any:
    kind = _TYPES[p.type_name]
    if not isinstance(raw, str) or kind is str:
        value = raw
    elif kind is bool:
        lowered = raw.strip().lower()
        if lowered not in ("true", "false", "1", "0", "yes", "no"):
            raise ParameterError(f"parameter {p.name} must be true or false, got {raw!r}")
        value = lowered in ("true", "1", "yes")
    elif kind in (int, float):
        try:
            value = kind(raw)
        except ValueError:
            raise ParameterError(f"parameter {p.name} must be {p.type_name}, got {raw!r} ({p.plain_help})") from None
    else:
        import yaml

        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            raise ParameterError(f"parameter {p.name} must be a {p.type_name} in YAML/JSON, got {raw!r}") from None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ParameterError(f"parameter {p.name} must be {p.type_name}, got {type(value).__name__} {raw!r}")
    return value


def _resolved(p: Parameter, value: str) -> str:
    """An absolute path for a path parameter, checked to be what it must be."""
    path = Path(value).expanduser()
    path = path if path.is_absolute() else Path.cwd() / path
    where = f"; {p.host_of} runs here, so the file must be here" if p.host_of else ""
    if p.path_kind == "file" and not path.is_file():
        raise ParameterError(f"parameter {p.name}={value!r}: {path} is not a file ({p.plain_help}{where})")
    if p.path_kind == "dir" and not path.is_dir():
        raise ParameterError(f"parameter {p.name}={value!r}: {path} is not a directory ({p.plain_help})")
    return str(path)


def _on_remote_host(p: Parameter, typed: dict[str, Any], declared: dict[str, Parameter]) -> bool:
    """Whether ``p`` is a path on the host its command reaches over ssh (then only that host can check it)."""
    if not p.host_of or p.host_of not in declared:
        return False
    from runbook_lib.sources.ceph import goes_through_ssh

    return goes_through_ssh(shlex.split(str(typed.get(p.host_of, declared[p.host_of].default))))


def _check_each(p: Parameter, value: dict[Any, Any], low: int, high: int) -> None:
    for name, item in value.items():
        if isinstance(item, bool) or not isinstance(item, int) or not low <= item <= high:
            raise ParameterError(
                f"parameter {p.name}[{name!r}] = {item!r} must be a whole number {low}..{high} ({p.plain_help})"
            )


def _check_words(key: str, value: str) -> None:
    """A command prefix (``ceph_command``, ``sudo``) becomes argv words: one it cannot split is refused here,
    before a kernel starts, whether or not this run would use it."""
    try:
        shlex.split(value)
    except ValueError as exc:
        raise ParameterError(f"parameter {key} {value!r} cannot be split into words: {exc}") from None


def validate_parameters(notebook_path: str | Path, given: dict[str, Any]) -> dict[str, Any]:
    """Typed values for ``given`` (strings from the CLI, or Python values); ParameterError on any problem."""
    declared = declared_parameters(notebook_path)
    name = Path(notebook_path).stem
    typed: dict[str, Any] = {}
    for key, raw in given.items():
        if key not in declared:
            known = ", ".join(sorted(declared))
            raise ParameterError(f"{name} has no parameter {key!r}; its parameters are: {known}")
        p = declared[key]
        value = _coerce(p, raw)
        if p.range and not (p.range[0] <= value <= p.range[1]):
            raise ParameterError(
                f"parameter {key}={value} is out of range {p.range[0]:g}..{p.range[1]:g} ({p.plain_help})"
            )
        if p.choices and str(value) not in p.choices:
            raise ParameterError(f"parameter {key}={value!r} must be one of: {', '.join(p.choices)}")
        if p.each and isinstance(value, dict):
            _check_each(p, value, *p.each)
        if isinstance(value, str) and (key.endswith("_command") or key == "sudo"):
            _check_words(key, value)
        typed[key] = value
    for key, value in typed.items():
        p = declared[key]
        if p.path_kind and value and not _on_remote_host(p, typed, declared):
            typed[key] = _resolved(p, value)
    for key, value in typed.items():
        needs = declared[key].needs
        if value is True and needs and not any(typed.get(n, declared[n].default) for n in needs if n in declared):
            options = " or ".join(f"--{n}" if n in RUNNER_OWNED else f"-p {n} …" for n in needs)
            raise ParameterError(
                f"parameter {key}=true changes a live system, but this run reads a snapshot; pass {options}"
            )
    return typed


def split_parameters(notebooks: list[Path], pairs: list[list[str]]) -> dict[str, dict[str, str]]:
    """Route each -p to the runbooks that declare it; a name no runbook declares is an error."""
    given = dict((k, v) for k, v in pairs)
    for key in given:
        if key in RUNNER_OWNED:
            raise ParameterError(f"set {key} with {RUNNER_OWNED[key]}, not -p {key}")
    routed: dict[str, dict[str, str]] = {}
    for nb in notebooks:
        declared = declared_parameters(nb)
        # A single runbook gets every -p, so that an unknown name is reported against it.
        routed[nb.stem] = {k: v for k, v in given.items() if k in declared or len(notebooks) == 1}
    unclaimed = [k for k in given if all(k not in routed[nb.stem] for nb in notebooks)]
    if unclaimed:
        raise ParameterError(f"no runbook has a parameter named {unclaimed[0]!r} (see 'runbook list')")
    return routed
