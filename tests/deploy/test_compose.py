"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

The compose files are validated against the compose specification's JSON schema (offline), and
every command a service runs is parsed by our own CLI's argument parser, so a renamed subcommand or
flag breaks this test rather than a deployment.
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from league.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILES = ["docker-compose.yml", "docker-compose.postgres.yml", "docker-compose.scale.yml"]
WORKERS = ("trainer", "match-worker")


def _load(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text())


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?message}` (nested defaults too)."""
    pattern = re.compile(r"\$\{(\w+)(?:(:?[-?])((?:[^${}]|\$\{[^{}]*\})*))?\}")
    previous = None
    while previous != value:
        previous = value

        def replace(match: re.Match) -> str:
            name, operator, default = match.group(1), match.group(2), match.group(3) or ""
            if env.get(name):
                return env[name]
            if operator and operator.endswith("?"):
                raise AssertionError(f"${{{name}}} is required: {default}")
            return default

        value = pattern.sub(replace, value)
    return value


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_file_matches_the_compose_specification(name):
    checker = Path(sys.executable).with_name("check-jsonschema")
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(ROOT / name)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_interpolation_helper_understands_nested_defaults():
    assert interpolate("${A:-${B:-x}}", {}) == "x"
    assert interpolate("${A:-${B:-x}}", {"B": "b"}) == "b"
    assert interpolate("${A:-${B:-x}}", {"A": "a"}) == "a"
    with pytest.raises(AssertionError, match="required"):
        interpolate("${A:?required}", {})


def test_services_and_their_order():
    services = _load("docker-compose.yml")["services"]
    assert set(services) == {"migrate", "api", "trainer", "match-worker", "gateway"}
    assert services["gateway"]["depends_on"]["api"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "healthcheck" in services["api"] and "/api/health" in " ".join(services["api"]["healthcheck"]["test"])
    for worker in WORKERS:
        assert services[worker]["depends_on"]["api"]["condition"] == "service_healthy"


def test_workers_can_be_scaled():
    services = _load("docker-compose.yml")["services"]
    for worker in WORKERS:
        assert "container_name" not in services[worker], f"{worker} has a container_name: cannot scale"
        assert "ports" not in services[worker], f"{worker} publishes a port: cannot scale"
    replicas = interpolate(str(services["match-worker"]["deploy"]["replicas"]), {})
    assert int(replicas) >= 2


def test_the_trainer_resumes_after_a_restart_and_saves_on_stop():
    trainer = _load("docker-compose.yml")["services"]["trainer"]
    runs = league_commands([interpolate(str(p), {}) for p in trainer["command"]])
    assert any("--resume" in argv for argv in runs) and any("--preset" in argv for argv in runs)
    assert trainer["stop_signal"] == "SIGINT"


def test_only_the_api_owns_the_sqlite_volume():
    services = _load("docker-compose.yml")["services"]
    owners = {name for name, svc in services.items() if any("league-data" in v for v in svc.get("volumes", []))}
    assert owners == {"migrate", "api"}


def test_every_worker_makes_a_token_of_its_own_and_drops_the_admin_token():
    compose_text = (ROOT / "docker-compose.yml").read_text()
    services = _load("docker-compose.yml")["services"]
    for worker in WORKERS:
        script = services[worker]["command"][2]
        assert "--token" not in script and "lg_" not in script
        made = script.index("league token create --server http://api:8000")
        assert "--replace" in script[made:] and made < script.index("unset LEAGUE_ADMIN_TOKEN") < script.index("exec league")
        inner = shlex.split(script[made:].split(")\" ||", 1)[0])
        parser = argparse.ArgumentParser(exit_on_error=False)
        COMMANDS["token"][0].configure(parser)
        parsed = parser.parse_args(inner[2:])
        assert parsed.server and parsed.replace and parsed.role == ("trainer" if worker == "trainer" else "worker")
        assert set(services[worker]["environment"]) == {"LEAGUE_ADMIN_TOKEN"}
    assert "$$(hostname)" in services["match-worker"]["command"][2]  # one token per replica
    # the admin token is required and has no weak default (the server refuses a weak one)
    assert "change-this-admin-token" not in compose_text and "${LEAGUE_ADMIN_TOKEN:?" in compose_text


def league_commands(command: list[str]) -> list[list[str]]:
    """The `league ...` command lines a service runs: its command, or each one in an `sh -c` script."""
    if command[:2] != ["sh", "-c"]:
        return [command]
    lexer = shlex.shlex(command[2], posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    tokens, found = list(lexer), []
    for i, token in enumerate(tokens):
        if token == "league":
            end = next((j for j in range(i, len(tokens)) if tokens[j] in {";", "&&", "||", "fi"}), len(tokens))
            found.append(tokens[i:end])
    return found


def _commands():
    for name in COMPOSE_FILES:
        for service, spec in (_load(name).get("services") or {}).items():
            if "command" in spec:
                command = [interpolate(str(part), {}) for part in spec["command"]]
                for argv in league_commands(command):
                    yield name, service, argv


def test_sh_scripts_are_split_into_their_league_commands():
    script = "if [ -f x ]; then exec league train --resume x; else exec league train --run-dir 'a b'; fi"
    assert league_commands(["sh", "-c", script]) == [["league", "train", "--resume", "x"],
                                                      ["league", "train", "--run-dir", "a b"]]


@pytest.mark.parametrize(
    "file,service,argv", list(_commands()), ids=[f"{f}:{s}:{' '.join(a[1:3])}" for f, s, a in _commands()]
)
def test_every_compose_command_exists_in_our_cli(file, service, argv):
    assert argv[0] == "league", f"{file}:{service} runs {argv[0]!r}, not our CLI"
    assert argv[1] in COMMANDS, f"{file}:{service}: `league {argv[1]}` is no command of ours"
    module = COMMANDS[argv[1]][0]
    parser = argparse.ArgumentParser(prog=f"league {argv[1]}", exit_on_error=False)
    module.configure(parser)
    try:
        parser.parse_args(argv[2:])
    except (argparse.ArgumentError, SystemExit) as error:
        pytest.fail(f"{file}:{service}: `{' '.join(argv)}` is refused by our CLI: {error}")


def _serve_options(command: list) -> argparse.Namespace:
    argv = [interpolate(str(part), {}) for part in command]
    assert argv[:2] == ["league", "serve"]
    parser = argparse.ArgumentParser(exit_on_error=False)
    COMMANDS["serve"][0].configure(parser)
    return parser.parse_args(argv[2:])


def test_the_scale_override_runs_several_api_workers_on_postgres():
    base, postgres, scale = (_load(name)["services"] for name in COMPOSE_FILES)
    assert set(scale) == {"api"} and set(scale["api"]) == {"command"}  # the rest is the base's
    scaled, alone = _serve_options(scale["api"]["command"]), _serve_options(base["api"]["command"])
    assert scaled.workers == 4 and alone.workers == 1
    assert (scaled.host, scaled.port) == (alone.host, alone.port)  # same port, same healthcheck
    assert interpolate(str(scale["api"]["command"][-1]), {"LEAGUE_API_WORKERS": "8"}) == "8"
    # several workers need PostgreSQL (on SQLite `league serve --workers 4` refuses to start)
    assert postgres["api"]["environment"]["LEAGUE_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "docker-compose.postgres.yml -f docker-compose.scale.yml" in (ROOT / "docker-compose.scale.yml").read_text()


def test_dockerfile_copies_what_the_services_need():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11", dockerfile, re.M)
    assert "whl/cpu" in dockerfile, "torch must be the CPU build"
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    for needed in ("league", "agents", "api", "migrations", "templates", "static", "pyproject.toml"):
        assert needed not in ignored, f".dockerignore drops {needed}, which the image needs"
    assert ".venv" in ignored and ".git" in ignored and "league-data" in ignored
