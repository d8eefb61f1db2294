"""Find the outliers among sites that must agree on one value.

Shared by the cross-file rules: group the resolved sites of a setting per
runtime, take the reference value, and report the first outlier with every other
site in ``related``.  The reference is the pack's ``canonical`` value when a site
holds it (so a site agreeing with the pack is never blamed, even 1:1); otherwise
the value most sites agree on, ties going to the contract module and then to the
value itself, so the outcome is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import field

from meslint.findings import Related
from meslint.location import Location
from meslint.pack_files import repository_pack_path
from meslint.records import record
from meslint.resolve import (
    RUNTIME_SCRIPT,
    RUNTIME_SCRIPT_BARE,
    RUNTIME_SYSTEMD_BARE,
    SiteValue,
    canonical_value,
    runtime_order,
)
from meslint.template import CHECKOUT_ROOT

SCRIPT_RUNTIMES = (RUNTIME_SCRIPT, RUNTIME_SCRIPT_BARE)


@record
class Disagreement:
    setting: str
    runtime: str
    majority: str
    outlier: SiteValue
    sites: tuple[SiteValue, ...]  # every site with a known value, in a stable order
    also_in: tuple[str, ...]  # other runtimes where the setting disagrees too
    canonical: bool = False  # the reference is the pack's canonical value, not a vote
    pinned: bool = False  # no site holds the canonical value the pack pins: the pack is the reference
    pinned_at: Location | None = None  # the pack line that pins it (a pack file the repository holds)
    pinned_in: str = ""  # that line as messages name it, e.g. "rules/netbox.yaml:40"

    def related(self) -> list[Related]:
        related = [related_for(site) for site in self.sites if site is not self.outlier]
        if self.pinned and self.pinned_at is not None:
            related.append(Related(self.pinned_at, f"the contract pack pins {self.setting} to {self.majority}"))
        return related


def related_for(site: SiteValue) -> Related:
    shown = site.value if site.value is not None else "(unknown)"
    why = site.explain()
    return Related(site.location, f"{site.consumer} [{site.runtime}]: {shown}" + (f" ({why})" if why else ""))


def disagreements(sites: Iterable[SiteValue],
                  may_be_outlier: Callable[[SiteValue], bool] = lambda site: True,
                  authority: Callable[[SiteValue], bool] = lambda site: False) -> list[Disagreement]:
    """One disagreement per setting: the first runtime (in RUNTIMES order) where sites differ.

    A :class:`ContractAuthority` brings the pack's canonical values: when a site holds the
    canonical value it is the reference.  Otherwise, on a tie the value held by an
    ``authority`` site (the contract module) is the reference.
    """
    pack_says = authority if isinstance(authority, ContractAuthority) else ContractAuthority(None, {})
    by_setting: dict[str, dict[str, list[SiteValue]]] = {}
    for site in sites:
        if site.value is None:
            continue
        by_setting.setdefault(site.setting, {}).setdefault(site.runtime, []).append(site)
        if site.env_independent:
            by_setting[site.setting].setdefault(RUNTIME_SYSTEMD_BARE, []).append(site)
    found = []
    for setting in sorted(by_setting):
        per_runtime = by_setting[setting]
        split = [rt for rt in runtime_order(per_runtime) if len({s.value for s in per_runtime.get(rt, [])}) > 1
                 or pack_says.pins(setting, rt, per_runtime.get(rt, []))]
        for runtime in split:
            group = sorted(per_runtime[runtime], key=lambda s: (s.location, s.consumer))
            preferred = {s.value for s in group if authority(s) and s.value is not None}
            values = [s.value for s in group if s.value is not None]  # all of them: None was left out above
            reference = pack_says.reference(setting, runtime)
            is_canonical = reference is not None and reference in values
            pinned = reference is not None and not is_canonical and setting in pack_says.pinned
            majority = reference if reference is not None and (is_canonical or pinned) else majority_value(
                values, preferred)
            outliers = [s for s in group if s.value != majority and may_be_outlier(s)]
            if not outliers:
                continue
            others = tuple(rt for rt in split if rt != runtime)
            at, shown = pack_says.pinned_at.get(setting, (None, "")) if pinned else (None, "")
            found.append(Disagreement(setting, runtime, majority, outliers[0], tuple(group), others, is_canonical,
                                      pinned, at, shown))
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
    if d.pinned:
        return (f"{d.setting} resolves to {outlier.value} for {outlier.consumer}, but the contract pack pins it to "
                f"{d.majority}{f' at {d.pinned_in}' if d.pinned_in else ''} ({d.runtime} runtime)"
                + (f"; also in: {', '.join(d.also_in)}" if d.also_in else ""))
    text = (f"{d.setting} resolves to {outlier.value} for {outlier.consumer} but to {d.majority} for "
            f"{agreeing} other site{'s' if agreeing != 1 else ''}"
            f"{', the canonical value' if d.canonical else ''} ({d.runtime} runtime)")
    if d.also_in:
        text += f"; also disagrees in: {', '.join(d.also_in)}"
    return text


@record
class ContractAuthority:
    """What the pack says is right: canonical values (which win outright) and the contract
    module (whose sites win ties: that module owns the contract)."""

    module: str | None
    canonical: dict[str, str]  # setting -> canonical value as the deployed host sees it
    deploy_root: str = "/"
    pinned: frozenset[str] = frozenset()  # settings whose canonical value holds even against agreeing sites
    # setting -> (the pack line pinning it when the repository holds the pack, that line as messages name it)
    pinned_at: dict[str, tuple[Location | None, str]] = field(default_factory=dict)

    def __call__(self, site: SiteValue) -> bool:
        return self.module is not None and site.location.path == self.module

    def reference(self, setting: str, runtime: str) -> str | None:
        """The canonical value as sites of ``runtime`` spell it: the start script runs in the
        checkout, so a path under the deploy root is a path under its root anchor there."""
        value = self.canonical.get(setting)
        root = self.deploy_root.rstrip("/")
        scripted = runtime in SCRIPT_RUNTIMES or runtime.startswith(RUNTIME_SCRIPT + ",")  # + counterfactual
        if value is not None and scripted and (value == root or value.startswith(root + "/")):
            return CHECKOUT_ROOT + value[len(root):]
        return value

    def pins(self, setting: str, runtime: str, sites: list[SiteValue]) -> bool:
        """Whether a pinned setting has a site in ``runtime`` that holds another value."""
        reference = self.reference(setting, runtime) if setting in self.pinned else None
        return reference is not None and any(site.value != reference for site in sites)


def contract_authority(ctx) -> ContractAuthority:
    pack = ctx.pack
    canonical = {spec.name: value for spec in pack.settings
                 if (value := canonical_value(spec, pack.deploy_root)) is not None}
    pinned = frozenset(spec.name for spec in pack.settings if spec.pinned)
    in_repo = repository_pack_path(pack.file, ctx.repo.root)
    pinned_at = {spec.name: (Location(in_repo, spec.line, 1) if in_repo else None,
                             f"{in_repo or pack.source}:{spec.line}" if spec.line else "")
                 for spec in pack.settings if spec.pinned}
    return ContractAuthority(pack.contract_module, canonical, pack.deploy_root, pinned, pinned_at)
