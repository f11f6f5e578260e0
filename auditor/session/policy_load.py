"""Where a policy comes from: a profile shipped with the package (``profiles/*.json``) by name, or a
user's policy file by path, with ``"extends"`` merged over the profile it names."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import SessionError
from ._parse import show
from .policy import Policy

__all__ = ["load_policy", "profile_names"]


def profile_names() -> list[str]:
    """The names of the profiles shipped with the package."""
    folder = resources.files(__package__).joinpath("profiles")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))


def _read_profile(name: str) -> dict[str, Any]:
    data = json.loads(
        resources.files(__package__).joinpath("profiles", f"{name}.json").read_text("utf-8")
    )
    assert isinstance(data, dict)
    return data


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_policy(name_or_path: str | os.PathLike[str]) -> Policy:
    """Load a shipped profile by name (``kz-2015``, ``generic``) or a policy file by path.

    Parameters
    ----------
    name_or_path
        A profile name, or the path of a ``.json`` policy file.

    Returns
    -------
    Policy

    Raises
    ------
    SessionError
        If there is no such profile or file, or the file breaks a rule of ``auditor.policy/1``.
    """
    text = os.fspath(name_or_path)
    names = profile_names()
    if text in names:
        return Policy.from_json(_read_profile(text), source=f"profile {text}")
    path = Path(text)
    if not path.is_file():
        raise SessionError(
            f"no policy profile or file named {text!r}",
            hint=f"use one of the profiles {', '.join(names)} or the path of a policy .json file",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise SessionError(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", path=path
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SessionError(f"cannot read the policy: {exc}", path=path) from None
    except ValueError as exc:  # an integer of thousands of digits
        what = str(exc).partition(";")[0]
        raise SessionError(f"not valid JSON: {what}", path=path, hint="fix the value") from None
    except RecursionError:
        raise SessionError(
            "the JSON is nested too deeply to be a policy", path=path, hint="check the file"
        ) from None
    if isinstance(data, dict) and "extends" in data:
        base = data.pop("extends")
        if base not in names:
            raise SessionError(
                f"extends {show(base)} is not a shipped profile",
                path=path,
                hint=f"use one of {', '.join(names)}",
            )
        data = _merge(_read_profile(base), data)
    return Policy.from_json(data, source=os.fspath(path))
