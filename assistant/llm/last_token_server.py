"""llama-cpp-python's server, with log-probabilities that cost no more than the last
prompt token's logits.

llama-cpp-python gives log-probabilities only for a model loaded with ``logits_all``, and
with it llama.cpp computes the logits (151,936 of them for Qwen2.5) of every prompt token.
The log-probabilities of a generated token need only the logits of the token before it:
the last one of the prompt, then each generated token in turn, each the last of its batch.
Run as ``python -m assistant.llm.last_token_server --config_file FILE``, this is
llama-cpp-python's own server, except that its models are loaded as
:class:`LastTokenLogits`: ``logits_all`` keeps the library offering log-probabilities, and
each batch asks llama.cpp for its last token's logits only, kept where ``logits_all``
keeps them. A stance judge's question (about 58 new prompt tokens and one answer token)
then takes 0.42 s instead of 0.58 s on 2 cores, with the same probabilities to the last
digit (a scratch comparison over 40 recorded claims and passages). When one token is
streamed, its top log-probabilities are also found without sorting the vocabulary.

What this gives up: the log-probabilities of prompt tokens (``echo`` with ``logprobs``),
which nothing here asks for. They are refused rather than made up.

The library is pinned (pyproject.toml): :meth:`LastTokenLogits.eval` is
``Llama.eval`` of that version with one flag changed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import llama_cpp
import numpy as np


class LastTokenLogits(llama_cpp.Llama):
    """A ``Llama`` whose ``logits_all`` keeps only what generation reads."""

    def eval(self, tokens: Sequence[int]) -> None:
        self._ctx.kv_cache_seq_rm(-1, self.n_tokens, -1)
        for start in range(0, len(tokens), self.n_batch):
            batch = tokens[start : start + self.n_batch]
            n_past = self.n_tokens
            n_tokens = len(batch)
            # Only the batch's last token is marked for logits (set_batch always marks it).
            self._batch.set_batch(batch=batch, n_past=n_past, logits_all=False)
            self._ctx.decode(self._batch)
            self.input_ids[n_past : n_past + n_tokens] = batch
            if self._logits_all:
                # Where logits_all would have put them: the row the library reads for the
                # next token's log-probabilities. The batch's other rows are never read
                # (prompt tokens' own log-probabilities are refused below).
                self.scores[n_past + n_tokens - 1, :] = np.ctypeslib.as_array(
                    self._ctx.get_logits(), shape=(self._n_vocab,)
                )
            self.n_tokens += n_tokens
            self._requires_eval = False

    def create_completion(self, *args: Any, **kwargs: Any) -> Any:
        top = kwargs.get("logprobs")
        if kwargs.get("echo") and top is not None:
            raise ValueError(
                "This server gives the log-probabilities of generated tokens only, "
                "not of the prompt's (echo)."
            )
        if top is None or not kwargs.get("stream") or kwargs.get("max_tokens") != 1:
            return super().create_completion(*args, **kwargs)
        # One streamed token, as the stance judge asks: the library's own log-probabilities
        # sort the whole vocabulary in Python (about 0.09 s); the top ones are found with
        # numpy instead, from the same row and with the library's own log-softmax.
        prompt = kwargs.get("prompt", args[0] if args else "")
        chunks = super().create_completion(*args, **{**kwargs, "logprobs": None})
        return self._with_first_token_logprobs(chunks, int(top), len(prompt))

    def _with_first_token_logprobs(
        self, chunks: Any, top: int, text_offset: int
    ) -> Iterator[dict[str, Any]]:
        for chunk in chunks:
            choice = chunk["choices"][0]
            if choice["text"] and choice.get("logprobs") is None:
                choice["logprobs"] = self._logprobs(choice["text"], top, text_offset)
            yield chunk

    def _logprobs(self, text: str, top: int, text_offset: int) -> dict[str, list[Any]]:
        """The generated token's log-probabilities, as the library lists them: the top
        ``top`` by value (ties: the higher token id first), then the token itself. Its logits
        are the last row evaluated: the prompt's last token's, as only one is generated."""
        logprobs = llama_cpp.Llama.logits_to_logprobs(self.scores[self.n_tokens - 1, :])
        count = min(top, len(logprobs))
        ranked: list[tuple[float, int]] = []
        if count:
            candidates = np.argpartition(-logprobs, count - 1)[:count]
            ranked = sorted(((float(logprobs[i]), int(i)) for i in candidates), reverse=True)
        listed = {
            self.detokenize([i]).decode("utf-8", errors="ignore"): value for value, i in ranked
        }
        # The token generated, by its text (a text that is no single token is left out).
        ids = self.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        own = float(logprobs[ids[0]]) if len(ids) == 1 else None
        if own is not None:
            listed[text] = own
        return {
            "tokens": [text],
            "text_offset": [text_offset],
            "token_logprobs": [own],
            "top_logprobs": [listed],
        }


def main() -> None:
    # llama-cpp-python's server builds every model as `llama_cpp.Llama(...)`, looked up
    # when the model is loaded.
    llama_cpp.Llama = LastTokenLogits  # type: ignore[misc]
    from llama_cpp.server.__main__ import main as serve

    serve()


if __name__ == "__main__":
    main()
