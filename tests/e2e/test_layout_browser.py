"""Every page at phone, tablet and desktop size, for every role (issue 16): no horizontal
scrolling of the page, table actions in view, forms one column on a phone, the whole menu on a
desktop, keyboard focus visible on every control, and axe-core (vendored) finds no serious or
critical accessibility violation at desktop and phone width. Then the menu button, the player
on a tablet and an upload from a phone.

One browser context per role; each page is loaded once and the viewport is resized through the
three sizes (the layout reflows without a reload). ``SCREENS_DIR`` set (``make screens``) also
writes screenshots of each role's main page at phone and desktop width there.
"""

import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Certification, GroupSession, Participant, Recording, User
from portal.models.certification import BoosterMeeting
from portal.services import chapters, checklist, comments, consent
from portal.services import withdrawal as withdrawals
from tests.certification_fixtures import complete_group
from tests.conftest import PASSWORD
from tests.e2e import test_upload_browser as uploads
from tests.e2e.conftest import login
from tests.films import add_activity, ready_film

SIZES = {"phone": {"width": 390, "height": 844}, "tablet": {"width": 768, "height": 1024},
         "desktop": {"width": 1366, "height": 900}}
AXE_SIZES = ("desktop", "phone")
AXE = "/static/vendor/axe-core-4.14.1/axe.min.js"
# What axe checks: WCAG 2.1 A and AA; a violation fails the sweep when serious or critical.
AXE_RUN = """async () => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                                          resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
}"""
OVERFLOW = """() => {
  const doc = document.documentElement;
  if (doc.scrollWidth <= window.innerWidth) return null;
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .map(e => [e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''), ...e.classList].join('.'));
  return doc.scrollWidth + ' > ' + window.innerWidth + ': ' + wide.slice(-4).join(', ');
}"""
# Links and buttons in tables (like "Ladda upp filmen") cut off by their scroll box or the window.
HIDDEN_ACTIONS = """() => [...document.querySelectorAll('main table :is(a, button)')].filter(e => {
  const box = e.closest('.overflow-auto'), rect = e.getBoundingClientRect();
  const right = Math.min(window.innerWidth, box ? box.getBoundingClientRect().right : Infinity);
  return rect.width > 0 && rect.right > right + 1;
}).map(e => e.textContent.trim()).slice(0, 3)"""
# Form fields side by side on a phone (a form there is one column).
SIDE_BY_SIDE = """() => {
  const found = [];
  for (const form of document.querySelectorAll('main form')) {
    const fields = [...form.querySelectorAll('input:not([type=hidden],[type=checkbox],[type=radio]), select, textarea')]
      .filter(e => e.getClientRects().length).map(e => [e, e.getBoundingClientRect()]);
    fields.forEach(([a, ra], i) => fields.slice(i + 1).forEach(([b, rb]) => {
      if (ra.top < rb.bottom - 1 && rb.top < ra.bottom - 1) found.push((a.name || a.id) + ' by ' + (b.name || b.id));
    }));
  }
  return found;
}"""
# The main page of each role, photographed by `make screens`.
SCREENS = {"leader": "/groups/", "supervisor": "/review/", "admin": "/admin/users"}


