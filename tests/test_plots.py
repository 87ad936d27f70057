"""Notebook plots: heatmap of drops per host and time bin, event strip, Analysis methods."""

from __future__ import annotations

import json
from collections.abc import Iterator

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

import conntrack_forensics as cf  # noqa: E402
from conntrack_forensics import plots  # noqa: E402
from tests.conftest import ROOT, SAMPLES  # noqa: E402

SCENARIOS = ROOT / "tests" / "scenarios"
FLEET = [SCENARIOS / "two-hosts-two-zones", SAMPLES / "k8s-node-capacity",
         SAMPLES / "sosreport-web1"]


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def seed() -> cf.Analysis:
    return cf.analyze(SAMPLES / "bogon-nat-listing")


@pytest.fixture(scope="module")
def fleet() -> cf.Analysis:
    return cf.analyze(FLEET)


def _mesh_total(ax: Axes) -> int:
    (mesh,) = ax.collections
    return int(np.ma.filled(mesh.get_array(), 0).sum())


# ----------------------------------------------------------------------------- heatmap


@pytest.mark.parametrize("case", [
    "dmesg-and-messages",  # the same 210 drops in dmesg, messages and kern.log
    "copies-across-second-boundary",  # journal and kern.log copies a second apart
    "two-hosts-two-zones",
    "year-rollover-rotated",
])
def test_bins_hold_the_drops_counted_by_hand(case: str) -> None:
    """The heatmap's bins add up, host by host, to the drops counted by hand from the lines
    (each scenario's ``expected.json``), however many sources hold each line."""
    expected = json.loads((SCENARIOS / case / "expected.json").read_text())
    args = expected["args"]
    analysis = cf.analyze(SCENARIOS / case, tz=args["tz"], year=args["year"], gap=args["gap"])
    by_host: dict[str, int] = {}
    for inc in expected["incidents"]:
        by_host[inc["host"]] = by_host.get(inc["host"], 0) + inc["drops_logged"]
    matrix = plots.drops_per_bin(analysis, "1min")
    assert {h: int(matrix.loc[h].sum()) for h in by_host} == by_host
    assert int(matrix.to_numpy().sum()) == sum(by_host.values())
    ax = cf.plot_host_heatmap(analysis, "1min")
    assert _mesh_total(ax) == sum(by_host.values())


def test_heatmap_has_one_row_per_host(fleet) -> None:
    ax = cf.plot_host_heatmap(fleet, "1D")
    assert isinstance(ax, Axes)
    assert [t.get_text() for t in ax.get_yticklabels()] == fleet.hosts
    (mesh,) = ax.collections
    assert mesh.get_array().shape[0] == len(fleet.hosts) == 4
    assert _mesh_total(ax) == sum(i.drops_logged for i in fleet.incidents) == 2362
    assert ax.get_title() == "conntrack drops logged per 1D"
    assert ax.get_xlabel() == "time (UTC)"
    assert ax.get_ylabel() == "host"


def test_heatmap_bins_per_host_and_minute(fleet) -> None:
    window = fleet.fleet[0]
    matrix = plots.drops_per_bin(fleet, "1min", start=window.start.floor("min"),
                                 end=window.end.ceil("min"))
    assert list(matrix.index) == fleet.hosts
    assert list(matrix.columns) == list(pd.date_range("2024-02-21T06:07Z", periods=2,
                                                      freq="1min"))
    assert int(matrix.loc[["gw1", "web2"]].to_numpy().sum()) == window.drops_logged == 380
    assert int(matrix.loc[["k8s-node-3", "web1"]].to_numpy().sum()) == 0


def test_heatmap_on_an_explicit_axis_and_frame(seed) -> None:
    fig, (top, bottom) = plt.subplots(2, sharex=True)
    assert cf.plot_host_heatmap(seed.events, "10s", ax=top, colorbar=False) is top
    assert cf.plot_drops(seed.incidents, ax=bottom) is bottom
    assert top.figure is fig
    assert _mesh_total(top) == seed.incidents[0].drops_logged == 658


