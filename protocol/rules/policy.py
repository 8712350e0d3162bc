"""The policy settings of PROTOCOL.md, with their protective defaults."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

LIMBS_VALUES: tuple[str, ...] = ("any", "all")

# A day count beyond a century is a typo, not a policy (and would overflow date arithmetic).
MAX_DAYS = 36_525


class PolicyError(ValueError):
    """A policy setting that is unknown, of the wrong type or out of range."""


class FrozenMapping(Mapping[str, Any]):
    """A read-only, hashable, picklable mapping (the policy values a decision records)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = dict(data)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(tuple(self._data.items()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenMapping({self._data!r})"

    def __reduce__(self) -> tuple[type[FrozenMapping], tuple[dict[str, Any]]]:
        return (FrozenMapping, (self._data,))


def _check_days(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(f"policy setting {name!r} must be a whole number of days, got {value!r}")
    if value < 0:
        raise PolicyError(f"policy setting {name!r} must not be negative, got {value}")
    if value > MAX_DAYS:
        raise PolicyError(f"policy setting {name!r} must be at most {MAX_DAYS} days, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class AppealWindowDays:
    """`appeal_window_days`: the appeal window after sentence, per court."""

    crown: int = 28
    magistrates: int = 21

    def __post_init__(self) -> None:
        _check_days("appeal_window_days.crown", self.crown)
        _check_days("appeal_window_days.magistrates", self.magistrates)

    def get(self, court: str | None) -> int | None:
        """The window for `court`, or `None` for a missing or unknown court."""
        if court == "crown":
            return self.crown
        if court == "magistrates":
            return self.magistrates
        return None

    def as_dict(self) -> dict[str, int]:
        return {"crown": self.crown, "magistrates": self.magistrates}

    @classmethod
    def from_mapping(cls, value: object) -> AppealWindowDays:
        """From `{"crown": n, "magistrates": m}`; both courts must be named."""
        if isinstance(value, AppealWindowDays):
            return value
        if not isinstance(value, Mapping):
            raise PolicyError(
                "policy setting 'appeal_window_days' must be an object naming both courts, "
                f'{{"crown": n, "magistrates": m}}, got {value!r}'
            )
        unknown = sorted(str(key) for key in value if key not in ("crown", "magistrates"))
        if unknown:
            raise PolicyError(
                f"policy setting 'appeal_window_days' has unknown court(s) {', '.join(unknown)}: "
                "only 'crown' and 'magistrates'"
            )
        missing = [court for court in ("crown", "magistrates") if court not in value]
        if missing:
            raise PolicyError(
                f"policy setting 'appeal_window_days' must name both courts: "
                f"missing {', '.join(missing)}"
            )
        return cls(crown=value["crown"], magistrates=value["magistrates"])


@dataclass(frozen=True)
class Policy:
    """Every choice PROTOCOL.md leaves open, as a named setting with a protective default."""

    limbs: str = "any"
    cover_witnesses: bool = True
    grace_days: int = 28
    vrr_window_days: int = 90
    appeal_window_days: AppealWindowDays = field(default_factory=AppealWindowDays)
    challenge_window_days: int = 14
    nrm_reconsideration_days: int = 30
    nrm_move_on_days: int = 45
    support_review_days: int = 90
    support_stale_days: int = 180
    override_max_days: int = 90
    # The values as a read-only mapping, built once: every decision records them.
    _values: FrozenMapping = field(
        init=False, repr=False, compare=False, hash=False, default=FrozenMapping({})
    )

    def __post_init__(self) -> None:
        if not isinstance(self.limbs, str) or self.limbs not in LIMBS_VALUES:
            raise PolicyError(f"policy setting 'limbs' must be 'any' or 'all', got {self.limbs!r}")
        if not isinstance(self.cover_witnesses, bool):
            raise PolicyError(
                "policy setting 'cover_witnesses' must be true or false, "
                f"got {self.cover_witnesses!r}"
            )
        for name in _DAY_SETTINGS:
            _check_days(name, getattr(self, name))
        if not isinstance(self.appeal_window_days, AppealWindowDays):
            object.__setattr__(
                self, "appeal_window_days", AppealWindowDays.from_mapping(self.appeal_window_days)
            )
        values = {name: getattr(self, name) for name in SETTINGS}
        values["appeal_window_days"] = FrozenMapping(self.appeal_window_days.as_dict())
        object.__setattr__(self, "_values", FrozenMapping(values))

    @classmethod
    def from_mapping(cls, settings: Mapping[str, object] | None) -> Policy:
        """A policy from the settings that differ from the defaults.

        A setting given replaces the default whole: `appeal_window_days` must name both courts.
        Raises `PolicyError`, naming the setting, for an unknown setting, a value of the wrong
        type, a negative number of days or a `limbs` other than `any` or `all`.
        """
        if settings is None:
            return cls()
        if not isinstance(settings, Mapping):
            raise PolicyError(
                f"the policy must be an object of settings, got {type(settings).__name__}"
            )
        unknown = sorted(str(key) for key in settings if key not in SETTINGS)
        if unknown:
            raise PolicyError(
                f"unknown policy setting(s): {', '.join(unknown)} "
                f"(known settings: {', '.join(SETTINGS)})"
            )
        values: dict[str, Any] = dict(settings)
        if "appeal_window_days" in values:
            values["appeal_window_days"] = AppealWindowDays.from_mapping(
                values["appeal_window_days"]
            )
        # The types are checked by __post_init__, which names the setting.
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        """Every setting, JSON-able (`appeal_window_days` as `{"crown": n, "magistrates": m}`)."""
        values = dict(self._values)
        values["appeal_window_days"] = self.appeal_window_days.as_dict()
        return values

    def values(self) -> FrozenMapping:
        """Every setting as a read-only mapping (shared, built once per policy)."""
        return self._values


SETTINGS: tuple[str, ...] = tuple(f.name for f in fields(Policy) if not f.name.startswith("_"))
_DAY_SETTINGS: tuple[str, ...] = tuple(
    name for name in SETTINGS if name.endswith("_days") and name != "appeal_window_days"
)

DEFAULT_POLICY = Policy()
