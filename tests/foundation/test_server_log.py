"""gunicorn's own access log (config/gunicorn.py, used by the Dockerfile, compose and every
test server) never holds a request's query string or Referer: a search by a victim's name
must not reach the operators' logs."""

import os
import time

import requests

from tests.servers import gunicorn


def test_the_server_log_names_the_path_but_not_the_search_or_the_referer(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    log_path = tmp_path / "gunicorn.log"
    with gunicorn(env, log_path, ready_path="/accounts/login") as (base, _):
        response = requests.get(
            f"{base}/cases/?q=Zofia+Kowalczyk",
            headers={"Referer": f"{base}/cases/?q=Amadou+Diallo", "Connection": "close"},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302  # to sign in
        deadline = time.monotonic() + 10  # the server finishes the request before it stops
        while '"GET /cases/ ' not in log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    lines = [line for line in log_path.read_text().splitlines() if '"GET /cases/ ' in line]
    assert len(lines) == 1, log_path.read_text()
    assert "Zofia" not in log_path.read_text() and "Amadou" not in log_path.read_text()
    assert " 302 " in lines[0]