def resize(tab, size):
    """Set the window size and wait until the page has handled it (resize events run before the
    next animation frame)."""
    tab.set_viewport_size(size)
    tab.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def build_world(app, factory):
    """One organisation with everything a page can show: a certification group with six
    consenting participants, ready films in sessions 1-8 (comments and a thread on the first), a
    session confirmed and waiting for its film, a session blocked by a registered withdrawal, a
    recertification waiting for its review, the co-leader's valid certificate (its public verification
    page) and a booster meeting. Returns the URLs of every page, with real ids."""
    ids = complete_group(app, factory, tag="a", filmed=8, supervised=3)
    factory.user(("platform_admin",), "maja@example.org", factory.organisation("Programägaren"), name="Maja M")
    with app.app_context():
        leader = db.session.get(User, ids["uploader"])
        supervisor = db.session.get(User, ids["supervisor"])
        sessions = {s.number: s for s in db.session.scalars(
            db.select(GroupSession).where(GroupSession.group_id == ids["group"]))}
        participants = list(db.session.scalars(db.select(Participant).where(Participant.group_id == ids["group"])))
        consent.confirm_attendance(sessions[9], [p.id for p in participants], leader)
        consent.confirm_attendance(sessions[8], [participants[-1].id], leader)
        withdrawal = withdrawals.register(participants[-1], date(2026, 3, 1), leader)
        film = db.session.get(Recording, ids["recordings"][1])
        first = comments.add_comment(supervisor, film, {"t_start": 75, "category": "strength", "body": "Bra start."})
        comments.add_comment(supervisor, film, {"t_start": 130, "t_end": 190, "category": "process",
                                                "body": "Här tappar gruppen fokus. Vad hände?"})
        comments.add_comment(supervisor, film, {"parent_id": first.id, "body": "Tack!"})
        chapters.add_chapter(leader, film, {"kind": "Genomgång av principen", "start": 60})
        item = checklist.session_checklist(sessions[1])[0].item.id
        checklist.set_mark(supervisor, sessions[1], item, "partly")
        checklist.add_link(supervisor, sessions[1], item, {"recording_id": film.id, "start": 130, "end": 190})
        group, program = ids["group"], sessions[1].group.program_id
        recert = Certification(leader_id=ids["co_leader"], organisation_id=ids["org"],
                               program_id=sessions[1].group.program_id, group_id=ids["group"], kind="recertification",
                               status="pending", films=[ids["recordings"][n] for n in (1, 2, 3)])
        booster = BoosterMeeting(organisation_id=ids["org"], held_on=date(2026, 3, 10), term="VT 2026",
                                 title="Vårträff", created_by_id=ids["admin"])
        held = Certification(leader_id=ids["co_leader"], organisation_id=ids["org"], program_id=program,
                             group_id=ids["group"], kind="initial", status="certified",
                             decided_by_id=ids["supervisor"], decided_at=datetime(2024, 1, 10, tzinfo=UTC),
                             valid_from=date(2024, 1, 10), valid_until=date(2027, 1, 10), films=[])
        db.session.add_all([recert, booster, held])
        db.session.commit()
        urls = [
            "/", "/notifications", "/settings", "/account", "/account/two-factor", "/account/confirm",
            "/groups/", "/groups/new", f"/groups/{group}", f"/groups/{group}/edit", f"/groups/{group}/consent",
            f"/groups/participants/{participants[0].id}",
            f"/groups/sessions/{sessions[2].id}/confirm", f"/sessions/{sessions[9].id}/upload",
            f"/sessions/{sessions[1].id}/upload",
            "/review/", "/review/views", f"/review/recordings/{film.id}", f"/review/sessions/{sessions[1].id}",
            "/certification/", "/certification/overview", "/certification/register",
            f"/certification/leaders/{ids['uploader']}", f"/certification/groups/{group}/leaders/{ids['uploader']}",
            f"/certification/{recert.id}/review",
            "/admin/users", "/admin/users/new", f"/admin/users/{ids['uploader']}", "/admin/groups",
            "/admin/organisations", "/admin/programs", "/admin/recordings",
            "/admin/retention", f"/admin/retention/recordings/{ids['recordings'][2]}/delete",
            f"/admin/withdrawals/{sessions[8].id}/delete", "/admin/exports", "/admin/audit",
            "/admin/boosters", f"/admin/boosters/{booster.id}", "/admin/withdrawals",
            f"/admin/withdrawals/{withdrawal.id}/annul", f"/verify/{held.verification_code}",
            # the platform administrator's pages (issue 18), seen by the "platform" role
            "/platform/organisations", f"/platform/organisations/{ids['org']}", "/platform/programs",
            "/platform/programs/new", f"/platform/programs/{program}", "/platform/supervisors", "/platform/audit",
            f"/platform/programs/{program}/checklist",  # issue 20
        ]
        urls += ["/admin/users/invite", f"/groups/{group}/participants/many"]  # bulk actions
    # the player's speech lane with a proposed break (issue 20): its controls meet axe and every width
    add_activity(app, ids["recordings"][1], ("1" * 30 + "0" * 20) * 6 + "0" * 300 + "1" * 200, (150.0, 300.0))
    return ids, urls


