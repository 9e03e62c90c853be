"""The web app's login (ASSISTANT_AUTH) and the warning for an open, unprotected address."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import click
import pytest

from assistant.app import compose as runtime
from assistant.app.cli import run_server
from assistant.config import Settings, is_loopback, parse_auth
from assistant.errors import ConfigError


def test_unset_or_blank_means_no_login() -> None:
    assert parse_auth(None) is None
    assert parse_auth("") is None
    assert parse_auth("   ") is None


def test_user_and_password() -> None:
    assert parse_auth("editor:s3cret") == ("editor", "s3cret")


def test_only_the_first_colon_separates_user_from_password() -> None:
    assert parse_auth("editor:a:b:c") == ("editor", "a:b:c")


@pytest.mark.parametrize("value", ["editor", "editor:", ":s3cret", " :s3cret"])
def test_a_malformed_value_is_an_error_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match="ASSISTANT_AUTH") as info:
        parse_auth(value)
    assert "s3cret" not in str(info.value)  # the message never repeats a password


def test_the_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_AUTH", "editor:s3cret")
    assert Settings(_env_file=None).auth == "editor:s3cret"  # type: ignore[call-arg]


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "newsroom.example.org"])
def test_other_hosts(host: str) -> None:
    assert not is_loopback(host)


class _Stop(Exception):
    """Raised instead of building the services: the test only needs what comes before."""


@pytest.fixture
def no_services(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def stop(*_: object, **__: object) -> None:
        raise _Stop

    monkeypatch.setattr(runtime, "build_services", stop)
    previous = signal.getsignal(signal.SIGTERM)  # run_server installs its own handler
    yield
    signal.signal(signal.SIGTERM, previous)


def _settings(**updates: object) -> Settings:
    return Settings(_env_file=None).model_copy(update=updates)  # type: ignore[call-arg]


def test_run_server_refuses_a_malformed_login(no_services: None) -> None:
    with pytest.raises(click.ClickException, match="ASSISTANT_AUTH"):
        run_server(_settings(auth="no-colon-here"))


def test_run_server_warns_when_open_without_login(
    no_services: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(_Stop):
        run_server(_settings(host="0.0.0.0", auth=None))
    err = capsys.readouterr().err
    assert "without a login" in err and "ASSISTANT_AUTH" in err


@pytest.mark.parametrize(("host", "auth"), [("127.0.0.1", None), ("0.0.0.0", "editor:s3cret")])
def test_no_warning_on_loopback_or_with_login(
    no_services: None, capsys: pytest.CaptureFixture[str], host: str, auth: str | None
) -> None:
    with pytest.raises(_Stop):
        run_server(_settings(host=host, auth=auth))
    assert "without a login" not in capsys.readouterr().err


def test_several_logins_are_separated_by_commas() -> None:
    from assistant.config import parse_logins

    assert parse_logins(None) == []
    assert parse_logins("editor:s3cret") == [("editor", "s3cret")]
    assert parse_logins("ann:pw1, bob:pw:2") == [("ann", "pw1"), ("bob", "pw:2")]
    # A part that is no login means the comma belongs to one password.
    assert parse_logins("editor:pa,ss") == [("editor", "pa,ss")]
