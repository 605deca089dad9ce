"""`hallq agent` (also installed as `hallq-agent`): run a hall PC's agent until stopped."""

from __future__ import annotations

import logging
import os
import signal
import threading
from importlib.metadata import PackageNotFoundError, version

import click
from dotenv import load_dotenv


def _version() -> str:
    try:
        return version("hallq")
    except PackageNotFoundError:
        return ""


@click.command("agent")
@click.option(
    "--server",
    envvar="HALLQ_AGENT_SERVER",
    help="The Hallq server, http(s)://HOST[:PORT]; or HALLQ_AGENT_SERVER",
)
@click.option(
    "--token",
    envvar="HALLQ_AGENT_TOKEN",
    help="The agent's device token (hallq token issue --device AGENT_ID); or HALLQ_AGENT_TOKEN",
)
def main(server: str | None, token: str | None) -> None:
    """Drive this PC's printers, keypads and LED line for the server until stopped.

    The server and token may also be in a .env file in the working folder."""
    from .agent import Agent

    load_dotenv(".env")  # click read the environment before: take what .env adds
    server = server or os.environ.get("HALLQ_AGENT_SERVER")
    token = token or os.environ.get("HALLQ_AGENT_TOKEN")
    if not server or not server.startswith(("http://", "https://")):
        raise click.UsageError("give the server as --server http://HOST:PORT (or HALLQ_AGENT_SERVER in .env)")
    if not token:
        raise click.UsageError("give the agent's device token with --token (or HALLQ_AGENT_TOKEN in .env)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", force=True)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    Agent(server, token, version=_version()).run(stop)