ANONYMOUS_URLS = ["/login", "/reset-password", "/reset-password/not-a-token", "/invitation/not-a-token"]


# Pages the sweep does not load: files to download, machine answers, and steps that need a
# state the sweep cannot hold (a half-done two-factor login).
NOT_PAGES = {"static", "main.healthz", "main.set_language", "auth.logout", "auth.two_factor",
             "storage_local.get_object", "storage_local.put_part", "admin.audit_export", "admin.export_participant",
             "admin.export_user", "certification.certificate", "review.export_group", "review.export_session",
             # HLS playlists and segment redirects (issue 19): what the player fetches, not pages
             "review.hls_master", "review.hls_media", "review.hls_segment", "review.hls_init"}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_sweep_visits_every_page_of_the_route_map(app, factory):
    """A new page joins the sweep, or this fails."""
    _ids, urls = build_world(app, factory)
    adapter = app.url_map.bind("localhost")
    visited = {adapter.match(url.split("?")[0])[0] for url in urls + ANONYMOUS_URLS}
    pages = {rule.endpoint for rule in app.url_map.iter_rules()
             if "GET" in rule.methods and not rule.rule.startswith("/api/")}
    assert pages - NOT_PAGES - visited == set()


def check(tab, url, sizes_done, problems):
    """Load ``url`` and check it at every size; returns False when the role may not see it."""
    response = tab.goto(url)
    if response is None or response.status in (403, 404) or "text/html" not in response.headers.get("content-type", ""):
        return False
    final = tab.url.split(tab.url.split("/")[2], 1)[1]
    if final in sizes_done:  # a redirect to a page already checked
        return True
    sizes_done.add(final)
    assert response.status in (200, 400), (url, response.status)  # 400: an expired link explained
    for name, size in SIZES.items():
        resize(tab, size)
        overflow = tab.evaluate(OVERFLOW)
        if overflow:
            problems.append(f"{final} at {name}: page scrolls sideways, {overflow}")
        if name == "phone" and (beside := tab.evaluate(SIDE_BY_SIDE)):
            problems.append(f"{final} at phone: form fields side by side {beside}")
        if hidden := tab.evaluate(HIDDEN_ACTIONS):
            problems.append(f"{final} at {name}: actions out of view {hidden}")
        if name == "desktop":
            if tab.locator(".nav-toggle").is_visible():
                problems.append(f"{final} at desktop: the menu is folded")
            problems.extend(f"{final}: {issue}" for issue in focus_shown_everywhere(tab))
        if name in AXE_SIZES:
            if tab.evaluate("() => typeof axe") == "undefined":
                tab.add_script_tag(url=AXE)
            for violation in tab.evaluate(AXE_RUN):
                problems.append(f"{final} at {name}: {violation}")
    return True


