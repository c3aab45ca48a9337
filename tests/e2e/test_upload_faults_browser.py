"""Fault-injection scenarios for the browser upload (issues 9 and 15): a dropped line, expired
part URLs, the page closed mid-part.

Chromium → FaultyTcpProxy (can reset every connection) → CountingProxy (CORS, URL expiry, counts)
→ moto. Each scenario repeats its fault ``fault_repeat()`` times, each time with a fresh group,
login and random file of a few 5 MiB parts, and records every attempt in ``fault_tally``.
"""

import hashlib
import math
import os
import threading
import time
from contextlib import contextmanager
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError

from portal.extensions import db
from portal.models.recordings import Recording, SourceFile
from portal.services import uploads
from portal.services.storage import get_storage
from portal.storage_local.signing import load_signed
from tests.conftest import fault_repeat
from tests.e2e.test_upload_browser import (
    choose,
    open_upload_page,
    recordings,
    start_upload,
    stored_object_sha256,
    wait_until_uploaded,
)
from tests.faults.tcp_proxy import FaultyTcpProxy
from tests.films import MiB, group_with_session, small_parts
from tests.proxy import CountingProxy, gunicorn_like

pytestmark = [pytest.mark.fault,
              # once, on SQLite: the fault is in the network, not in the database
              pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

PART = 5 * MiB
CUT_AT = 0.4  # share of the file's bytes sent when the line drops
LINE_DOWN = 0.6  # seconds the line stays down after the cut
URL_TTL = 2  # seconds a part URL lives in the expiry scenario
SLEEP = URL_TTL + 1.5  # seconds the laptop sleeps (the upload stays paused)
RATE = 12 * MiB  # bytes per second of the throttled uplink
STALL_AT = 4.5  # parts' worth of bytes sent when the link stalls: Uppy's first 4 done, 3 in flight


@pytest.fixture
def store(app, s3_server):
    """The app on S3 (moto); part URLs send Chromium through a FaultyTcpProxy, then CountingProxy."""
    counting = CountingProxy(s3_server.port)
    faulty = FaultyTcpProxy(counting.port)
    app.config.update(s3_server.config(s3_server.new_bucket()), S3_PUBLIC_ENDPOINT_URL=faulty.url)
    small_parts(app, part=PART)
    yield SimpleNamespace(counting=counting, faulty=faulty)
    faulty.stop()
    counting.stop()


@pytest.fixture(params=["local", "s3"])
def throttled(request, app, live_server):
    """A throttled uplink (FaultyTcpProxy with a rate) between Chromium and storage. On S3 it sits
    in front of CountingProxy (CORS) and moto. On the local folder part URLs are the app's own, so
    the whole app is reached through it, served with gunicorn's request bodies as under
    `make run` (a torn part just ends early there)."""
    counting = None
    if request.param == "s3":
        s3 = request.getfixturevalue("s3_server")
        counting = CountingProxy(s3.port)
        faulty = FaultyTcpProxy(counting.port)
        app.config.update(s3.config(s3.new_bucket()), S3_PUBLIC_ENDPOINT_URL=faulty.url)
        base_url = live_server.url
    else:
        app.wsgi_app = gunicorn_like(app.wsgi_app)
        faulty = FaultyTcpProxy(live_server.port)
        base_url = faulty.url
        # Signed part URLs are absolute on PUBLIC_URL: they must go through the proxy too.
        app.config["PUBLIC_URL"] = faulty.url
    small_parts(app, part=PART)
    yield SimpleNamespace(backend=request.param, faulty=faulty, url=base_url, counting=counting)
    faulty.stop()
    if counting:
        counting.stop()


def new_tab(context):
    """A tab of ``context``; ``tab.errors`` lists the page's JavaScript errors."""
    tab = context.new_page()
    tab.errors = []
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    return tab


@contextmanager
def fresh_tab(browser, live_server, base_url=None):
    """A tab in a new browser context (no cookies, no sockets kept alive); ``tab.errors`` lists
    the page's JavaScript errors."""
    context = browser.new_context(base_url=base_url or live_server.url, locale="sv-SE")
    context.set_default_timeout(15_000)
    try:
        yield new_tab(context)
    finally:
        context.close()


def random_film(folder, parts):
    """A random file of ``parts`` parts, the last one partial."""
    film = folder / "00001.MTS"
    film.write_bytes(os.urandom((parts - 1) * PART + 1 + int.from_bytes(os.urandom(2)) * 64))
    return film


def wait_for(condition, timeout, what):
    """Poll ``condition`` until true. :raise TimeoutError: after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout} s for {what}")
        time.sleep(0.02)


def check_stored(app, tab, ids, film):
    """What went wrong with the finished upload, or None: recording, error box, checksum."""
    if recordings(app, ids["session"]) != [("uploaded", [(1, film.name, "uploaded")])]:
        return f"recording is {recordings(app, ids['session'])}"
    if tab.locator("#upload-error").is_visible():
        return f"the page shows an error: {tab.locator('#upload-error').inner_text()}"
    if tab.errors:
        return f"JavaScript errors: {tab.errors}"
    if stored_object_sha256(app, ids["session"]) != hashlib.sha256(film.read_bytes()).hexdigest():
        return "the stored original differs from the source"
    return None


def part_url_requests(tab):
    """The monotonic times of the page's requests for part URLs, filled in as they happen."""
    times = []
    tab.on("request", lambda request: times.append(time.monotonic())
           if request.method == "POST" and request.url.endswith("/part-urls") else None)
    return times


def drop_line_once_at(faulty, at):
    """Make ``faulty`` reset every open connection once its upward byte count reaches ``at``,
    and refuse new ones for LINE_DOWN seconds (so Chromium's own one-off resend of a request on
    a reset keep-alive connection fails too, and Uppy's retries must do the work). Returns a
    list that receives the number of connections cut."""
    cut = []
    lock = threading.Lock()

    def back_up():
        faulty.down = False

    def watch(total):
        if total >= at:
            with lock:
                if not cut:
                    faulty.down = True
                    cut.append(faulty.cut())
                    threading.Timer(LINE_DOWN, back_up).start()

    faulty.on_bytes = watch
    return cut


def test_network_cut_mid_upload_resumes_by_itself(browser, live_server, app, factory, tmp_path, store,
                                                  fault_tally):
    """The line drops at ~40 %: Uppy retries on its own, resends at most the parts cut, loses nothing."""
    for attempt in range(fault_repeat()):
        ids = group_with_session(app, factory)
        film = random_film(tmp_path, parts=4)
        parts = math.ceil(film.stat().st_size / PART)
        first_put = len(store.counting.put_attempts)
        with fresh_tab(browser, live_server) as tab:
            signed = part_url_requests(tab)
            open_upload_page(tab, ids)
            choose(tab, film)
            cut = drop_line_once_at(store.faulty, store.faulty.bytes_up + CUT_AT * film.stat().st_size)
            started = time.monotonic()
            start_upload(tab)
            try:
                wait_until_uploaded(tab)
                problem = check_stored(app, tab, ids, film)
            except (PlaywrightError, AssertionError) as error:
                problem = f"not uploaded: {error}".splitlines()[0]
            seconds = round(time.monotonic() - started, 2)
            store.faulty.on_bytes = None
        attempts = store.counting.put_attempts[first_put:]
        resent = len(attempts) - len(set(attempts))
        connections_cut = cut[0] if cut else 0
        signed_again = len(signed) - parts  # Uppy asks for a fresh URL before each retry
        if not problem and not connections_cut:
            problem = "the line was never cut (no connection open at 40 %)"
        elif not problem and signed_again < 1:
            problem = "the cut never reached Uppy (no part URL asked for again)"
        elif not problem and not 1 <= resent <= connections_cut:  # 0: the cut missed every part
            problem = f"{resent} part(s) sent again after cutting {connections_cut} connection(s)"
        fault_tally.record(recovered=problem is None, problem=problem, attempt=attempt + 1,
                           parts=parts, connections_cut=connections_cut, parts_resent=resent,
                           uppy_retries=signed_again, seconds=seconds)
    fault_tally.assert_clean()


def test_part_urls_expire_while_paused(browser, live_server, app, factory, tmp_path, store, fault_tally):
    """Paused mid-upload for longer than a part URL lives: on resume the upload asks for fresh
    URLs (or is refused with an expired one, then asks) and completes."""
    app.config["UPLOAD_PART_URL_TTL"] = URL_TTL
    for attempt in range(fault_repeat()):
        ids = group_with_session(app, factory)
        film = random_film(tmp_path, parts=6)
        first_put, first_expired = len(store.counting.put_attempts), len(store.counting.expired_puts)
        with fresh_tab(browser, live_server) as tab:
            signed = part_url_requests(tab)
            open_upload_page(tab, ids)
            choose(tab, film)
            # A slow line: Uppy's first four parts (its limit) are still on their way when the
            # leader pauses, the last two not started (on loopback the whole file would be in).
            # The delay costs nothing extra (it runs out during the sleep) and leaves a busy
            # machine all that time to click.
            store.counting.put_delay = SLEEP
            started = time.monotonic()
            paused = resumed = None
            start_upload(tab)
            try:
                wait_for(lambda: len(store.counting.put_attempts) - first_put >= 4, 30,  # noqa: B023
                         "the first parts on the line")
                toggle = tab.locator("[data-cy=togglePauseResume]")
                toggle.click()
                paused = time.monotonic()
                time.sleep(SLEEP)  # the laptop sleeps: every URL signed so far expires
                store.counting.put_delay = 0.0
                toggle.click()
                resumed = time.monotonic()
                wait_until_uploaded(tab)
                problem = check_stored(app, tab, ids, film)
            except (PlaywrightError, AssertionError, TimeoutError) as error:
                problem = f"not uploaded: {error}".splitlines()[0]
            finally:
                store.counting.put_delay = 0.0
            seconds = round(time.monotonic() - started, 2)
        attempts = store.counting.put_attempts[first_put:]
        refused = len(store.counting.expired_puts) - first_expired
        fresh_urls = sum(t >= resumed for t in signed) if resumed else 0
        if not problem and not (refused or fresh_urls):
            problem = "no part URL was asked for after the pause and none was refused"
        fault_tally.record(recovered=problem is None, problem=problem, attempt=attempt + 1,
                           parts=len(set(attempts)), part_puts=len(attempts), expired_refused=refused,
                           urls_before_pause=sum(t < paused for t in signed) if paused else len(signed),
                           urls_after_resume=fresh_urls, paused_seconds=round(resumed - paused, 2)
                           if resumed else None, seconds=seconds)
    fault_tally.assert_clean()


def part_puts(app, tab):
    """The part numbers the tab starts to PUT, from part URLs of either backend."""
    started = []

    def number(url):
        query = parse_qs(urlsplit(url).query)
        if "partNumber" in query:
            return int(query["partNumber"][0])
        with app.app_context():
            return int(load_signed(query["sig"][0], "put")["n"])

    tab.on("request", lambda r: started.append(number(r.url)) if r.method == "PUT" else None)
    return started


def stored_parts(app, session_id):
    """``{number: size}`` of the parts storage holds for the session's file, as stored (not
    filtered as the API lists them), and each part's expected size."""
    with app.app_context():
        source = db.session.scalar(db.select(SourceFile).join(Recording)
                                   .where(Recording.group_session_id == session_id))
        listed = get_storage().list_parts(source.storage_key, source.upload_id)
        expected = {n: uploads.expected_part_size(source, n) for n in range(1, source.part_count + 1)}
    return {p["number"]: p["size"] for p in listed}, expected


def settled_parts(app, session_id, timeout=15):
    """``stored_parts`` once storage has finished the parts it was writing: the same listing twice
    in a row 0.1 s apart (however slow a loaded machine is). :raise TimeoutError: after ``timeout`` s."""
    seen = [stored_parts(app, session_id)]

    def settled():
        time.sleep(0.1)
        seen.append(stored_parts(app, session_id))
        return seen[-1] == seen[-2]

    wait_for(settled, timeout, "storage to finish the parts it had")
    return seen[-1]


def test_page_closed_mid_part_resumes_by_resending_only_torn_parts(browser, live_server, app, factory, tmp_path,
                                                                  throttled, fault_tally):
    """On a slow uplink the leader closes the page while parts are on their way, opens it again
    and chooses the file: no torn part was kept, the upload completes, only parts not stored
    before the close are sent again, and the stored file is the original."""
    faulty = throttled.faulty
    for attempt in range(fault_repeat()):
        ids = group_with_session(app, factory)
        film = random_film(tmp_path, parts=7)
        parts = math.ceil(film.stat().st_size / PART)
        stored, expected, sent, problem, cut, torn_bytes = {}, {}, [], None, 0, 0
        started = time.monotonic()
        with fresh_tab(browser, live_server, throttled.url) as first:
            try:
                open_upload_page(first, ids)
                choose(first, film)
                faulty.rate = RATE
                before = faulty.bytes_up
                at = before + STALL_AT * PART
                faulty.on_bytes = lambda total: setattr(faulty, "stalled", True) if total >= at else None  # noqa: B023
                start_upload(first)
                deadline = time.monotonic() + 60
                while not faulty.stalled and time.monotonic() < deadline:
                    first.wait_for_timeout(20)
                if not faulty.stalled:
                    raise TimeoutError("the upload never reached the stall point")
                first.close()  # the leader closes the page (or the laptop) mid-part...
                faulty.down = True  # ...and what it had handed to the network never arrives:
                cut = faulty.cut()  # Chromium may resend a request cut on a kept-alive connection
                time.sleep(LINE_DOWN)  # before it has torn the closed tab's requests down
                cut += faulty.cut()
                faulty.on_bytes, faulty.stalled, faulty.rate, faulty.down = None, False, None, False
                stored, expected = settled_parts(app, ids["session"])  # storage finishes what it had whole
                went_up = faulty.bytes_up - before
                torn_bytes = went_up - sum(stored.values())  # bytes of parts that never became whole
                second = new_tab(first.context)  # the same browser, still logged in
                sent = part_puts(app, second)
                open_upload_page(second, ids, log_in=False)
                choose(second, film)
                start_upload(second)
                wait_until_uploaded(second)
                problem = check_stored(app, second, ids, film)
            except (PlaywrightError, AssertionError, TimeoutError) as error:
                problem = f"not uploaded: {error}".splitlines()[0]
            finally:
                faulty.on_bytes, faulty.stalled, faulty.rate, faulty.down = None, False, None, False
        seconds = round(time.monotonic() - started, 2)
        kept_torn = sorted(n for n, size in stored.items() if size != expected.get(n))
        resent = sorted(set(sent) & set(stored))
        if not problem and kept_torn:
            problem = f"part(s) {kept_torn} were kept torn"
        elif not problem and torn_bytes < PART // 4:
            problem = f"the close tore nothing ({torn_bytes} bytes of unfinished parts)"
        elif not problem and resent:
            problem = f"part(s) {resent} were sent again though stored before the close"
        elif not problem and not set(sent):
            problem = "no part was sent after reopening"
        lost = int(problem == "the stored original differs from the source")  # check_stored's words
        fault_tally.record(recovered=problem is None, lost=lost, problem=problem, attempt=attempt + 1,
                           backend=throttled.backend, parts=parts, parts_stored_before=len(stored),
                           connections_cut=cut, torn_bytes=torn_bytes, parts_sent_after=len(set(sent)),
                           seconds=seconds)
    fault_tally.assert_clean()
