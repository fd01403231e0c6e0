"""Small immutable records: what a frozen dataclass gives, without importing dataclasses.

dataclasses imports inspect, ~10 ms of every start-up; the protocol core, the
action file reader and the config all need only this much.
"""

from __future__ import annotations

__all__ = ["Record"]


class Record:
    """An immutable record, as a frozen dataclass is.

    The fields are __slots__, in __init__'s order, set once by __init__; records
    are compared, hashed and shown by value; the fields in _hidden are left out
    of repr (secrets).
    """

    __slots__ = ()
    _hidden: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.__match_args__ = cls.__slots__

    def _fill(self, values: dict[str, object]) -> None:
        """Set every field from `values` (__init__'s locals())."""
        for name in self.__slots__:
            object.__setattr__(self, name, values[name])

    def __setattr__(self, name, value):
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name):
        raise AttributeError(f"cannot delete field {name!r}")

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    def __reduce__(self):  # copy and pickle: __setattr__ refuses
        return self.__class__, self._values()

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__ if name not in self._hidden)
        return f"{self.__class__.__qualname__}({shown})"
