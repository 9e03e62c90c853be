"""``assistant loadtest`` with a few sessions: the real app, a scripted model, no cross-talk."""

from __future__ import annotations

from click.testing import CliRunner

from devtools.loadtest import Session, judge, run_loadtest, run_loadtests

CHATS_AT_ONCE = 4  # the README's promise: "the app answers 4 chats at a time; the rest queue"


def test_judge_flags_missing_and_foreign_markers() -> None:
    sessions = [
        Session("mk1", "q", output="Answer for q mk1 [1]."),
        Session("mk2", "q", output="Answer for q mk1 [1]."),  # someone else's answer
        Session("mk3", "q", output="Answer for q mk3 and mk1 [1]."),  # mixed
        Session("mk4", "q", error="boom"),
    ]
    judge(sessions)
    assert [s.cross_talk for s in sessions] == [False, True, True, False]


def test_five_simultaneous_sessions_get_their_own_answers() -> None:
    # The model holds its answers until CHATS_AT_ONCE requests are in flight: the app
    # serves that many chats together, and the fifth waits in the queue.
    result = run_loadtest(sessions=5, timeout=60, gather=CHATS_AT_ONCE)
    assert result.model_peak_concurrency == CHATS_AT_ONCE, "chats not served 4 at a time"
    assert result.errors == 0, [s.error for s in result.details]
    assert result.cross_talk == 0, [s.output[:200] for s in result.details]
    assert result.completed == 5 and result.ok
    assert result.model_requests >= 5  # every answer came from the model, not a fallback
    for s in result.details:
        # The scripted words, as shown once citations are checked against the passages.
        question, marker = s.question.split("? ")
        assert s.output.startswith(f"Answer for {question} ")
        assert f"{marker} " in s.output.split("**Sources**")[0]
        assert "**Sources**" in s.output and "Answered by" in s.output
    # The figures are the sessions' own latencies, and the queued session waited for a slot.
    latencies = sorted(s.latency for s in result.details)
    assert result.p95 == latencies[-1] > latencies[0]


def test_cli_refuses_too_many_sessions() -> None:
    from assistant.app.cli import main

    outcome = CliRunner().invoke(main, ["loadtest", "--sessions", "1000"])
    assert outcome.exit_code == 2 and "1000" in outcome.output


def test_cli_exits_non_zero_on_errors_or_cross_talk(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import devtools.loadtest as loadtest
    from assistant.app.cli import main

    failed = loadtest.LoadtestResult(
        sessions=2, completed=1, errors=1, cross_talk=1, p50=1.0, p95=1.0, wall=1.0
    )
    monkeypatch.setattr(loadtest, "run_loadtests", lambda *a, **k: [failed])
    outcome = CliRunner().invoke(main, ["loadtest", "--sessions", "2", "--json"])
    assert outcome.exit_code == 1
    assert '"cross_talk": 1' in outcome.output and '"ok": false' in outcome.output


def test_sessions_through_the_api_get_their_own_checked_answers() -> None:
    page, api = run_loadtests(sessions=4, timeout=60, through=("page", "api"))
    assert (page.through, api.through) == ("page", "api")
    assert api.ok and api.errors == 0 and api.cross_talk == 0, [s.error for s in api.details]
    assert api.model_requests >= 4
    for s in api.details:
        question, marker = s.question.split("? ")
        # The text the API streamed: the scripted words, citations checked, no page markup.
        assert s.output.startswith(f"Answer for {question} ") and f"{marker} " in s.output
        assert "**Sources**" not in s.output and "Answered by" not in s.output
