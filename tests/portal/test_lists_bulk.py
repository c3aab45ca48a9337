"""Search and paging on the lists that grow, and the bulk actions of admins and leaders: bounded
reads (the same statements for 3 or 60 rows), per-line errors, all-or-nothing saves."""

import re

import pytest

from portal.extensions import db
from portal.models import AuditEvent, Group, Organisation, Participant, User
from portal.services import accounts, bulk, paging
from tests.conftest import client_as, counted_queries, csrf_from, page
from tests.group_fixtures import make_group


def add_people(app, org_id, count, prefix="Person"):
    with app.app_context():
        org = db.session.get(Organisation, org_id)
        for n in range(count):
            db.session.add(User(email=f"{prefix.lower()}{n:03d}@example.org", name=f"{prefix} {n:03d}",
                                organisation=org, active=True))
        db.session.commit()


# The paging service ---------------------------------------------------------------------------

def test_paginate_reads_one_bounded_page_and_clamps_the_number(app, factory):
    org_id = factory.organisation("Kommun p")
    add_people(app, org_id, 7)
    with app.app_context():
        query = db.select(User).where(User.organisation_id == org_id).order_by(User.name)
        second = paging.paginate(query, 2, per_page=3)
        assert [u.name for u in second] == ["Person 003", "Person 004", "Person 005"]
        assert (second.total, second.pages, second.has_previous, second.has_next) == (7, 3, True, True)
        assert (second.first_index, second.last_index) == (4, 6)
        past = paging.paginate(query, 99, per_page=3)
        assert past.number == 3 and [u.name for u in past] == ["Person 006"] and not past.has_next
        assert paging.page_number("x") == 1 and paging.page_number("-2") == 1 and paging.page_number("4") == 4


def test_search_matches_every_word_case_insensitively_and_takes_wildcards_literally(app, factory):
    org_id = factory.organisation("Kommun s")
    with app.app_context():
        org = db.session.get(Organisation, org_id)
        for name, email in (("Anna Berg", "anna@example.org"), ("Anna Lind", "al@example.org"),
                            ("Bo 100% Berg", "bo@example.org")):
            db.session.add(User(email=email, name=name, organisation=org, active=True))
        db.session.commit()
        names = lambda q: [u.name for u in accounts.people(org_id, q)]  # noqa: E731
        assert names("anna") == ["Anna Berg", "Anna Lind"]
        assert names("BERG anna") == ["Anna Berg"]
        assert names("AL@EXAMPLE") == ["Anna Lind"]
        assert names("100%") == ["Bo 100% Berg"] and names("%") == ["Bo 100% Berg"]
        assert names("_") == []
        assert len(names("")) == 3


# People ---------------------------------------------------------------------------------------

def test_the_people_list_is_searched_and_paged_at_a_constant_cost(app, factory):
    ids = make_group(app, factory)
    admin = client_as(app, "admin-a@example.org")
    add_people(app, ids["org"], 3)
    page(admin, "/admin/users")
    with counted_queries(app) as few:
        page(admin, "/admin/users")
    add_people(app, ids["org"], 60, prefix="Extra")
    with counted_queries(app) as many:
        html = page(admin, "/admin/users")
    assert len(few) == len(many)
    assert 'role="search"' in html and '<label for="list-search">Sök personer på namn eller e-post</label>' in html
    assert '<nav class="pager" aria-label="Sidor med personer">' in html and "Sida 1 av 2" in html
    assert "Visar 1–50 av 67" in html
    second = page(admin, "/admin/users?page=2")
    assert "Sida 2 av 2" in second and "Visar 51–67 av 67" in second and 'rel="prev"' in second
    found = page(admin, "/admin/users?q=extra+059")
    assert "Extra 059" in found and "Extra 058" not in found and 'class="pager"' not in found
    assert "Ingen matchar ”nobody”." in page(admin, "/admin/users?q=nobody")


def test_another_organisations_people_are_never_listed_or_found(app, factory):
    make_group(app, factory, tag="a")
    make_group(app, factory, tag="b")
    html = page(client_as(app, "admin-a@example.org"), "/admin/users?q=example.org")
    assert "lena-a@example.org" in html and "lena-b@example.org" not in html


# Bulk invite ----------------------------------------------------------------------------------

INVITES = ("Karin Ek, karin@example.org, gruppledare\n"
           "\n"
           "Per Al; PER@example.org; handledare + administratör\n"
           "Mona Ny\tmona@example.org\tleader")


