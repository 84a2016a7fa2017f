"""The deployment files: docker-compose.yml, deploy/compose.replicas.yml and the Caddyfile.

No Docker engine runs where this suite is built, so nothing here starts a container. What is
checked: the files' structure (read with PyYAML, always), `docker compose config` (Compose's
own validation, interpolation and profiles) when a Compose v2 is installed, and the Caddyfile
with a real Caddy when one is installed (`caddy validate`, and its routes in front of a stand-in
for the bot)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp import web

from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
REQUIRED_DATABASE_URL = re.compile(r"^\$\{DATABASE_URL:\?[^}]+\}$")


def _load(path: str) -> dict[str, Any]:
    data = yaml.safe_load((ROOT / path).read_text())
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("path", ["docker-compose.yml", "deploy/compose.replicas.yml"])
def test_the_bot_reads_the_platforms_database_by_default(path: str) -> None:
    services = _load(path)["services"]
    bot = services["bot"]
    assert "profiles" not in bot
    # DATABASE_URL comes from .env and nowhere else: no address of a database of the file's own
    assert REQUIRED_DATABASE_URL.match(bot["environment"]["DATABASE_URL"]), bot["environment"]
    # the bundled PostgreSQL only for trying it out, and the bot does not need it otherwise
    assert services["postgres"]["profiles"] == ["bundled-db"]
    assert bot["depends_on"]["postgres"]["required"] is False
    defaults = {name for name, service in services.items() if "profiles" not in service}
    assert "postgres" not in defaults


def test_https_for_the_webhook_is_a_profile_with_caddy() -> None:
    services = _load("docker-compose.yml")["services"]
    caddy = services["caddy"]
    assert caddy["profiles"] == ["tls"]
    assert {"80:80", "443:443"} <= set(caddy["ports"])
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    # a required variable would stop every profile, so DOMAIN is checked when Caddy starts
    assert caddy["environment"]["DOMAIN"] == "${DOMAIN:-}"
    assert 'test -n "$$DOMAIN"' in caddy["command"][-1]
    assert caddy["environment"]["WEBHOOK_PATH"] == \
        "${WEBHOOK_PATH:-" + Settings.model_fields["webhook_path"].default + "}"
    # the bot's own port (metrics, health) stays on the host
    assert services["bot"]["ports"] == ["127.0.0.1:8080:8080"]
    caddyfile = (ROOT / "Caddyfile").read_text()
    assert "{$DOMAIN}" in caddyfile and "reverse_proxy bot:8080" in caddyfile


def test_env_example_names_what_a_deploy_needs() -> None:
    text = (ROOT / ".env.example").read_text()
    for name in ("BOT_TOKEN", "BROADCAST_BOT_TOKEN", "ADMIN_IDS", "DATABASE_URL", "DOMAIN",
                 "WEBHOOK_BASE_URL"):
        assert re.search(rf"^#? ?{name}=", text, re.M), name


# -- Compose's own validation, where a Compose v2 is installed ----------------------------------

def _compose_command() -> list[str] | None:
    for command in (["docker", "compose"], ["docker-compose"]):
        if not shutil.which(command[0]):
            continue
        done = subprocess.run([*command, "version", "--short"], capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.strip().lstrip("v").startswith("2."):
            return command
    return None


COMPOSE = _compose_command()
needs_compose = pytest.mark.skipif(COMPOSE is None, reason="no Docker Compose v2 installed")


def _project(tmp_path: Path, env: str) -> Path:
    """A copy of the deployment files with an .env of our own (Compose reads .env)."""
    for name in ("docker-compose.yml", "Caddyfile", "deploy/compose.replicas.yml",
                 "deploy/nginx.conf"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / ".env").write_text(env)
    return tmp_path


def _config(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert COMPOSE is not None
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("DATABASE_URL", "DOMAIN", "POSTGRES_PASSWORD", "WEBHOOK_PATH")}
    return subprocess.run([*COMPOSE, *args, "config", "--format", "json"], cwd=project,
                          capture_output=True, text=True, env=environment)


ENV = "BOT_TOKEN=1:x\nADMIN_IDS=1\n"
PLATFORM = "DATABASE_URL=postgresql://bot:secret@db.example.org:5432/platform\n"


@needs_compose
@pytest.mark.parametrize("files", [[], ["--env-file", ".env", "-f", "deploy/compose.replicas.yml"]])
def test_compose_refuses_to_start_without_the_platforms_database(tmp_path: Path,
                                                                 files: list[str]) -> None:
    done = _config(_project(tmp_path, ENV), *files)
    assert done.returncode != 0
    assert "set DATABASE_URL in .env to the platform's database" in done.stderr


@needs_compose
def test_compose_profiles(tmp_path: Path) -> None:
    import json
    project = _project(tmp_path, ENV + PLATFORM + "DOMAIN=bot.example.org\n")

    def services(*args: str) -> dict[str, Any]:
        done = _config(project, *args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)["services"]  # type: ignore[no-any-return]

    default = services()
    assert set(default) == {"bot"}
    assert default["bot"]["environment"]["DATABASE_URL"] == PLATFORM.split("=", 1)[1].strip()
    assert set(services("--profile", "bundled-db")) == {"bot", "postgres"}
    tls = services("--profile", "tls")
    assert set(tls) == {"bot", "caddy"}
    assert tls["caddy"]["environment"] == {"DOMAIN": "bot.example.org",
                                           "WEBHOOK_PATH": "/telegram/webhook"}
    replicas = services("--env-file", ".env", "-f", "deploy/compose.replicas.yml")
    assert set(replicas) == {"bot", "redis", "proxy"}
    assert replicas["bot"]["environment"]["DATABASE_URL"] == PLATFORM.split("=", 1)[1].strip()
    assert set(services("--env-file", ".env", "-f", "deploy/compose.replicas.yml",
                        "--profile", "bundled-db")) == {"bot", "redis", "proxy", "postgres"}


# -- the Caddyfile with a real Caddy, where one is installed -------------------------------------

needs_caddy = pytest.mark.skipif(shutil.which("caddy") is None, reason="no caddy installed")


def _caddy_env(tmp_path: Path, **env: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
            "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
            **env}


@needs_caddy
def test_the_caddyfile_is_valid(tmp_path: Path) -> None:
    done = subprocess.run(["caddy", "validate", "--adapter", "caddyfile", "--config",
                           str(ROOT / "Caddyfile")], capture_output=True, text=True,
                          env=_caddy_env(tmp_path, DOMAIN="bot.example.org"))
    assert done.returncode == 0, done.stderr
    assert "Valid configuration" in done.stdout + done.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@needs_caddy
async def test_caddy_passes_on_only_the_webhook_and_tracked_links(tmp_path: Path) -> None:
    """The Caddyfile's routes, with the certificate left out: DOMAIN as a plain http address on
    this machine and the stand-in bot instead of bot:8080."""
    seen: list[str] = []

    async def bot(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.Response(text="bot")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", bot)
    runner = web.AppRunner(app)
    await runner.setup()
    upstream = _free_port()
    await web.TCPSite(runner, "127.0.0.1", upstream).start()
    port = _free_port()
    config = tmp_path / "Caddyfile"
    config.write_text("{\n\tadmin off\n}\n" + (ROOT / "Caddyfile").read_text()
                      .replace("bot:8080", f"127.0.0.1:{upstream}"))
    caddy = await asyncio.create_subprocess_exec(
        "caddy", "run", "--adapter", "caddyfile", "--config", str(config),
        env=_caddy_env(tmp_path, DOMAIN=f"http://127.0.0.1:{port}", WEBHOOK_PATH="/hook/s3cret"),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
            for _ in range(100):
                try:
                    async with http.get("/"):
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            statuses = {}
            for method, path in (("POST", "/hook/s3cret"), ("GET", "/r/AbC123"),
                                 ("GET", "/u/AbC123"), ("GET", "/metrics"), ("GET", "/healthz"),
                                 ("POST", "/telegram/webhook")):
                async with http.request(method, path) as response:
                    statuses[path] = response.status
    finally:
        caddy.terminate()
        await caddy.wait()
        await runner.cleanup()
    assert statuses == {"/hook/s3cret": 200, "/r/AbC123": 200, "/u/AbC123": 200,
                        "/metrics": 404, "/healthz": 404, "/telegram/webhook": 404}
    assert seen == ["/hook/s3cret", "/r/AbC123", "/u/AbC123"]
