# The CMAP tracker as a container: one Streamlit process on port 8501.
#
#   docker build -t cmap-tracker .
#   docker run --rm -p 8501:8501 cmap-tracker                 # http://localhost:8501
#   docker run --rm -p 8501:8501 -v "$PWD/my.csv:/data/initiatives.csv:ro" \
#       -e DASHBOARD_DATA=/data/initiatives.csv cmap-tracker     # your own data
#
# Several replicas behind nginx under /cmap/: see deploy/README.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none

# DASHBOARD_DATA: the CSV the dashboard shows. A path inside the container
# (mount it read-only, as above) or an http(s) URL, re-read every 10 minutes.
# Empty means the bundled data/initiatives.csv. Uploads from viewers are never
# written to disk whatever this is set to.
ENV DASHBOARD_DATA=""

# STREAMLIT_SERVER_ALLOWED_HOSTS: the hostnames viewers use, space-separated, e.g.
# "tracker.example.org localhost". Streamlit then refuses a websocket whose Host
# header names anything else (DNS rebinding). Set it for any public host:
#   docker run -e STREAMLIT_SERVER_ALLOWED_HOSTS="tracker.example.org" ...
# Empty accepts any Host header.
ENV STREAMLIT_SERVER_ALLOWED_HOSTS=""

# An unprivileged user to run the app; the code stays owned by root, read-only to it.
RUN useradd --create-home --uid 10001 --user-group --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, so editing the app does not reinstall them.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

# The app itself. .dockerignore keeps out .git, venvs, tests, benchmark output
# and .streamlit/secrets.toml (pass secrets at run time instead).
COPY . .

USER app

EXPOSE 8501

# curl is not in the slim image; Python is. Follows STREAMLIT_SERVER_BASE_URL_PATH
# when the app is served under a sub-path (e.g. "cmap" behind deploy/nginx.conf).
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; p = os.environ.get('STREAMLIT_SERVER_BASE_URL_PATH', '').strip('/'); url = 'http://127.0.0.1:8501' + ('/' + p if p else '') + '/_stcore/health'; sys.exit(0 if urllib.request.urlopen(url, timeout=4).status == 200 else 1)"]

CMD ["streamlit", "run", "dashboard.py", "--server.port=8501", "--server.address=0.0.0.0"]
