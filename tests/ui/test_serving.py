"""The gateway serves the built app: deep links fall back to index.html, hashed assets are cached
for good, a missing file is a 404 and never the HTML, and security headers are set."""

import re

import httpx
import pytest

pytestmark = pytest.mark.ui


def test_app_routes_fall_back_to_index_and_assets_are_immutable(app_url):
    home = httpx.get(f"{app_url}/")
    deep = httpx.get(f"{app_url}/admin/members/10000000017")
    assert home.status_code == deep.status_code == 200
    assert home.text == deep.text and '<div id="root">' in deep.text
    assert deep.headers["cache-control"] == "no-cache"
    csp = deep.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert deep.headers["x-content-type-options"] == "nosniff"
    assert deep.headers["x-frame-options"] == "DENY"

    script = re.search(r'src="(/assets/[^"]+\.js)"', home.text).group(1)
    asset = httpx.get(f"{app_url}{script}")
    assert asset.status_code == 200
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "javascript" in asset.headers["content-type"]


@pytest.mark.parametrize("path", ["/assets/nope-123.js", "/favicon.ico", "/admin/missing.png"])
def test_missing_files_are_404_not_the_app(app_url, path):
    response = httpx.get(f"{app_url}{path}")
    assert response.status_code == 404
    assert '<div id="root">' not in response.text


def test_graphql_and_health_are_not_shadowed_by_the_app(app_url):
    assert httpx.get(f"{app_url}/healthz").json()["status"] == "ok"
    answer = httpx.post(f"{app_url}/graphql", json={"query": "{ __typename }"})
    assert answer.json() == {"data": {"__typename": "Query"}}
    assert "content-security-policy" not in answer.headers  # GraphiQL loads its own scripts
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_dev_sign_in_is_offered_only_with_the_dev_admin_token(app_url):
    # The platform fixture runs with LOYALTY_ADMIN_TOKEN set, as `make run` does.
    assert httpx.get(f"{app_url}/ui-config.json").json() == {"devSignIn": True}
