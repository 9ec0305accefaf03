"""Security headers and admin brute-force protection."""

import pytest

pytestmark = pytest.mark.django_db


def test_public_pages_send_a_csp_without_unsafe_inline_scripts(client):
    response = client.get("/en/")
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in directives["script-src"]
    assert directives["frame-src"] == "https://www.youtube-nocookie.com"
    assert directives["object-src"] == "'none'"


def test_rendered_pages_have_no_inline_scripts(client):
    for path in ["/en/", "/ko/", "/en/search/?q=test"]:
        html = client.get(path).content.decode()
        assert "<script>" not in html, path
        assert "onclick=" not in html and "onchange=" not in html, path


def test_admin_login_locks_out_after_repeated_failures(client, settings, django_user_model):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    django_user_model.objects.create_superuser("admin", "admin@example.org", "right-password")
    for _ in range(3):
        response = client.post("/admin/login/", {"username": "admin", "password": "wrong"})
    assert response.status_code == 429
    # Even the right password is refused while locked out.
    response = client.post("/admin/login/", {"username": "admin", "password": "right-password"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
