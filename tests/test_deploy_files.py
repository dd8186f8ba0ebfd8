"""Deployment files, checked without Docker or the network: the Dockerfile's
instructions, what .dockerignore lets into the image, the nginx template
(rendered and validated by `nginx -t`) and the production settings in
.streamlit/config.toml."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import tomllib
from pathlib import Path

import pytest

from cmap_tracker import contract
from conftest import ROOT

DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
)


def load_renderer():
    spec = importlib.util.spec_from_file_location("render_nginx", DEPLOY / "render_nginx.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


render_nginx = load_renderer()


# ------------------------------------------------------------------- Dockerfile


def parse_dockerfile(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs: comments dropped, `\\` continuations joined."""
    out: list[tuple[str, str]] = []
    buf = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if buf and line.startswith("#"):  # comment inside a continued instruction
            continue
        if line.endswith("\\"):
            buf += line[:-1].strip() + " "
            continue
        buf += line
        if buf.strip():
            word, _, rest = buf.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
        buf = ""
    if buf.strip():
        word, _, rest = buf.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def exec_form(args: str) -> list[str] | None:
    try:
        val = json.loads(args)
    except ValueError:
        return None
    return val if isinstance(val, list) and all(isinstance(v, str) for v in val) else None


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    path = ROOT / "Dockerfile"
    assert path.exists(), "Dockerfile missing at the repository root"
    return parse_dockerfile(path.read_text(encoding="utf-8"))


def names(instrs):
    return [i for i, _ in instrs]


def test_dockerfile_parses_and_starts_from_python_slim(dockerfile):
    known = {
        "FROM",
        "RUN",
        "CMD",
        "LABEL",
        "EXPOSE",
        "ENV",
        "ADD",
        "COPY",
        "ENTRYPOINT",
        "VOLUME",
        "USER",
        "WORKDIR",
        "ARG",
        "ONBUILD",
        "STOPSIGNAL",
        "HEALTHCHECK",
        "SHELL",
    }
    assert set(names(dockerfile)) <= known, set(names(dockerfile)) - known
    assert dockerfile[0][0] == "FROM", "FROM must be the first instruction"
    assert dockerfile[0][1].split()[-1] == "python:3.11-slim"
    assert names(dockerfile).count("CMD") == 1 and names(dockerfile).count("HEALTHCHECK") == 1


def test_dockerfile_runs_as_a_non_root_user(dockerfile):
    n = names(dockerfile)
    cmd_at = n.index("CMD")
    users = [args.split(":")[0] for i, (ins, args) in enumerate(dockerfile) if ins == "USER" and i < cmd_at]
    assert users, "no USER before CMD: the app would run as root"
    assert users[-1] not in ("root", "0"), f"last USER before CMD is {users[-1]}"
    # and nothing switches back to root afterwards
    assert all(args.split(":")[0] not in ("root", "0") for ins, args in dockerfile[cmd_at:] if ins == "USER")


def test_dockerfile_installs_requirements_without_cache(dockerfile):
    runs = [args for ins, args in dockerfile if ins == "RUN"]
    assert any(re.search(r"pip install\b.*--no-cache-dir.*-r requirements\.txt", r) for r in runs), runs
    # requirements are copied (and installed) before the app, for layer caching
    n = names(dockerfile)
    first_req = next(i for i, (ins, a) in enumerate(dockerfile) if ins == "COPY" and "requirements.txt" in a)
    pip_at = next(i for i, (ins, a) in enumerate(dockerfile) if ins == "RUN" and "pip install" in a)
    assert first_req < pip_at < n.index("CMD")


def test_dockerfile_copy_sources_exist(dockerfile):
    for ins, args in dockerfile:
        if ins not in ("COPY", "ADD"):
            continue
        parts = exec_form(args) or shlex.split(args)
        parts = [p for p in parts if not p.startswith("--")]
        assert len(parts) >= 2, f"{ins} {args}"
        for src in parts[:-1]:
            assert not re.match(r"^[a-z]+://", src), f"{ins} fetches from the network: {src}"
            matches = list(ROOT.glob(src)) if any(c in src for c in "*?[") else [ROOT / src]
            assert matches and all(m.exists() for m in matches), f"{ins} source {src!r} not in the repo"