def test_heatmap_log_scale_and_start_end_as_text(seed) -> None:
    ax = cf.plot_host_heatmap(seed, "1min", start="2017-04-26 16:03", end="2017-04-26T16:05Z",
                              log=True)
    (mesh,) = ax.collections
    assert mesh.get_array().shape == (1, 2)
    assert type(mesh.norm).__name__ == "LogNorm"


def test_heatmap_without_drops_still_lists_the_hosts() -> None:
    analysis = cf.analyze(SCENARIOS / "expectation-full-only")
    assert analysis.incidents == []
    ax = cf.plot_host_heatmap(analysis)
    assert not ax.collections
    assert [t.get_text() for t in ax.get_yticklabels()] == analysis.hosts


def test_heatmap_refuses_too_many_bins_and_bad_freq(fleet) -> None:
    with pytest.raises(ValueError, match="coarser freq"):
        cf.plot_host_heatmap(fleet, "1min")
    with pytest.raises(ValueError, match="fixed positive duration"):
        plots.drops_per_bin(fleet, "1M")
    with pytest.raises(TypeError, match="events DataFrame"):
        plots.drops_per_bin([1, 2, 3])


# --------------------------------------------------------------------------- event strip


def test_event_strip_rows_ticks_and_colours(seed) -> None:
    ax = cf.plot_event_strip(seed, host="bogon")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["boot", "shutdown", "login", "command", "module_load", "conntrack_drop",
                      "ratelimit_suppressed"]
    assert ax.get_title() == "events on bogon"
    assert ax.get_ylabel() == "kind"
    assert ax.get_xlabel() == "time (UTC)"
    rows = dict(zip(labels, ax.collections, strict=True))
    ev = seed.events
    for kind, collection in rows.items():
        assert len(collection.get_positions()) == int((ev["kind"] == kind).sum()), kind
        assert to_hex(np.atleast_2d(collection.get_color())[0]) == plots.KIND_COLORS[kind]


def test_event_strip_given_kinds_and_window(seed) -> None:
    inc = seed.incidents[0]
    fig, ax = plt.subplots()
    out = cf.plot_event_strip(seed.events, kinds=["command", "snapshot", "conntrack_drop"],
                              ax=ax, start=inc.start, end=inc.end + pd.Timedelta(seconds=1))
    assert out is ax
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["command", "snapshot", "conntrack_drop"]
    command, snapshot, drops = ax.collections
    assert len(snapshot.get_positions()) == 0
    assert len(drops.get_positions()) == int((seed.events["kind"] == "conntrack_drop").sum())


def test_event_strip_of_several_hosts_and_unknown_kind(fleet) -> None:
    assert cf.plot_event_strip(fleet).get_title() == "events on 4 hosts"
    with pytest.raises(ValueError, match="unknown event kind"):
        cf.plot_event_strip(fleet, kinds=["drops"])


def test_every_kind_has_a_colour() -> None:
    assert set(plots.KIND_COLORS) == {k.value for k in cf.Kind}
    assert len(set(plots.KIND_COLORS.values())) == len(plots.KIND_COLORS)


# ------------------------------------------------------------------- Analysis and docs


def test_analysis_methods_delegate(seed) -> None:
    ax = seed.plot_heatmap("30s")
    assert ax.get_title() == "conntrack drops logged per 30s"
    assert _mesh_total(ax) == 658
    ax = seed.plot_events(kinds=["module_load"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["module_load"]
    assert len(ax.collections[0].get_positions()) == 2
    assert isinstance(seed.plot(), Axes)


def test_plots_never_show(seed, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("plt.show called")

    monkeypatch.setattr(plt, "show", refuse)
    seed.plot_heatmap()
    seed.plot_events()
    seed.plot()