# After a real Tab press the browser is in keyboard mode, where focus() shows focus as a Tab
# would: focus each control in turn and report those that do not show it.
FOCUS_EVERYWHERE = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
    + '[tabindex]:not([tabindex="-1"])';
  const problems = [];
  for (const e of document.querySelectorAll(selector)) {
    if (e.disabled || !e.getClientRects().length || getComputedStyle(e).visibility === 'hidden') continue;
    e.focus();
    if (document.activeElement !== e) continue;
    const s = getComputedStyle(e);
    const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
    if (!e.matches(':focus-visible') || !ring) problems.push(e.outerHTML.slice(0, 80));
  }
  window.scrollTo(0, 0);
  return problems;
}"""


def focus_shown_everywhere(tab):
    """Every control of the page shows keyboard focus."""
    tab.keyboard.press("Tab")
    return [f"focus not visible on {element}" for element in tab.evaluate(FOCUS_EVERYWHERE)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("role", ["anonymous", "leader", "supervisor", "admin", "platform"])
def test_every_page_fits_every_size_and_passes_axe(browser, live_server, app, factory, role):
    ids, urls = build_world(app, factory)
    context = browser.new_context(base_url=live_server.url, locale="sv-SE", viewport=SIZES["desktop"])
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda error: errors.append(f"{tab.url}: {error}"))
    problems, seen = [], set()
    try:
        if role != "anonymous":
            email = {"leader": "lena-a@example.org", "supervisor": "sara-a@example.org",
                     "admin": "admin-a@example.org", "platform": "maja@example.org"}[role]
            login(tab, email, PASSWORD)
            tab.wait_for_url(lambda u: "/login" not in u)
            resize(tab, {"width": 1280, "height": 720})  # Playwright's default window: still the whole menu
            if tab.locator(".nav-toggle").is_visible():
                problems.append(f"{role}: the menu is folded at 1280 px")
        public = ANONYMOUS_URLS + [url for url in urls if url.startswith("/verify/")]
        visited = [url for url in (public if role == "anonymous" else urls) if check(tab, url, seen, problems)]
        if role in SCREENS and os.environ.get("SCREENS_DIR"):
            screenshots(tab, role)
    finally:
        context.close()
    assert len(visited) >= {"anonymous": 5, "leader": 12, "supervisor": 12, "admin": 14, "platform": 12}[role], visited
    assert problems == [], "\n".join(problems)
    assert errors == [], errors


def screenshots(tab, role):
    """The role's main page at phone and desktop width, as small PNGs under SCREENS_DIR."""
    folder = Path(os.environ["SCREENS_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    tab.goto(SCREENS[role])
    for name in ("phone", "desktop"):
        tab.set_viewport_size(SIZES[name])
        tab.screenshot(path=str(folder / f"{role}-{name}.png"))


FOCUS_SHOWN = """() => { const s = getComputedStyle(document.activeElement);
  return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'; }"""


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_menu_never_wraps_and_is_a_keyboard_button_on_a_phone(page, live_server, factory):
    factory.user(roles=("admin", "supervisor", "leader"), email="all@example.org", name="Alla Roller")
    login(page, "all@example.org", PASSWORD)
    page.wait_for_url(lambda u: "/login" not in u)
    nav = page.locator("nav.site-nav")  # "Huvudmeny", or "Main navigation" in English
    toggle = nav.locator(".nav-toggle")
    items = nav.locator("#nav-menu > li")
    assert items.count() == 12

    # Twelve entries do not fit on one line even on a desktop: the menu folds rather than wrap or
    # scroll sideways (a user with one role sees the whole menu there: see the sweep above).
    for width, language in ((1366, "English"), (1024, "Svenska")):
        resize(page, {"width": width, "height": 800})
        if not toggle.is_visible():
            middles = [box["y"] + box["height"] / 2 for box in (items.nth(n).bounding_box() for n in range(12))]
            assert max(middles) - min(middles) < 10, f"the menu wraps at {width} px"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.get_by_role("button", name=language).click()

    resize(page, SIZES["phone"])
    assert page.get_by_role("navigation", name="Huvudmeny").get_by_role("button", name="Meny").is_visible()
    assert toggle.get_attribute("aria-expanded") == "false" and not items.first.is_visible()
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the portal's name
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className").startswith("nav-toggle")
    assert page.evaluate(FOCUS_SHOWN)
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true" and nav.locator("[data-nav=supervisor]").is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.nav") == "leader" and page.evaluate(FOCUS_SHOWN)
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false" and not items.first.is_visible()
    assert page.evaluate("document.activeElement.className").startswith("nav-toggle")
    page.keyboard.press("Space")
    nav.locator("[data-nav=account]").click()
    assert page.url.endswith("/account")
    page.get_by_role("link", name="Välj hur du får aviseringar").click()  # notice settings live under Konto
    assert page.url.endswith("/settings")


SMALL_TARGETS = """() =>
  [...document.querySelectorAll('#player :is(button, select, summary), #comments :is(button, select)')]
  .filter(e => e.getClientRects().length && (e.offsetHeight < 44 || e.offsetWidth < 44))
  .map(e => (e.id || e.textContent.trim()) + ' ' + e.offsetWidth + 'x' + e.offsetHeight)"""


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_player_on_a_tablet_keeps_the_film_in_view_with_finger_sized_controls(browser, live_server, app, factory):
    film = ready_film(app, factory)
    with app.app_context():
        supervisor = db.session.get(User, film["supervisor"])
        recording = db.session.get(Recording, film["recording"])
        for minute in range(0, 10, 2):
            comments.add_comment(supervisor, recording, {"t_start": minute * 60 + 30, "category": "strength",
                                                         "body": f"Kommentar {minute}"})
        db.session.commit()
    context = browser.new_context(base_url=live_server.url, locale="sv-SE", viewport=SIZES["tablet"],
                                  has_touch=True, is_mobile=True)
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    try:
        login(tab, film["emails"]["supervisor"], PASSWORD)
        tab.goto(f"/review/recordings/{film['recording']}")
        markers = tab.locator("#timeline-markers .marker")
        expect(markers).to_have_count(5)
        player, panel = tab.locator("#player"), tab.locator("#comments")
        assert player.bounding_box()["y"] + player.bounding_box()["height"] <= panel.bounding_box()["y"]
        assert tab.evaluate(SMALL_TARGETS) == []

        box = markers.nth(2).bounding_box()  # the comment at 4:30; a finger lands 15 px beside it
        tab.touchscreen.tap(box["x"] + box["width"] / 2 + 15, box["y"] + box["height"] / 2)
        expect(tab.locator(".thread.active")).to_contain_text("Kommentar 4")

        tab.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        tab.locator("#comment-body").focus()
        film_box, field = player.bounding_box(), tab.locator("#comment-body").bounding_box()
        assert film_box["y"] == 0, "the film scrolled away"
        assert field["y"] >= film_box["height"] and field["y"] + field["height"] <= SIZES["tablet"]["height"]
        tab.locator("#comment-in").fill("1:00")
        tab.locator("#comment-body").fill("Skrivet på en surfplatta.")
        tab.get_by_role("button", name="Lägg till kommentaren").tap()
        expect(tab.locator("#player").get_by_role("status")).to_have_text("Kommentaren är sparad.")
    finally:
        context.close()
    assert errors == []


# A phone as Chromium on Android presents itself: touch, mobile viewport, mobile user agent.
PHONE = {"viewport": SIZES["phone"], "is_mobile": True, "has_touch": True, "device_scale_factor": 2,
         "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "Chrome/131.0.0.0 Mobile Safari/537.36"}
s3_proxy = uploads.s3_proxy


@pytest.fixture
def phone_page(browser, live_server):
    """A tab in mobile Chromium, failing the test on any page JavaScript error."""
    context = browser.new_context(base_url=live_server.url, locale="sv-SE", **PHONE)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors = []
    context.on("weberror", lambda error: errors.append(str(error.error)))
    yield tab
    context.close()
    assert errors == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_leader_uploads_from_a_phone_and_resumes_after_closing_the_tab(phone_page, app, factory, tmp_path,
                                                                          s3_proxy):
    """The gallery: the file input takes videos (a phone offers its gallery and camera roll for
    them) and does not force the camera. Then the desktop resume test, run in mobile Chromium."""
    ids = uploads.group_with_session(app, factory)
    uploads.open_upload_page(phone_page, ids)
    picker = phone_page.locator(".uppy-Dashboard-input").first
    assert "video/*" in picker.get_attribute("accept") and picker.get_attribute("capture") is None
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= SIZES["phone"]["width"]
    phone_page.get_by_role("button", name="Meny").tap()
    phone_page.get_by_role("button", name="Logga ut").tap()
    phone_page.wait_for_url("**/login**")
    uploads.test_interrupted_upload_resumes_without_resending_parts(phone_page, app, factory, tmp_path, s3_proxy)
