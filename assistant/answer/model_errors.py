"""Turn the model client's many exceptions into one domain error with a useful message."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import openai

from assistant.errors import ModelUnavailableError


@contextmanager
def model_errors() -> Iterator[None]:
    try:
        yield
    except openai.APITimeoutError as exc:
        raise ModelUnavailableError(
            "The model server took too long to answer (ASSISTANT_REQUEST_TIMEOUT). "
            "Try again, or ask a shorter question."
        ) from exc
    except openai.APIConnectionError as exc:
        raise ModelUnavailableError(
            "The model server cannot be reached: it may have stopped. Try again in a "
            "moment (the app restarts its embedded server by itself)."
        ) from exc
    except openai.APIStatusError as exc:
        raise ModelUnavailableError(
            f"The model server answered with an error ({exc.status_code}): {str(exc.message)[:200]}"
        ) from exc
    except httpx.HTTPError as exc:
        raise ModelUnavailableError(f"The model server failed: {exc}") from exc