def test_a_pasted_list_creates_mails_and_audits_every_invitation(app, factory, mail_server, run_jobs):
    ids = make_group(app, factory)
    with app.app_context():
        org, actor = db.session.get(Organisation, ids["org"]), db.session.get(User, ids["admin"])
        refused = bulk.invite_people(INVITES, org, actor)  # an organisation admin makes no supervisor
        assert not refused.done and [line.number for line in refused.wrong] == [3]
        assert "programägarens pool" in " ".join(refused.wrong[0].errors)
        outcome = bulk.invite_people(INVITES, org, actor, allowed_roles={"leader", "supervisor", "admin"})
        assert outcome.done and [line.number for line in outcome.lines] == [1, 3, 4]
        db.session.commit()
        bulk.send_invitations(outcome)
        per = db.session.scalars(db.select(User).where(User.email == "per@example.org")).one()
        assert set(per.roles) == {"supervisor", "admin"} and per.organisation_id == ids["org"]
        assert not per.has_password
        invited = db.session.scalars(db.select(AuditEvent.object_id).where(AuditEvent.action == "user.invited")).all()
        assert len(invited) == 3 and per.id in invited
    run_jobs()
    sent = [m["To"] for m in mail_server.messages]
    assert {"karin@example.org", "per@example.org", "mona@example.org"} <= set(sent)


def test_one_wrong_line_invites_no_one_and_each_wrong_line_says_why(app, factory):
    ids = make_group(app, factory)
    text = ("Karin Ek, karin@example.org, gruppledare\n"
            "Utan roll, utan@example.org, chef\n"
            "Lena igen, lena-a@example.org, gruppledare\n"
            "Dubblett, KARIN@example.org, handledare\n"
            "bara ett namn\n"
            "Trasig, inte-en-adress, handledare")
    with app.app_context():
        org, actor = db.session.get(Organisation, ids["org"]), db.session.get(User, ids["admin"])
        outcome = bulk.invite_people(text, org, actor)
        db.session.rollback()
        assert not outcome.done and [line.number for line in outcome.wrong] == [2, 3, 4, 5, 6]
        errors = {line.number: " ".join(line.errors) for line in outcome.wrong}
        assert "Okänd roll ”chef”" in errors[2] and "redan ett konto" in errors[3] and "rad 1" in errors[4]
        assert "åtskilda med kommatecken" in errors[5] and "giltig e-postadress" in errors[6]
        assert db.session.scalar(db.select(User.id).where(User.email == "karin@example.org")) is None
        with pytest.raises(accounts.AccountError):
            bulk.invite_people("\n \n", org, actor)


def test_the_invite_page_shows_the_wrong_lines_then_invites_the_corrected_list(app, factory, mail_server):
    make_group(app, factory)
    admin = client_as(app, "admin-a@example.org")
    html = page(admin, "/admin/users/invite")
    data = {"csrf_token": csrf_from(html), "language": "sv",
            "people": "Karin Ek, karin@example.org, gruppledare\nMona, mona@example, gruppledare"}
    wrong = admin.post("/admin/users/invite", data=data).get_data(as_text=True)
    assert 'role="alert"' in wrong and "1 rad behöver rättas; ingen bjöds in." in wrong
    assert '<li data-line="2">Rad 2' in wrong and "karin@example.org" in wrong  # the list is kept
    data["people"] = "Karin Ek, karin@example.org, gruppledare\nMona, mona@example.org, gruppledare"
    done = admin.post("/admin/users/invite", data=data, follow_redirects=True).get_data(as_text=True)
    assert "2 personer har lagts upp och bjudits in." in done and "Mona" in done
    assert page(client_as(app, "lena-a@example.org"), "/admin/users/invite", status=403)


# Bulk participant codes -----------------------------------------------------------------------

def test_codes_that_identify_a_person_or_repeat_are_refused_per_line_and_nothing_is_saved(app, factory):
    ids = make_group(app, factory)
    with app.app_context():
        group, leader = db.session.get(Group, ids["group"]), db.session.get(User, ids["uploader"])
        assert bulk.add_participants(group, "A1\nB2", leader).done
        db.session.commit()
        outcome = bulk.add_participants(group, "C3\n19850101-1234\nanna@example.org\na1\nD4\nd4\nfår inte!", leader)
        db.session.rollback()
        assert not outcome.done and [line.number for line in outcome.wrong] == [2, 3, 4, 6, 7]
        errors = {line.number: " ".join(line.errors) for line in outcome.wrong}
        assert "personnummer" in errors[2] and "e-postadress" in errors[3]
        assert "redan en deltagare" in errors[4] and "rad 5" in errors[6] and "1 till 20" in errors[7]
        codes = db.session.scalars(db.select(Participant.code).where(Participant.group_id == group.id)).all()
        assert sorted(codes) == ["A1", "B2"]


