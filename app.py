"""Start the newsroom assistant's web app: ``python app.py`` (or ``make run``)."""

from assistant.app.cli import run_server
from assistant.config import Settings

if __name__ == "__main__":
    import logging

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    run_server(Settings())
