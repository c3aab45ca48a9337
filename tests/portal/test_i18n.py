"""Swedish by default, English on request, and every string translated."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def test_swedish_by_default_and_english_after_switching(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="sv">' in page and "Logga in" in page
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/language", data={"lang": "en", "next": "/login", "csrf_token": token})
    assert response.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Log in" in page and "Logga in" not in page


def test_language_choice_is_saved_on_the_account(app, client, auth, factory):
    factory.user(email="lena@example.org")
    auth.login("lena@example.org")
    client.post("/language", data={"lang": "en", "csrf_token": auth.csrf("/")})
    auth.logout()
    fresh = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(fresh).login("lena@example.org")
    assert "Welcome, " in fresh.get("/").get_data(as_text=True)


def test_error_pages_in_both_languages(client):
    assert "Sidan finns inte" in client.get("/no-such-page").get_data(as_text=True)
    token = client.get("/login").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/language", data={"lang": "en", "csrf_token": token})
    assert "Page not found" in client.get("/no-such-page").get_data(as_text=True)


def test_every_message_in_the_code_has_a_swedish_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "--no-location", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as fh:
        wanted = {m.id for m in read_po(fh) if m.id}
    with (ROOT / "portal/translations/sv/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    assert len(wanted) > 50
    assert sorted(wanted - translated) == []
