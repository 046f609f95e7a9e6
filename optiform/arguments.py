"""The public API's arguments, checked where they come in.

A wrong type passed to `loads`, `Model.solve` or `pareto` used to travel into
the compiler or a backend and fail there as an AttributeError, or worse, be
read wrongly (`lexicographic="cost"` as the names c, o, s, t). Each function
here checks one argument and raises a `TypeError` (wrong type) or an
`ArgumentError` (a `ValueError`: right type, value out of range) whose message
starts with the argument's name; the command line turns an `ArgumentError`
into a usage error (exit 2) for the option of that name. Imports nothing from
the rest of optiform.
"""

from __future__ import annotations

import math
import numbers
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

# Beyond these the run would exhaust memory or time long before it helped.
MAX_STARTS = 10_000
MAX_SAMPLES = 100_000
MAX_ITERATIONS = 10**9
MAX_SEED = 2**63 - 1  # torch and numpy both take a seed below 2**63
MAX_SIZE = 10**12  # `max_size`; memory runs out first, with its own error
DEVICE = re.compile(r"cpu|cuda(:\d+)?|mps")


class ArgumentError(ValueError):
    """An argument of the right type with a value that cannot be used."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(f"{argument}: {message}")
        self.argument = argument
        self.reason = message


def _kind(value: object) -> str:
    return type(value).__name__


def path(argument: str, value: object) -> Path:
    if isinstance(value, (str, os.PathLike)) and not isinstance(value, bytes):
        return Path(value)
    raise TypeError(f"{argument}: expected a path (str or pathlib.Path), not {_kind(value)}")


def text(argument: str, value: object) -> str:
    if isinstance(value, str):
        return value
    raise TypeError(f"{argument}: expected a str, not {_kind(value)}")


def data(argument: str, value: object) -> None:
    """None, a path to a data file or folder, or a mapping of names to values."""
    if value is None or isinstance(value, (str, os.PathLike)) and not isinstance(value, bytes):
        return
    if not isinstance(value, Mapping):
        raise TypeError(f"{argument}: expected a path or a mapping of names to values, not "
                        f"{_kind(value)}")
    for key in value:
        if not isinstance(key, str):
            raise TypeError(f"{argument}: names are str, not {_kind(key)} ({key!r})")


def flag(argument: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise TypeError(f"{argument}: expected True or False, not {_kind(value)}")


def integer(argument: str, value: object, lo: int | None = None,
            hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{argument}: expected an int, not {_kind(value)}")
    number = int(value)
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        within = (f"from {lo:,} to {hi:,}" if lo is not None and hi is not None
                  else f"at least {lo:,}" if lo is not None else f"at most {hi:,}")
        raise ArgumentError(argument, f"{number:,} is not {within}")
    return number


def optional_integer(argument: str, value: object, lo: int | None = None,
                     hi: int | None = None) -> int | None:
    return None if value is None else integer(argument, value, lo, hi)


def number(argument: str, value: object, *, positive: bool = False,
           infinite: bool = False) -> float:
    """A real number, not NaN; at least 0 (above 0 when `positive`); finite unless
    `infinite`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{argument}: expected a number, not {_kind(value)}")
    x = float(value)
    if math.isnan(x) or (math.isinf(x) and not infinite) or x < 0 or (positive and x == 0):
        need = "a positive" if positive else "a non-negative"
        raise ArgumentError(argument, f"{value} is not {need} {'' if infinite else 'finite '}"
                                      "number")
    return x


def optional_number(argument: str, value: object, *, positive: bool = False,
                    infinite: bool = False) -> float | None:
    return None if value is None else number(argument, value, positive=positive,
                                             infinite=infinite)


def choice(argument: str, value: object, choices: Sequence[str]) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{argument}: expected a str, not {_kind(value)}")
    if value not in choices:
        raise ArgumentError(argument, f"`{value}` is not one of {', '.join(choices)}")
    return value


def optional_text(argument: str, value: object) -> str | None:
    return None if value is None else text(argument, value)


def device(argument: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{argument}: expected a str, not {_kind(value)}")
    if not DEVICE.fullmatch(value):
        raise ArgumentError(argument, f"`{value}` is not a device: cpu, cuda, cuda:N or mps")
    return value


def names(argument: str, value: object) -> tuple[str, ...]:
    """A sequence of names (a lone str is refused: it would be read letter by letter)."""
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(f"{argument}: expected a list of names, not {_kind(value)}"
                        + (f" (write [{value!r}])" if isinstance(value, str) else ""))
    for name in value:
        if not isinstance(name, str):
            raise TypeError(f"{argument}: names are str, not {_kind(name)} ({name!r})")
    return tuple(value)


def weights(argument: str, value: object) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{argument}: expected a mapping of objective names to numbers, not "
                        f"{_kind(value)}")
    out: dict[str, float] = {}
    for name, weight in value.items():
        if not isinstance(name, str):
            raise TypeError(f"{argument}: names are str, not {_kind(name)} ({name!r})")
        if isinstance(weight, bool) or not isinstance(weight, numbers.Real):
            raise TypeError(f"{argument}: the weight of `{name}` is {_kind(weight)}, not a "
                            "number")
        if not math.isfinite(float(weight)):
            raise ArgumentError(argument, f"the weight of `{name}` is {weight}, not a finite "
                                          "number")
        out[name] = float(weight)
    return out
