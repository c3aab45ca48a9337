"""Swedish that reads as one voice (issue 16): one word for a meeting ("träff"), real plural
forms, no repeated headings, and the group's language by name."""

import re
from collections import Counter
from pathlib import Path

from babel.messages.pofile import read_po

from tests.conftest import AuthActions
from tests.films import ready_film

PO = Path(__file__).resolve().parents[2] / "portal/translations/sv/LC_MESSAGES/messages.po"
PSEUDO_PLURAL = re.compile(r"\w\((s|er|ar|or|n|en|na)\)")
SESSION = re.compile(r"(?<!%\()\b[Ss]ession")  # a placeholder %(session)s is not a word


def catalog():
    with PO.open("rb") as fh:
        return list(read_po(fh))


def texts(message):
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return ids, strings


def test_no_pseudo_plurals_in_either_language():
    found = [t for m in catalog() if m.id for part in texts(m) for t in part if t and PSEUDO_PLURAL.search(t)]
    assert found == []


def test_plural_messages_have_both_swedish_forms():
    plurals = [m for m in catalog() if isinstance(m.id, tuple)]
    assert plurals, "no message uses ngettext"
    assert [m.id[0] for m in plurals if not all(m.string)] == []


def test_a_meeting_is_a_traff_in_swedish():
    """"Session" in English, "träff" in Swedish, everywhere; the program's own session titles
    (such as "Principsession 1") are data, not messages."""
    swedish = [s for m in catalog() if m.id for s in texts(m)[1] if s]
    assert [s for s in swedish if SESSION.search(s)] == []
    meeting = [s for m in catalog() if m.id and re.search(r"\bsession", str(m.id), re.I)
               and "person's sessions" not in str(m.id) for s in texts(m)[1]]  # not a login session
    assert meeting and all(re.search(r"träff", s, re.I) or "%(session)s" in s for s in meeting), meeting


def headings(html):
    return [re.sub(r"<[^>]+>|\s+", " ", h).strip() for h in re.findall(r"<h[1-3][^>]*>(.*?)</h[1-3]>", html, re.S)]


def test_no_page_repeats_a_heading(app, factory):
    film = ready_film(app, factory)
    pages = {"uploader": ["/", f"/groups/{film['group']}", f"/groups/{film['group']}/consent",
                          f"/sessions/{film['session']}/upload", "/review/views", "/notifications",
                          "/certification/"],
             "supervisor": ["/review/", f"/review/sessions/{film['session']}",
                            f"/review/recordings/{film['recording']}"],
             "admin": ["/admin/users", "/admin/groups", "/admin/organisations", "/admin/audit", "/admin/retention"]}
    for role, paths in pages.items():
        client = app.test_client()
        AuthActions(client).login(film["emails"][role])
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (role, path)
            repeated = [h for h, n in Counter(headings(response.get_data(as_text=True))).items() if n > 1]
            assert repeated == [], (path, repeated)


def test_the_groups_language_is_chosen_and_shown_by_name(app, factory):
    film = ready_film(app, factory)
    client = app.test_client()
    AuthActions(client).login(film["emails"]["uploader"])
    form = client.get("/groups/new").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="language"[^>]*>(.*?)</select>', form, re.S)
    assert select, "the language is chosen from a list"
    assert '<option selected value="sv">svenska</option>' in select.group(1)
    assert '<option value="ar">arabiska</option>' in select.group(1)
    assert "Gruppens språk: svenska" in re.sub(r"\s+", " ", client.get(f"/groups/{film['group']}").get_data(
        as_text=True)).replace("</span>", "")
