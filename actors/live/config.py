"""Typed configuration of the live trading engine (YAML, environment, code build the same objects).

Invariants:

* Every value is checked on construction; a bad one raises :class:`LiveConfigError` (a
  ``ConfigurationError`` and a ``ValueError``) whose message starts with the key at fault -- the
  YAML path (``risk.max_drawdown``) or the environment variable (``RISK_MAX_DRAWDOWN``).
  Unknown keys are errors too, never silently ignored.
* Secrets (``api_key``, ``api_secret``) come from the environment (or code) only: a YAML file
  that holds them is refused, so a config file can be committed. They are excluded from
  ``repr`` and from :meth:`LiveEngineConfig.to_public_dict` (what the engine logs).
* Every endpoint is configurable (trading REST, data REST, market-data stream, trading stream),
  so the engine can point at any Alpaca-compatible server (the local sandbox included).

Environment variables (``from_env``): ``ALPACA_API_KEY``, ``ALPACA_API_SECRET``,
``ALPACA_BASE_URL``, ``ALPACA_DATA_URL``, ``ALPACA_DATA_STREAM_URL``,
``ALPACA_TRADING_STREAM_URL``, ``ALPACA_DATA_FEED``, ``ALPACA_TIMEOUT_S``; ``TRADING_<FIELD>`` for
:class:`TradingConfig` (``TRADING_DRY_RUN``, ``TRADING_ENABLE``, ``TRADING_PAPER_MODE``,
``TRADING_SYMBOLS=AAPL,MSFT`` ...), ``RISK_<FIELD>`` for :class:`RiskConfig`,
``STOPLOSS_<FIELD>`` for :class:`StopLossConfig`. Any other variable with one of these prefixes is
an error naming it. ``TRADING_STRATEGY_PARAMS`` is ``k=v,k=v``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, get_args

from actors.errors import ConfigurationError

__all__ = [
    "AlpacaConfig",
    "LiveConfigError",
    "LiveEngineConfig",
    "Mode",
    "RiskConfig",
    "StopLossConfig",
    "TradingConfig",
    "parse_scalar",
]

Mode = Literal["dry-run", "paper", "live"]
FillModelName = Literal["immediate", "next_bar"]
SizingMethod = Literal["fixed", "percent"]
Scalar = str | int | float | bool | None

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class LiveConfigError(ConfigurationError, ValueError):
    """A live-engine setting is invalid or unknown; the message starts with the key."""

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        super().__init__(f"{key}: {problem}")


def _num(
    key: str,
    value: object,
    *,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise LiveConfigError(key, f"expected a finite number, got {value!r}")
    v = float(value)
    if lo is not None and (v <= lo if lo_open else v < lo):
        raise LiveConfigError(key, f"must be {'>' if lo_open else '>='} {lo:g}, got {value!r}")
    if hi is not None and v > hi:
        raise LiveConfigError(key, f"must be <= {hi:g}, got {value!r}")
    return v


def _opt_num(key: str, value: object, **kw: Any) -> float | None:
    return None if value is None else _num(key, value, **kw)


def _bool(key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise LiveConfigError(key, f"expected true or false, got {value!r}")
    return value


def _str(key: str, value: object, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise LiveConfigError(key, f"expected a non-empty string, got {value!r}")
    return value


def _opt_url(key: str, value: object) -> str | None:
    if value is None:
        return None
    text = _str(key, value)
    if not text.startswith(("http://", "https://", "ws://", "wss://")):
        raise LiveConfigError(key, f"expected an http(s):// or ws(s):// URL, got {value!r}")
    return text.rstrip("/")


def _choice(key: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise LiveConfigError(key, f"expected one of {', '.join(allowed)}, got {value!r}")
    return str(value)


@dataclass(frozen=True, slots=True)
class TradingConfig:
    """What to trade and how the engine runs.

    ``dry_run`` / ``paper_mode`` / ``enable`` decide the mode (:meth:`LiveEngineConfig.mode`):
    dry-run unless ``dry_run`` is false; then paper unless ``paper_mode`` is false *and*
    ``enable`` is true (live). ``fill_model`` is the dry-run venue's: ``immediate`` fills a
    market order at the last price on submission (like Alpaca paper against the last quote);
    ``next_bar`` at the next bar's open (conservative). ``client_order_prefix`` starts every
    Alpaca ``client_order_id``; the engine adds the session number so a restarted run never
    reuses an id. ``data_silence_s``: a connected stream silent that long is reconnected.
    ``cancel_open_orders_on_start`` (default false): what a restart does with the broker's
    open orders of this deployment (``client_order_prefix``) that a previous session left:
    false *adopts* them as working orders (their later fills are booked once, under the
    strategy that sent them, and risk counts them); true cancels them (after reconciling them)
    before positions are read -- for operators who want every session to start flat in orders.
    Env ``TRADING_CANCEL_OPEN_ORDERS_ON_START``. ``warmup_bars``: bars
    per symbol fed before trading starts with signals discarded, so indicators are warm and a
    strategy's regime reflects recent history (dry-run: the bars before the replay window;
    paper/live: by REST, cached, up to the broker's clock). ``stream_quotes`` /
    ``stream_trades``: also subscribe to quotes / trades (each one a tick: prices, unrealized
    P&L and stops follow them; bar strategies ignore them).
    """

    symbols: tuple[str, ...] = ("AAPL",)
    strategy: str = "sma_cross"
    strategy_params: tuple[tuple[str, Scalar], ...] = ()
    timeframe: str = "1Min"
    dry_run: bool = True
    enable: bool = False
    paper_mode: bool = True
    initial_cash: float = 100_000.0
    replay_days: int = 5
    fill_model: FillModelName = "immediate"
    client_order_prefix: str = "ft-"
    heartbeat_s: float = 1.0
    data_silence_s: float = 60.0
    cancel_open_orders_on_start: bool = False
    warmup_bars: int = 100
    stream_quotes: bool = False
    stream_trades: bool = False

    def __post_init__(self) -> None:
        p = "trading."
        syms = self.symbols
        if isinstance(syms, str):
            syms = tuple(s for s in syms.split(","))
        if not isinstance(syms, tuple | list) or not syms:
            raise LiveConfigError(p + "symbols", f"expected a list of symbols, got {syms!r}")
        clean = tuple(_str(p + "symbols", s).strip().upper() for s in syms)
        if len(set(clean)) != len(clean):
            raise LiveConfigError(p + "symbols", f"duplicate symbols in {list(clean)}")
        object.__setattr__(self, "symbols", clean)
        _str(p + "strategy", self.strategy)
        params = self.strategy_params
        if isinstance(params, Mapping):
            params = tuple(sorted(params.items()))
        for item in params:
            if (
                not isinstance(item, tuple)
                or len(item) != 2
                or not isinstance(item[0], str)
                or not isinstance(item[1], str | int | float | bool | type(None))
            ):
                raise LiveConfigError(p + "strategy_params", f"expected name: scalar, got {item!r}")
        object.__setattr__(self, "strategy_params", tuple(params))
        from actors.data.bars import Timeframe

        try:
            Timeframe.parse(self.timeframe)
        except ValueError as exc:
            raise LiveConfigError(p + "timeframe", str(exc)) from None
        for name in ("dry_run", "enable", "paper_mode", "cancel_open_orders_on_start",
                     "stream_quotes", "stream_trades"):  # fmt: skip
            _bool(p + name, getattr(self, name))
        _num(p + "initial_cash", self.initial_cash, lo=0, lo_open=True)
        if isinstance(self.replay_days, bool) or not isinstance(self.replay_days, int):
            raise LiveConfigError(
                p + "replay_days", f"expected an integer, got {self.replay_days!r}"
            )
        if self.replay_days < 1:
            raise LiveConfigError(p + "replay_days", f"must be >= 1, got {self.replay_days!r}")
        w = self.warmup_bars
        if isinstance(w, bool) or not isinstance(w, int) or w < 0:
            raise LiveConfigError(p + "warmup_bars", f"expected an integer >= 0, got {w!r}")
        _choice(p + "fill_model", self.fill_model, get_args(FillModelName))
        _str(p + "client_order_prefix", self.client_order_prefix, allow_empty=True)
        if len(self.client_order_prefix) > 40:
            raise LiveConfigError(p + "client_order_prefix", "at most 40 characters")
        _num(p + "heartbeat_s", self.heartbeat_s, lo=0, lo_open=True)
        _num(p + "data_silence_s", self.data_silence_s, lo=0, lo_open=True)


@dataclass(frozen=True, slots=True)
class RiskConfig:
    """Pre-trade and post-trade limits (``None`` disables a check) and position sizing.

    ``sizing``: ``percent`` (``position_fraction`` of equity per position) or ``fixed``
    (``position_quantity`` units). ``max_drawdown`` / ``max_daily_loss`` trip the circuit
    breaker (fractions of peak / day-start equity); ``max_orders_per_minute`` is the global rate.
    """

    sizing: SizingMethod = "percent"
    position_fraction: float = 0.1
    position_quantity: float = 1.0
    max_order_quantity: float | None = None
    max_position: float | None = None
    max_notional: float | None = None
    max_position_value: float | None = None
    max_total_exposure: float | None = None
    max_drawdown: float | None = None
    max_daily_loss: float | None = None
    max_orders_per_minute: int | None = None
    check_capital: bool = True

    def __post_init__(self) -> None:
        p = "risk."
        _choice(p + "sizing", self.sizing, get_args(SizingMethod))
        _num(p + "position_fraction", self.position_fraction, lo=0, hi=1, lo_open=True)
        _num(p + "position_quantity", self.position_quantity, lo=0, lo_open=True)
        for name in (
            "max_order_quantity",
            "max_position",
            "max_notional",
            "max_position_value",
            "max_total_exposure",
        ):
            _opt_num(p + name, getattr(self, name), lo=0)
        for name in ("max_drawdown", "max_daily_loss"):
            _opt_num(p + name, getattr(self, name), lo=0, hi=1, lo_open=True)
        n = self.max_orders_per_minute
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
            raise LiveConfigError(
                p + "max_orders_per_minute", f"expected an integer >= 1, got {n!r}"
            )
        _bool(p + "check_capital", self.check_capital)


@dataclass(frozen=True, slots=True)
class StopLossConfig:
    """Protective exits risk fires on every snapshot (fractions of the entry / peak price)."""

    enabled: bool = True
    stop_loss_pct: float | None = None
    trailing_stop_pct: float | None = None

    def __post_init__(self) -> None:
        _bool("stop_loss.enabled", self.enabled)
        for name in ("stop_loss_pct", "trailing_stop_pct"):
            _opt_num("stop_loss." + name, getattr(self, name), lo=0, hi=1, lo_open=True)


@dataclass(frozen=True, slots=True)
class AlpacaConfig:
    """Endpoints and keys. ``None`` URLs mean Alpaca's own (paper or live by mode).

    Keys are excluded from ``repr`` and never logged; ``has_keys`` tells whether both are set.
    """

    api_key: str | None = field(default=None, repr=False)
    api_secret: str | None = field(default=None, repr=False)
    base_url: str | None = None
    data_url: str | None = None
    data_stream_url: str | None = None
    trading_stream_url: str | None = None
    data_feed: str = "iex"
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        p = "alpaca."
        for name in ("api_key", "api_secret"):
            v = getattr(self, name)
            if v is not None:
                _str(p + name, v)
        for name in ("base_url", "data_url", "data_stream_url", "trading_stream_url"):
            object.__setattr__(self, name, _opt_url(p + name, getattr(self, name)))
        _choice(p + "data_feed", self.data_feed, ("iex", "sip", "delayed_sip", "test"))
        _num(p + "timeout_s", self.timeout_s, lo=0, lo_open=True)

    @property
    def has_keys(self) -> bool:
        return bool(self.api_key) and bool(self.api_secret)

    def secrets(self) -> tuple[str, ...]:
        """The secret values (for redaction); empty when none are set."""
        return tuple(s for s in (self.api_key, self.api_secret) if s)


_SECTIONS: dict[str, type[Any]] = {
    "trading": TradingConfig,
    "risk": RiskConfig,
    "stop_loss": StopLossConfig,
    "alpaca": AlpacaConfig,
}
_ENV_PREFIX = {
    "TRADING_": "trading",
    "RISK_": "risk",
    "STOPLOSS_": "stop_loss",
    "ALPACA_": "alpaca",
}
_ENV_ALIASES = {
    "ALPACA_API_SECRET": ("alpaca", "api_secret"),
    "ALPACA_API_KEY": ("alpaca", "api_key"),
}
_SECRET_FIELDS = frozenset({"api_key", "api_secret"})


@dataclass(frozen=True, slots=True)
class LiveEngineConfig:
    """The whole engine configuration: four sections."""

    trading: TradingConfig = field(default_factory=TradingConfig)
    risk: RiskConfig = field(default_factory=RiskConfig)
    stop_loss: StopLossConfig = field(default_factory=StopLossConfig)
    alpaca: AlpacaConfig = field(default_factory=AlpacaConfig)

    # -- derived -------------------------------------------------------------------------------
    @property
    def mode(self) -> Mode:
        t = self.trading
        if t.dry_run:
            return "dry-run"
        if not t.paper_mode and t.enable:
            return "live"
        return "paper"

    def with_mode(self, mode: Mode) -> LiveEngineConfig:
        """A copy with the mode flags set for ``mode`` (live needs ``enable`` already set)."""
        t = self.trading
        if mode == "dry-run":
            t = replace(t, dry_run=True)
        elif mode == "paper":
            t = replace(t, dry_run=False, paper_mode=True)
        else:
            t = replace(t, dry_run=False, paper_mode=False)
        return replace(self, trading=t)

    def to_public_dict(self) -> dict[str, Any]:
        """Everything except the secrets (whether they are set is shown)."""
        out: dict[str, Any] = {}
        for name in _SECTIONS:
            section = getattr(self, name)
            d: dict[str, Any] = {}
            for f in fields(section):
                if f.name in _SECRET_FIELDS:
                    d[f.name + "_set"] = getattr(section, f.name) is not None
                else:
                    v = getattr(section, f.name)
                    d[f.name] = (
                        [list(x) if isinstance(x, tuple) else x for x in v]
                        if isinstance(v, tuple)
                        else v
                    )
            out[name] = d
        return out

    # -- builders ------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, allow_secrets: bool = False) -> LiveEngineConfig:
        """From plain data (a parsed YAML document); keys are reported as ``section.field``."""
        if not isinstance(raw, Mapping):
            raise LiveConfigError(
                "<root>", f"expected a mapping of sections, got {type(raw).__name__}"
            )
        unknown = sorted(set(raw) - set(_SECTIONS))
        if unknown:
            raise LiveConfigError(unknown[0], f"unknown section (known: {', '.join(_SECTIONS)})")
        built: dict[str, Any] = {}
        for name, section_cls in _SECTIONS.items():
            values = raw.get(name) or {}
            if not isinstance(values, Mapping):
                raise LiveConfigError(name, f"expected a mapping, got {values!r}")
            known = {f.name for f in fields(section_cls)}
            for key in values:
                if key not in known:
                    raise LiveConfigError(f"{name}.{key}", "unknown key")
                if key in _SECRET_FIELDS and not allow_secrets and values[key] is not None:
                    raise LiveConfigError(
                        f"{name}.{key}",
                        "secrets are not read from config files: set ALPACA_API_KEY and "
                        "ALPACA_API_SECRET in the environment",
                    )
            kw = dict(values)
            if name == "trading":
                for key in ("symbols",):
                    if isinstance(kw.get(key), list):
                        kw[key] = tuple(kw[key])
                sp = kw.get("strategy_params")
                if sp is not None and not isinstance(sp, Mapping):
                    raise LiveConfigError(
                        "trading.strategy_params", f"expected a mapping, got {sp!r}"
                    )
            try:
                built[name] = section_cls(**kw)
            except TypeError as exc:
                raise LiveConfigError(name, str(exc)) from None
        return cls(**built)

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> LiveEngineConfig:
        """Read a YAML file (secrets refused: they come from the environment)."""
        import yaml

        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise LiveConfigError(str(p), f"cannot read config file: {exc.strerror}") from None
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise LiveConfigError(str(p), f"invalid YAML: {exc}") from None
        return cls.from_dict(raw or {})

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, base: LiveEngineConfig | None = None
    ) -> LiveEngineConfig:
        """Read the environment (over ``base``, default the built-in defaults)."""
        env = os.environ if environ is None else environ
        base = base or cls()
        updates: dict[str, dict[str, Any]] = {name: {} for name in _SECTIONS}
        for var in sorted(env):
            target = _ENV_ALIASES.get(var)
            if target is None:
                prefix = next((p for p in _ENV_PREFIX if var.startswith(p)), None)
                if prefix is None:
                    continue
                target = (_ENV_PREFIX[prefix], var[len(prefix) :].lower())
            section, key = target
            section_cls = _SECTIONS[section]
            types = {f.name: f.type for f in fields(section_cls)}
            if key not in types:
                raise LiveConfigError(var, f"unknown setting (known: {_env_names(section)})")
            updates[section][key] = _parse_env(var, env[var], str(types[key]))
        built = {}
        for name in _SECTIONS:
            section = getattr(base, name)
            try:
                built[name] = replace(section, **updates[name]) if updates[name] else section
            except LiveConfigError as exc:
                var = _env_var(exc.key)
                raise LiveConfigError(var, str(exc).split(": ", 1)[1]) from None
        return cls(**built)

    @classmethod
    def load(
        cls, path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
    ) -> LiveEngineConfig:
        """YAML file (optional), then the environment over it."""
        base = cls.from_yaml(path) if path is not None else cls()
        return cls.from_env(environ, base=base)


def _env_var(dotted: str) -> str:
    section, _, key = dotted.partition(".")
    for var, (s, k) in _ENV_ALIASES.items():
        if (s, k) == (section, key):
            return var
    prefix = next(p for p, s in _ENV_PREFIX.items() if s == section)
    return prefix + key.upper()


def _env_names(section: str) -> str:
    return ", ".join(_env_var(f"{section}.{f.name}") for f in fields(_SECTIONS[section]))


def _parse_env(var: str, text: str, type_text: str) -> Any:
    """Parse one environment value by the field's annotation text."""
    raw = text.strip()
    optional = "None" in type_text
    if optional and raw.lower() in ("", "none", "null"):
        return None
    if "bool" in type_text:
        low = raw.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise LiveConfigError(var, f"expected true/false (or 1/0, yes/no), got {text!r}")
    if type_text.startswith("tuple[tuple"):
        pairs: list[tuple[str, Scalar]] = []
        for part in filter(None, (p.strip() for p in raw.split(","))):
            k, sep, v = part.partition("=")
            if not sep or not k:
                raise LiveConfigError(var, f"expected k=v pairs separated by commas, got {text!r}")
            pairs.append((k.strip(), parse_scalar(v.strip())))
        return tuple(pairs)
    if type_text.startswith("tuple"):
        return tuple(s.strip() for s in raw.split(",") if s.strip())
    if type_text.startswith("int"):
        try:
            return int(raw)
        except ValueError:
            raise LiveConfigError(var, f"expected an integer, got {text!r}") from None
    if type_text.startswith("float"):
        try:
            return float(raw)
        except ValueError:
            raise LiveConfigError(var, f"expected a number, got {text!r}") from None
    return raw


def parse_scalar(text: str) -> Scalar:
    """``"true"``/``"false"`` -> bool, then int, then float, else the text itself."""
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text
