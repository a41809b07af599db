"""Generated constructors and envelope copiers for the frozen, slotted message dataclasses.

Why: every message crosses the hot path (a tick makes five or more), and a frozen dataclass's
own ``__init__`` sets each field through ``object.__setattr__`` (a name lookup per field), while
a generic copier loops over field names. Code generated once per class, that calls each slot's
descriptor directly, builds the same object in about 2/3 of the time and copies an envelope in
about 1/3 (measured on ``Signal``: 3.3 -> 2.3 us, 3.5 -> 1.3 us).

Contract: the generated ``__init__`` has exactly the dataclass's parameters (keyword-only,
same defaults, same required fields) and ends with ``__post_init__``, so validation and errors
are unchanged; the dataclass's own initializer stays available as ``__dataclass_init__`` (the
tests compare the two). Only classes whose every field is a slot are compiled; anything else
keeps the dataclass's code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import MISSING, fields
from typing import Any

__all__ = ["compile_init", "compile_restamp", "slot_setters"]


def slot_setters(cls: type) -> dict[str, Callable[[object, object], None]] | None:
    """Field name -> the slot descriptor's ``__set__``, or None if a field is not a slot."""
    out: dict[str, Callable[[object, object], None]] = {}
    for f in fields(cls):
        for klass in cls.__mro__:
            descriptor = klass.__dict__.get(f.name)
            if descriptor is not None:
                setter = getattr(type(descriptor), "__set__", None)
                if setter is None or type(descriptor).__name__ != "member_descriptor":
                    return None
                out[f.name] = descriptor.__set__
                break
        else:
            return None
    return out


def _define(name: str, source: str, namespace: dict[str, Any], qualname: str) -> Any:
    exec(compile(source, f"<generated {qualname}>", "exec"), namespace)
    fn = namespace[name]
    fn.__qualname__ = qualname
    return fn


def compile_init(cls: type) -> Callable[..., None] | None:
    """A faster ``__init__`` for the dataclass ``cls`` (None when it cannot be compiled)."""
    setters = slot_setters(cls)
    if setters is None:
        return None
    namespace: dict[str, Any] = {}
    params: list[str] = []
    body: list[str] = []
    for f in fields(cls):
        if f.default_factory is not MISSING or not f.init:
            return None
        namespace[f"_set_{f.name}"] = setters[f.name]
        if f.default is MISSING:
            params.append(f.name)
        else:
            namespace[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        body.append(f"    _set_{f.name}(self, {f.name})")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    signature = ", ".join(["self", "*", *params]) if params else "self"
    source = f"def __init__({signature}):\n" + "\n".join(body or ["    pass"]) + "\n"
    init: Callable[..., None] = _define(
        "__init__", source, namespace, f"{cls.__qualname__}.__init__"
    )
    init.__annotations__ = dict(getattr(cls.__dict__.get("__init__"), "__annotations__", {}))
    return init


def compile_restamp(cls: type, envelope: Iterable[str]) -> Callable[..., Any] | None:
    """``copy(message, **envelope_changes)`` for ``cls``: a copy of ``message`` with the given
    envelope fields replaced, the rest taken over as they are (no ``__post_init__``). Accepts
    every name in ``envelope``; one ``cls`` lacks is ignored. None when it cannot be compiled."""
    setters = slot_setters(cls)
    if setters is None:
        return None
    names = [f.name for f in fields(cls)]
    env = sorted(set(envelope))
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls, "_KEEP": _KEEP}
    body = ["    new = _new(_cls)"]
    for name in names:
        namespace[f"_set_{name}"] = setters[name]
        if name in env:
            body.append(f"    _set_{name}(new, message.{name} if {name} is _KEEP else {name})")
        else:
            body.append(f"    _set_{name}(new, message.{name})")
    body.append("    return new")
    params = ", ".join(f"{n}=_KEEP" for n in env)
    source = f"def restamp(message, *, {params}):\n" + "\n".join(body) + "\n"
    copier: Callable[..., Any] = _define(
        "restamp", source, namespace, f"{cls.__qualname__}.<restamp>"
    )
    return copier


class _Keep:
    """Sentinel: the envelope field keeps the message's value."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<keep>"


_KEEP = _Keep()
