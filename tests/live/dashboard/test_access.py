"""Who may see the dashboard: 127.0.0.1 without a token; any other address only with one,
checked on every request; and the ``dashboard`` command."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from dashboard_client import fetch

from byom_monitor.live.dashboard.app import DashboardError, check_binding

TOKEN = "s3cret-token-for-tests"
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_needs_no_token(host):
    check_binding(host, None)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.com"])
def test_other_addresses_need_a_token(host):
    with pytest.raises(DashboardError, match="set a token"):
        check_binding(host, None)
    check_binding(host, TOKEN)


@pytest.mark.parametrize("token", ["short", "twelve chars but spaces", "semi;colon-in-cookie"])
def test_a_short_or_odd_token_is_refused(token):
    with pytest.raises(DashboardError, match="at least 12 characters"):
        check_binding("0.0.0.0", token)


def test_every_request_needs_the_token(generated, serve):
    base = serve(generated, token=TOKEN)
    for path in ("/", "/alerts", "/schedules/data-quality-hourly", "/no-such-page"):
        missing = fetch(base + path)
        assert missing.status == 401 and missing.headers["WWW-Authenticate"] == "Bearer"
        assert "needs its access token" in missing.body
        assert "data-quality-hourly" not in missing.body  # nothing of the store leaks
        assert fetch(base + path, {"Authorization": "Bearer wrong-token-123"}).status == 403
    assert fetch(base + "/", {"Authorization": f"Bearer {TOKEN}"}).status == 200
    assert fetch(base + "/no-such-page", {"Authorization": f"Bearer {TOKEN}"}).status == 404
    assert fetch(base + "/", {"Cookie": "byom_dashboard_token=wrong-token-123"}).status == 403


def test_token_in_the_address_becomes_a_cookie(generated, serve):
    base = serve(generated, token=TOKEN)
    answer = fetch(base + f"/alerts?page=0&token={TOKEN}")
    assert answer.status == 303
    assert answer.headers["Location"] == "/alerts?page=0"  # the token leaves the address
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    page = fetch(base + "/alerts?page=0", {"Cookie": cookie.split(";")[0]})
    assert page.status == 200 and "Deliveries" in page.body
    assert fetch(base + "/?token=wrong-token-123").status == 403
    injected = fetch(base + f"/x%0d%0aSet-Cookie:%20evil=1?token={TOKEN}")
    assert injected.status == 303 and "evil" not in injected.headers.get("Set-Cookie", "")
    assert injected.headers["Location"] == "/x%0D%0ASet-Cookie%3A%20evil%3D1"


def _cli(*args: str, config: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "BYOM_DASHBOARD_TOKEN"}
    return subprocess.Popen([sys.executable, "-m", "byom_monitor", "--config", config,
                             "dashboard", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_command_refuses_another_address_without_token(generated):
    process = _cli("--host", "0.0.0.0", "--port", "0", config=str(generated.path))
    _, err = process.communicate(timeout=120)
    assert process.returncode == 2
    assert err.strip().splitlines() == [
        ("error: binding 0.0.0.0 serves the dashboard to other machines: set a token (--token, "
         "or the BYOM_DASHBOARD_TOKEN environment variable)")]


def test_command_serves_until_terminated(generated):
    process = _cli("--port", "0", config=str(generated.path))
    try:
        line = process.stdout.readline()
        assert line.startswith(f"dashboard of {generated.database} on http://127.0.0.1:")
        url = line.split(" on ")[1].strip()
        assert "Monitoring overview" in fetch(url).body
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)
    assert process.returncode == 0
