"""Find the outliers among sites that must agree on one value.

Shared by the cross-file rules: group the resolved sites of a setting per
runtime, take the value most sites agree on (ties broken by the value itself, so
the outcome is deterministic), and report the first outlier with every other
site in ``related``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from meslint.findings import Related
from meslint.resolve import RUNTIMES, SiteValue


@dataclass(frozen=True)
class Disagreement:
    setting: str
    runtime: str
    majority: str
    outlier: SiteValue
    sites: tuple[SiteValue, ...]  # every site with a known value, in a stable order
    also_in: tuple[str, ...]  # other runtimes where the setting disagrees too

    def related(self) -> list[Related]:
        return [related_for(site) for site in self.sites if site is not self.outlier]


def related_for(site: SiteValue) -> Related:
    shown = site.value if site.value is not None else "(unknown)"
    why = site.explain()
    return Related(site.location, f"{site.consumer} [{site.runtime}]: {shown}" + (f" ({why})" if why else ""))


def disagreements(sites: Iterable[SiteValue],
                  may_be_outlier: Callable[[SiteValue], bool] = lambda site: True,
                  authority: Callable[[SiteValue], bool] = lambda site: False) -> list[Disagreement]:
    """One disagreement per setting: the first runtime (in RUNTIMES order) where sites differ.

    On a tie the value held by an ``authority`` site (the contract module) is the reference.
    """
    by_setting: dict[str, dict[str, list[SiteValue]]] = {}
    for site in sites:
        if site.value is None:
            continue
        by_setting.setdefault(site.setting, {}).setdefault(site.runtime, []).append(site)
    found = []
    for setting in sorted(by_setting):
        per_runtime = by_setting[setting]
        split = [rt for rt in RUNTIMES if len({s.value for s in per_runtime.get(rt, [])}) > 1]
        for runtime in split:
            group = sorted(per_runtime[runtime], key=lambda s: (s.location, s.consumer))
            preferred = {s.value for s in group if authority(s)}
            majority = majority_value([s.value for s in group], preferred)
            outliers = [s for s in group if s.value != majority and may_be_outlier(s)]
            if not outliers:
                continue
            others = tuple(rt for rt in split if rt != runtime)
            found.append(Disagreement(setting, runtime, majority, outliers[0], tuple(group), others))
            break
    return found


def majority_value(values: list[str], preferred: set[str] | frozenset[str] = frozenset()) -> str:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return sorted(counts, key=lambda value: (-counts[value], value not in preferred, value))[0]


def describe(d: Disagreement) -> str:
    outlier = d.outlier
    agreeing = sum(1 for s in d.sites if s.value == d.majority)
    text = (f"{d.setting} resolves to {outlier.value} for {outlier.consumer} but to {d.majority} for "
            f"{agreeing} other site{'s' if agreeing != 1 else ''} ({d.runtime} runtime)")
    if d.also_in:
        text += f"; also disagrees in: {', '.join(d.also_in)}"
    return text


def contract_authority(ctx) -> Callable[[SiteValue], bool]:
    """Sites in the pack's contract module win ties: that module owns the contract."""
    module = ctx.pack.contract_module
    return lambda site: module is not None and site.location.path == module
