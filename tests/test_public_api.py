from __future__ import annotations

import conntrack_forensics as cf


def test_all_is_sorted_and_complete() -> None:
    def group(name: str) -> int:  # CONSTANTS, then Classes, then functions (isort style)
        return 0 if name.isupper() else 1 if name[0].isupper() else 2

    assert cf.__all__ == sorted(cf.__all__, key=lambda n: (group(n), n))
    for name in cf.__all__:
        assert hasattr(cf, name), name


def test_exported_members_are_pinned() -> None:
    assert set(cf.__all__) == {
        "EVENT_COLUMNS", "SCHEMA", "Analysis", "Candidate", "ConntrackForensicsError",
        "Diagnostics", "Incident", "InputNotFoundError", "InputSummary", "Kind", "Limits",
        "LoadResult",
        "ModuleLoad", "Recommendation", "Recovery", "ReportError", "Settings", "TimeQuality",
        "TimelineEntry", "UsageError", "__version__", "analyze", "correlate", "formats", "load",
        "plot_drops", "plot_event_strip", "plot_host_heatmap", "read_timeline",
    }


def test_event_columns_start_with_the_contract() -> None:
    assert cf.EVENT_COLUMNS[:12] == ("time", "host", "kind", "message", "source", "line",
                                     "format", "program", "pid", "user", "count",
                                     "time_quality")


def test_exceptions_share_one_root() -> None:
    for exc in (cf.UsageError, cf.InputNotFoundError, cf.ReportError):
        assert issubclass(exc, cf.ConntrackForensicsError)


def test_every_format_is_documented() -> None:
    from tests.conftest import ROOT

    text = (ROOT / "docs" / "reference.md").read_text()
    for name, _description in cf.formats():
        assert f"| `{name}` |" in text, name
