"""Which site of a split setting is the outlier."""

from __future__ import annotations

from meslint.agreement import ContractAuthority, disagreements
from meslint.facts import Location
from meslint.resolve import RUNTIME_SCRIPT, RUNTIME_SYSTEMD, SiteValue
from meslint.template import CHECKOUT_ROOT


def _site(value: str, path: str) -> SiteValue:
    return SiteValue("BIND", RUNTIME_SYSTEMD, path, "unit-exec", value, value, Location(path))


def test_one_to_one_without_canonical_falls_back_to_string_order() -> None:
    [d] = disagreements([_site("0.0.0.0:8080", "a.service"), _site("0.0.0.0:7000", "b.py")])
    assert d.outlier.location.path == "a.service" and not d.canonical


def test_canonical_decides_a_one_to_one_split() -> None:
    authority = ContractAuthority(None, {"BIND": "0.0.0.0:8080"})
    [d] = disagreements([_site("0.0.0.0:8080", "a.service"), _site("0.0.0.0:7000", "b.py")], authority=authority)
    assert d.outlier.location.path == "b.py" and d.majority == "0.0.0.0:8080" and d.canonical


def test_site_holding_the_canonical_value_is_never_the_outlier_even_outvoted() -> None:
    authority = ContractAuthority(None, {"BIND": "0.0.0.0:8080"})
    sites = [_site("0.0.0.0:8080", "a.service"), _site("0.0.0.0:7000", "b.py"), _site("0.0.0.0:7000", "c.py")]
    [d] = disagreements(sites, authority=authority)
    assert d.outlier.location.path == "b.py"


def test_canonical_held_by_no_site_leaves_the_vote_to_the_sites() -> None:
    authority = ContractAuthority("b.py", {"BIND": "0.0.0.0:9999"})
    [d] = disagreements([_site("0.0.0.0:8080", "a.service"), _site("0.0.0.0:7000", "b.py")], authority=authority)
    assert d.outlier.location.path == "a.service" and not d.canonical  # the contract module wins the tie


def test_canonical_path_under_the_deploy_root_is_the_checkout_path_for_the_start_script() -> None:
    authority = ContractAuthority(None, {"PID": "/opt/app/run/app.pid"}, "/opt/app")
    sites = [SiteValue("PID", RUNTIME_SCRIPT, s, "script", v, v, Location(s))
             for s, v in (("a.sh", f"{CHECKOUT_ROOT}/run/app.pid"), ("b.py", f"{CHECKOUT_ROOT}/run/0.pid"))]
    [d] = disagreements(sites, authority=authority)
    assert d.outlier.location.path == "b.py" and d.canonical
