"""Param / ParamSchema: strict types, bounds, choices, constraints, parsing, description."""

from __future__ import annotations

import pytest

from strategies.params import (
    Constraint,
    Param,
    ParameterTypeError,
    ParameterValueError,
    ParamSchema,
    UnknownParameterError,
)

SCHEMA = ParamSchema(
    (
        Param("n", int, 3, "a count", ge=1, le=10),
        Param("x", float, 0.5, gt=0.0, lt=1.0),
        Param("flag", bool, False),
        Param("mode", str, "a", choices=("a", "b")),
        Param("names", tuple, ()),
    ),
    (
        Constraint(
            "n", "must be even when flag ({flag})", lambda p: not p["flag"] or p["n"] % 2 == 0
        ),
    ),
)


def test_defaults_and_normalization() -> None:
    assert SCHEMA.validate("s", None) == {
        "n": 3,
        "x": 0.5,
        "flag": False,
        "mode": "a",
        "names": (),
    }
    out = SCHEMA.validate("s", {"x": 0.25, "names": ["p", "q"], "n": 4, "flag": True})
    assert out["names"] == ("p", "q")
    assert SCHEMA.validate("s", {"x": 1 - 0.5})["x"] == 0.5


@pytest.mark.parametrize(
    ("raw", "error", "text"),
    [
        ({"n": 0}, ParameterValueError, "'n'=0: must be >= 1"),
        ({"n": 11}, ParameterValueError, "'n'=11: must be <= 10"),
        ({"x": 0}, ParameterValueError, "'x'=0.0: must be > 0"),
        ({"x": 1.0}, ParameterValueError, "'x'=1.0: must be < 1"),
        ({"x": float("inf")}, ParameterValueError, "must be finite"),
        ({"x": "0.1"}, ParameterTypeError, "must be float, got str"),
        ({"n": 2.0}, ParameterTypeError, "must be int, got float"),
        ({"flag": 0}, ParameterTypeError, "must be bool, got int"),
        ({"mode": "c"}, ParameterValueError, "must be one of a, b"),
        ({"names": ["a", 1]}, ParameterTypeError, "must be list"),
        ({"flag": True, "n": 3}, ParameterValueError, r"'n'=3: must be even when flag \(True\)"),
        ({"m": 1}, UnknownParameterError, "'m'=1: unknown parameter; known: n, x, flag"),
    ],
)
def test_errors(raw: dict[str, object], error: type[Exception], text: str) -> None:
    with pytest.raises(error, match=text):
        SCHEMA.validate("s", raw)


def test_parse_text() -> None:
    assert SCHEMA.parse("s", {"n": "4", "x": "0.1", "flag": "yes", "names": "a,b"}) == {
        "n": 4,
        "x": 0.1,
        "flag": True,
        "mode": "a",
        "names": ("a", "b"),
    }
    with pytest.raises(ParameterTypeError, match="cannot parse as float"):
        SCHEMA.parse("s", {"x": "abc"})


def test_describe_is_json_ready() -> None:
    d = SCHEMA.describe()
    assert d["params"]["n"] == {"type": "int", "default": 3, "ge": 1, "le": 10, "doc": "a count"}
    assert d["params"]["names"] == {"type": "list", "default": []}
    assert d["constraints"] == ["n must be even when flag"]


def test_invalid_defaults_are_refused_at_definition() -> None:
    with pytest.raises(ParameterValueError, match="'n'=0"):
        ParamSchema((Param("n", int, 0, ge=1),))