def test_dockerfile_exposes_and_serves_8501(dockerfile):
    exposed = [p for ins, args in dockerfile if ins == "EXPOSE" for p in args.split()]
    assert "8501" in exposed or "8501/tcp" in exposed
    cmd = exec_form(next(args for ins, args in dockerfile if ins == "CMD"))
    assert cmd == ["streamlit", "run", "dashboard.py", "--server.port=8501", "--server.address=0.0.0.0"]
    assert (ROOT / cmd[2]).exists()


def test_dockerfile_healthcheck_uses_python_urllib_on_the_health_endpoint(dockerfile):
    args = next(args for ins, args in dockerfile if ins == "HEALTHCHECK")
    opts, _, cmd = args.partition("CMD ")
    assert re.search(r"--interval=\d+s", opts) and re.search(r"--timeout=\d+s", opts)
    argv = exec_form(cmd.strip())
    assert argv and argv[:2] == ["python", "-c"], "use python urllib: curl is not in python:3.11-slim"
    code = argv[2]
    assert "urllib.request" in code and "/_stcore/health" in code and "127.0.0.1:8501" in code
    compile(code, "<healthcheck>", "exec")  # valid Python


@pytest.mark.parametrize(
    "base, want",
    [(None, "http://127.0.0.1:8501/_stcore/health"), ("/cmap/", "http://127.0.0.1:8501/cmap/_stcore/health")],
)
def test_dockerfile_healthcheck_exit_codes(dockerfile, monkeypatch, base, want):
    """Run the HEALTHCHECK code with urlopen stubbed (no socket is opened)."""
    import urllib.request

    args = next(args for ins, args in dockerfile if ins == "HEALTHCHECK")
    code = exec_form(args.partition("CMD ")[2].strip())[2]
    if base is None:
        monkeypatch.delenv("STREAMLIT_SERVER_BASE_URL_PATH", raising=False)
    else:
        monkeypatch.setenv("STREAMLIT_SERVER_BASE_URL_PATH", base)
    seen = []

    class Resp:
        status = 200

    def fake_urlopen(url, timeout=None):
        seen.append(url)
        if isinstance(Resp.status, Exception):
            raise Resp.status
        return Resp

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    for status, rc in ((200, 0), (503, 1), (ConnectionRefusedError(), 1)):
        Resp.status = status
        try:
            exec(compile(code, "<healthcheck>", "exec"), {"__name__": "__main__"})
            got = 0
        except SystemExit as e:
            got = e.code or 0
        except OSError:
            got = 1  # an uncaught exception makes `python -c` exit 1
        assert got == rc, (status, got)
    assert seen and set(seen) == {want}


def test_dockerfile_documents_dashboard_data(dockerfile):
    envs = " ".join(args for ins, args in dockerfile if ins == "ENV")
    assert "DASHBOARD_DATA" in envs
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"#.*DASHBOARD_DATA", text), "explain DASHBOARD_DATA in a comment"


# ---------------------------------------------------------------- .dockerignore


def dockerignore_rules() -> list[tuple[bool, re.Pattern]]:
    """(negated, regex) in file order, following Docker's matching closely enough:
    `*` stays within one path segment, `**` spans any number, and a pattern that
    matches a directory excludes everything below it."""
    rules = []
    for raw in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        neg = line.startswith("!")
        pat = os.path.normpath(line.lstrip("!").strip().lstrip("/"))
        rx = ""
        i = 0
        while i < len(pat):
            if pat.startswith("**/", i):
                rx += "(?:.*/)?"
                i += 3
            elif pat.startswith("**", i):
                rx += ".*"
                i += 2
            elif pat[i] == "*":
                rx += "[^/]*"
                i += 1
            elif pat[i] == "?":
                rx += "[^/]"
                i += 1
            else:
                rx += re.escape(pat[i])
                i += 1
        rules.append((neg, re.compile(rx + "(?:/.*)?$")))
    return rules