def test_the_leader_adds_several_codes_on_the_group_page(app, factory):
    ids = make_group(app, factory)
    leader = client_as(app, "lena-a@example.org")
    assert "participants-many-link" in page(leader, f"/groups/{ids['group']}")
    path = f"/groups/{ids['group']}/participants/many"
    token = csrf_from(page(leader, path))
    wrong = leader.post(path, data={"csrf_token": token, "codes": "A1\n850101-1234"}).get_data(as_text=True)
    assert '<li data-line="2">Rad 2: ' in wrong and "850101-1234</li>" not in wrong
    done = leader.post(path, data={"csrf_token": token, "codes": "A1\nB2\nC3"}, follow_redirects=True)
    assert "3 deltagare är registrerade." in done.get_data(as_text=True)
    assert client_as(app, "sara-a@example.org").get(path).status_code == 403  # supervises, does not manage
    outsider = make_group(app, factory, tag="b")
    assert client_as(app, "admin-b@example.org").get(path).status_code == 404 and outsider


# Groups, films and the register ---------------------------------------------------------------

def test_the_group_lists_are_searched_and_paged(app, factory):
    ids = make_group(app, factory)
    with app.app_context():
        group = db.session.get(Group, ids["group"])
        for n in range(52):
            db.session.add(Group(organisation_id=ids["org"], program_id=group.program_id, title=f"Höst {n:02d}",
                                 start_date=group.start_date, purpose="regular"))
        db.session.commit()
    admin = client_as(app, "admin-a@example.org")
    listed = page(admin, "/groups/")
    assert "Visar 1–50 av 53" in listed and "Sida 1 av 2" in listed
    assert len(re.findall(r'href="/groups/\d+">', listed)) == 50
    found = page(admin, "/groups/?q=grupp")
    assert "Grupp a<" in found and "Höst" not in found
    overview = page(admin, "/admin/groups?q=h%C3%B6st+51").split('id="all-groups"')[1]
    assert "Höst 51<" in overview and "Höst 50<" not in overview
    assert "Grupp a<" in page(client_as(app, "lena-a@example.org"), "/groups/?q=connect")  # by program


def test_the_register_is_searched_by_name(app, factory):
    from tests.certification_fixtures import certify, complete_group

    ids = complete_group(app, factory, supervised=6)
    certify(app, ids)
    admin = client_as(app, "admin-a@example.org")
    html = page(admin, "/certification/register?q=lena")
    assert f'data-leader="{ids["uploader"]}"' in html and f'data-leader="{ids["co_leader"]}"' not in html
    assert "Visar 1–1 av 1" in html
    assert "Ingen certifierad ledare matchar" in page(admin, "/certification/register?q=zzz")


def test_the_group_pages_participants_are_searched_and_paged_by_code(app, factory):
    ids = make_group(app, factory)
    leader = client_as(app, "lena-a@example.org")
    path = f"/groups/{ids['group']}"
    assert 'role="search"' not in page(leader, path)  # a small group needs no search
    with app.app_context():
        group, user = db.session.get(Group, ids["group"]), db.session.get(User, ids["uploader"])
        assert bulk.add_participants(group, "\n".join(f"K{n:02d}" for n in range(55)), user).done
        db.session.commit()
    html = page(leader, path)
    assert '<nav class="pager" aria-label="Sidor med deltagare">' in html and "Visar 1–50 av 55" in html
    assert f'href="/groups/{ids["group"]}?page=2#participants"' in html
    assert "K54<" in page(leader, path + "?page=2") and "K00<" not in page(leader, path + "?page=2")
    found = page(leader, path + "?q=k07")
    assert "K07<" in found and "K08<" not in found and 'action="#participants"' in found


def test_the_supervisors_queue_is_searched_with_the_filters_kept_and_paged(app, factory):
    from tests.films import ready_film
    from tests.portal.test_review_pages import add_films, add_group, queue_rows

    film = ready_film(app, factory)
    add_group(app, film, "ny")
    add_films(app, film, 60)  # the film's group and new ones, 60 films in all
    supervisor = client_as(app, film["emails"]["supervisor"])
    first, second = (queue_rows(page(supervisor, f"/review/?page={n}")) for n in (1, 2))
    assert (len(first), len(second)) == (50, 10) and not {r for r, _s in first} & {r for r, _s in second}
    assert "Filmer: 60" in page(supervisor, "/review/")
    with app.app_context():
        group = db.session.get(Group, film["group"])
        title, own = group.title, {r.id for s in group.sessions for r in s.recordings}
    found = page(supervisor, "/review/?status=not_started&q=" + title)
    rows = [r for r, _s in queue_rows(found)]
    assert film["recording"] in rows and set(rows) <= own and len(rows) < 60
    assert '<input type="hidden" name="status" value="not_started">' in found  # the search keeps the filter
    assert '<input type="hidden" name="q" value="' + title + '">' in found  # and the filter the search
