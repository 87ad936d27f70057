"""Evidence text in charts is shown as it is, never parsed as matplotlib math text.

A command such as ``awk '{print $2_$}'`` or a host name with two dollar signs made
matplotlib's math-text parser raise, and the run wrote no report at all.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import conntrack_forensics as cf  # noqa: E402
from conntrack_forensics import plots  # noqa: E402
from tests.conftest import SAMPLES  # noqa: E402

COMMAND = r"iptables -t nat -L $2_$ $\frac{1}{0}$\\"
HOST = "bo$g_$on"
MESSAGE = r"note: $\frac{1}{0}$ and $2_$ \\"


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def analysis(tmp_path_factory: pytest.TempPathFactory) -> cf.Analysis:
    """The bogon sample, its trigger command, host name and a message full of dollars."""
    root = tmp_path_factory.mktemp("math") / "bogon"
    shutil.copytree(SAMPLES / "bogon-nat-listing", root)
    hist = root / "root" / ".bash_history"
    hist.write_text(hist.read_text().replace("iptables -t nat -L\n", COMMAND + "\n"))
    for p in [*root.glob("var/log/*"), root / "etc" / "sysconfig" / "network"]:
        p.write_text(p.read_text().replace("bogon", HOST))
    messages = root / "var" / "log" / "messages"
    messages.write_text(messages.read_text()
                        + f"Apr 27 00:03:30 {HOST} logger: {MESSAGE}\n")
    return cf.analyze(root)


def test_evidence_is_as_given(analysis: cf.Analysis) -> None:
    (inc,) = analysis.incidents
    assert inc.host == HOST and inc.trigger is not None and inc.trigger.command == COMMAND


def test_html_chart_shows_the_literal_text(analysis: cf.Analysis) -> None:
    html = analysis.to_html()
    assert f"trigger: {COMMAND} (" in html  # the chart's legend, as typed
    assert f"{HOST}: conntrack drops logged per second" in html  # the chart's title
    assert analysis.to_markdown()


def test_notebook_plots_show_the_literal_text(analysis: cf.Analysis) -> None:
    ax = plots.plot_host_heatmap(analysis, "1min")
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_yticklabels()] == [HOST]
    assert all(not t.get_parse_math() for t in ax.get_yticklabels())
    ax = plots.plot_event_strip(analysis, host=HOST)
    ax.figure.canvas.draw()
    assert ax.get_title() == f"events on {HOST}" and not ax.title.get_parse_math()
    ax = plots.plot_drops(analysis.incidents * 2)
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [analysis.incidents[0].id] * 2