def ignored(path: str, rules) -> bool:
    result = False
    for neg, rx in rules:
        if rx.match(path):
            result = not neg
    return result


def test_dockerignore_keeps_the_app_and_drops_local_state_and_secrets():
    rules = dockerignore_rules()
    app = [
        "dashboard.py",
        "requirements.txt",
        ".streamlit/config.toml",
        "data/initiatives.csv",
        "locales/fr/LC_MESSAGES/messages.po",
    ]
    app += [
        p.relative_to(ROOT).as_posix()
        for d in ("cmap_tracker", "pages", "data", "static")
        for p in (ROOT / d).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    kept_out = [p for p in app if ignored(p, rules)]
    assert not kept_out, f".dockerignore drops files the app needs: {kept_out}"
    junk = [
        ".git/HEAD",
        ".venv/bin/python",
        "tests/artifacts/page-overview.png",
        "tests/conftest.py",
        "bench/results/run.csv",
        "bench/work/x",
        ".hypothesis/examples/x",
        "cmap_tracker/__pycache__/ui.cpython-311.pyc",
        ".streamlit/secrets.toml",
        ".pytest_cache/v",
    ]
    let_in = [p for p in junk if not ignored(p, rules)]
    assert not let_in, f".dockerignore lets these into the image: {let_in}"


# ------------------------------------------------------------------------- nginx


def test_nginx_template_has_the_pieces_a_streamlit_deploy_needs():
    t = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    live = "\n".join(line.split("#", 1)[0] for line in t.splitlines())
    for ph in ("{{LISTEN}}", "{{PREFIX}}", "{{UPSTREAM_1}}", "{{UPSTREAM_2}}"):
        assert ph in live, ph
    # sticky sessions (open-source nginx: hash on our cookie, or ip_hash)
    assert re.search(r"hash\s+\$cmap_affinity_key\s+consistent;", live) or "ip_hash;" in live
    assert re.search(r"add_header\s+Set-Cookie\s+\$cmap_affinity_set_cookie", live)
    assert len(re.findall(r"server\s+\{\{UPSTREAM_\d\}\}[^;]*max_fails=\d+[^;]*fail_timeout=\d+s", live)) == 2
    assert re.search(r"proxy_next_upstream\s+error", live)
    # websocket
    stream = re.search(r"location\s+=\s+/cmap/_stcore/stream\s*\{(.*?)\}", live, re.S)
    assert stream, "no location for the websocket /cmap/_stcore/stream"
    assert "proxy_buffering off" in stream.group(1)
    hours = re.search(r"proxy_read_timeout\s+(\d+)([hms]);", stream.group(1))
    assert hours and int(hours.group(1)) * {"h": 3600, "m": 60, "s": 1}[hours.group(2)] >= 3600
    assert re.search(r"proxy_set_header\s+Upgrade\s+\$http_upgrade;", live)
    assert re.search(r"proxy_set_header\s+Connection\s+\$connection_upgrade;", live)
    assert re.search(r"proxy_http_version\s+1\.1;", live)
    for h in ("Host", "X-Forwarded-For", "X-Forwarded-Proto", "X-Real-IP"):
        assert re.search(rf"proxy_set_header\s+{h}\s", live), h
    # uploads: room for Streamlit's own limit
    body = re.search(r"client_max_body_size\s+(\d+)m;", live)
    assert body and int(body.group(1)) > contract.MAX_UPLOAD_MB
    assert re.search(r"location\s+=\s+/cmap/_stcore/health\s*\{", live)
    assert re.search(r"location\s+/cmap/\s*\{", live)


def test_renderer_fills_every_placeholder_and_scales_to_n_replicas(tmp_path):
    ups = [f"127.0.0.1:{8501 + i}" for i in range(4)]
    text = render_nginx.render("127.0.0.1:8080", ups, tmp_path)
    live = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    assert "{{" not in live
    assert re.findall(r"^\s*server\s+(\S+)\s+max_fails", live, re.M) == ups
    assert f"pid {tmp_path}/nginx.pid;" in live and "listen 127.0.0.1:8080;" in live
    one = render_nginx.render("80", ups[:1], "/srv/x")
    assert len(re.findall(r"^\s*server\s+\S+\s+max_fails", one, re.M)) == 1
    for bad in (
        dict(upstreams=[]),
        dict(upstreams=["127.0.0.1:1; evil"]),
        dict(prefix="relative/dir"),
        dict(listen="80; include /etc/passwd"),
    ):
        kw = dict(listen="80", upstreams=ups[:2], prefix="/srv/x") | bad
        with pytest.raises(ValueError):
            render_nginx.render(**kw)


def test_rendered_example_is_in_sync_with_the_template():
    want = render_nginx.render("80", ["127.0.0.1:8501", "127.0.0.1:8502"], "/var/lib/cmap-nginx")
    have = (DEPLOY / "nginx.example.conf").read_text(encoding="utf-8")
    assert have == want, (
        "deploy/nginx.example.conf is stale: python deploy/render_nginx.py --listen 80 "
        "--prefix /var/lib/cmap-nginx --upstream 127.0.0.1:8501 --upstream 127.0.0.1:8502 "
        "-o deploy/nginx.example.conf"
    )


def nginx_test(conf_text: str, prefix: Path) -> subprocess.CompletedProcess:
    conf = prefix / "nginx.conf"
    conf.write_text(conf_text, encoding="utf-8")
    return subprocess.run(
        [NGINX, "-t", "-q", "-c", str(conf), "-p", str(prefix)], capture_output=True, text=True, timeout=30
    )


@pytest.mark.skipif(NGINX is None, reason="nginx binary not found (scripts/test.sh installs nginx-light)")
@pytest.mark.parametrize("replicas", [2, 3])
def test_nginx_accepts_the_rendered_config(replicas):
    prefix = Path(tempfile.mkdtemp(prefix="cmap-nginx-t-"))
    try:
        render_nginx.prepare_prefix(prefix)
        # ports are only written into the file; `nginx -t` binds nothing
        text = render_nginx.render("127.0.0.1:18080", [f"127.0.0.1:{18501 + i}" for i in range(replicas)], prefix)
        res = nginx_test(text, prefix)
        assert res.returncode == 0, res.stderr
    finally:
        shutil.rmtree(prefix, ignore_errors=True)


@pytest.mark.skipif(NGINX is None, reason="nginx binary not found (scripts/test.sh installs nginx-light)")
def test_nginx_rejects_a_broken_config():
    """Guards the test above: `nginx -t` really parses our file."""
    prefix = Path(tempfile.mkdtemp(prefix="cmap-nginx-t-"))
    try:
        render_nginx.prepare_prefix(prefix)
        text = render_nginx.render("127.0.0.1:18080", ["127.0.0.1:18501"], prefix)
        res = nginx_test(text.replace("proxy_read_timeout 1h;", "proxy_read_timeout;", 1), prefix)
        assert res.returncode != 0
    finally:
        shutil.rmtree(prefix, ignore_errors=True)


# ------------------------------------------------------------------ config.toml


def test_streamlit_config_is_production_minded():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    server = cfg["server"]
    assert server["headless"] is True
    assert server["enableXsrfProtection"] is True
    assert server["maxUploadSize"] == contract.MAX_UPLOAD_MB
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["client"]["toolbarMode"] == "minimal"
    # The base path belongs to a proxied deploy's command line or environment
    # (STREAMLIT_SERVER_BASE_URL_PATH, which the Docker HEALTHCHECK follows),
    # not to the repo default that Community Cloud and Docker use as-is.
    assert not server.get("baseUrlPath")
