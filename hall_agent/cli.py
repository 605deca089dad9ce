"""`hallq agent` (also installed as `hallq-agent`): run a hall PC's agent until stopped, or pair
it with the code a manager made on the devices page."""

from __future__ import annotations

import os
import signal
import threading
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import click
from dotenv import load_dotenv, set_key

import service_logs

ENV_FILE = Path(".env")  # in the working folder: /etc/hallq-agent under systemd (docs/agent.md)


def _version() -> str:
    try:
        return version("hallq")
    except PackageNotFoundError:
        return ""


def _server(server: str | None) -> str:
    server = server or os.environ.get("HALLQ_AGENT_SERVER")
    if not server or not server.startswith(("http://", "https://")):
        raise click.UsageError("give the server as --server http://HOST:PORT (or HALLQ_AGENT_SERVER in .env)")
    return server


@click.group("agent", invoke_without_command=True)
@click.option(
    "--server",
    envvar="HALLQ_AGENT_SERVER",
    help="The Hallq server, http(s)://HOST[:PORT]; or HALLQ_AGENT_SERVER",
)
@click.option(
    "--token",
    envvar="HALLQ_AGENT_TOKEN",
    help="The agent's device token (from pairing, or hallq token issue --device AGENT_ID); or HALLQ_AGENT_TOKEN",
)
@click.pass_context
def main(context: click.Context, server: str | None, token: str | None) -> None:
    """Drive this PC's printers, keypads and LED line for the server until stopped.

    The server and token may also be in a .env file in the working folder, where
    `hallq agent pair` writes them."""
    load_dotenv(ENV_FILE)  # click read the environment before: take what .env adds
    context.obj = server
    if context.invoked_subcommand is not None:
        return
    from .agent import Agent

    server = _server(server)
    token = token or os.environ.get("HALLQ_AGENT_TOKEN")
    if not token:
        raise click.UsageError(
            "give the agent's device token with --token (or HALLQ_AGENT_TOKEN in .env), "
            "or pair it first: hallq agent pair CODE --server URL"
        )
    try:
        service_logs.configure()
    except service_logs.LogSettingError as exc:
        raise click.UsageError(str(exc)) from exc
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    Agent(server, token, version=_version()).run(stop)


@main.command("pair")
@click.argument("code")
@click.option(
    "--server", "pair_server", help="The Hallq server (or --server before pair, or HALLQ_AGENT_SERVER)"
)
@click.pass_obj
def pair(group_server: str | None, code: str, pair_server: str | None) -> None:
    """Pair this PC's agent with CODE (the devices page's 配对) and keep its token in ./.env."""
    from .server_api import Refused, ServerApi, Unreachable

    server = _server(pair_server or group_server)
    try:
        paired = ServerApi(server, "").post("/pair", {"code": code.strip(), "sent_by": "agent"})
    except Refused as exc:
        raise click.ClickException(f"the server refused the code: {exc}") from exc
    except Unreachable as exc:
        raise click.ClickException(f"cannot reach the server: {exc}") from exc
    ENV_FILE.touch(mode=0o600, exist_ok=True)
    set_key(ENV_FILE, "HALLQ_AGENT_SERVER", server, quote_mode="never")
    set_key(ENV_FILE, "HALLQ_AGENT_TOKEN", paired["token"], quote_mode="never")
    click.echo(
        f"paired as agent {paired['device']}: its token is in {ENV_FILE.resolve()}; now run hallq agent"
    )
