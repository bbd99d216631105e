"""XSS payloads render inert in the seeker, listener and staff pages (Chromium).

Generated payloads (script tags, event handlers, ``javascript:`` URLs,
attribute breakouts, ``<iframe srcdoc>``, template/markup injection, encoded
and unicode variants) go in as chat text (seeker → listener, through the real
chat socket), report texts (through the REST API), room report reasons
(``room.message.report`` on the real room socket, shown on the staff page's
reported room messages and to the room's moderator on the room page), room text and aliases
(written in a setup script: an alias cannot be chosen through the API, and
200 room members are quicker made than signed up). Each payload, if it ever
ran, would set ``window.__xss`` (``parent.__xss`` from a frame). Every page is
loaded once, with the Content-Security-Policy *bypassed* so that the test
proves the rendering (text only, never markup) rather than the CSP, and then:

* the sentinel is unset and no dialog opened;
* no element anywhere carries an ``on…`` attribute, and there is no
  ``iframe``/``object``/``embed``/``base``/``meta refresh``, no
  ``javascript:`` link and no script the app did not ship;
* the payload text is shown literally (every message compared with what the
  server stored, plus spot checks against the payload list).

All 200 payloads go in each place in CI too: the whole module takes about
30 s (seeding is by the batch, each page is loaded once), so there is no
separate full variant.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import websockets

from safety.classifier import mask_personal_info
from tests.e2e.browser import STAFF, TIMEOUT_MS, _require_browser, browser, manage_python  # noqa: F401 (browser: fixture)
from tests.e2e.servers import DaphneCluster, HttpClient

pytestmark = [pytest.mark.security, pytest.mark.browser, pytest.mark.e2e]

S = "__xss=1"  # what every payload tries to run

TEMPLATES = [
    "<script>{s}</script>",
    "<img src=x onerror={s}>",
    '<img src="x" onerror="window.{s}">',
    "<IMG SRC=x OnErRoR={s}>",
    "<img/src/onerror={s}>",
    "<svg onload={s}>",
    "<svg/onload={s}//",
    "<svg><script>{s}</script></svg>",
    '<a href="javascript:{s}">click</a>',
    "javascript:{s}",
    "JaVaScRiPt:{s}",
    '"><img src=x onerror={s}>',
    "'><svg onload={s}>",
    '" onmouseover="{s}" x="',
    "' autofocus onfocus='{s}' x='",
    '<iframe srcdoc="<script>parent.{s}</script>"></iframe>',
    '<iframe srcdoc="&lt;img src=x onerror=parent.{s}&gt;"></iframe>',
    '<iframe src="javascript:parent.{s}"></iframe>',
    '<iframe src="data:text/html,<script>parent.{s}</script>">',
    "{{{{constructor.constructor('{s}')()}}}}",
    "{{{{ {s} }}}}",
    "${{{s}}}",
    "<%= {s} %>",
    "<body onload={s}>",
    "<details open ontoggle={s}>",
    "<input autofocus onfocus={s}>",
    "<select autofocus onfocus={s}>",
    "<textarea autofocus onfocus={s}>",
    "<video><source onerror={s}></video>",
    "<audio src=x onerror={s}>",
    "<math><mtext><table><mglyph><style><img src=x onerror={s}>",
    '<object data="javascript:{s}">',
    '<embed src="javascript:{s}">',
    "<form><button formaction=javascript:{s}>go</button></form>",
    "<marquee onstart={s}>",
    "<style>@import 'javascript:{s}'</style>",
    '<meta http-equiv="refresh" content="0;url=javascript:{s}">',
    '<base href="javascript:{s}//">',
    "&lt;img src=x onerror={s}&gt;",
    "&#60;script&#62;{s}&#60;/script&#62;",
    "%3Cscript%3E{s}%3C/script%3E",
    "\\u003cimg src=x onerror={s}\\u003e",
    "\uff1cscript\uff1e{s}\uff1c/script\uff1e",
    "<scr<script>ipt>{s}</scr</script>ipt>",
    "<img src=x onerror=&#95;&#95;xss=1>",
    "</textarea><script>{s}</script>",
    "</title><script>{s}</script>",
    '<!--<img src="--><img src=x onerror={s}//">',
    '<noscript><p title="</noscript><img src=x onerror={s}>">',
    "[click](javascript:{s})",
    '<a href=" &#14;javascript:{s}">x</a>',
    "<template><img src=x onerror={s}></template><img src=x onerror={s}>",
    '<div style="background:url(javascript:{s})">x</div>',
    "<x onclick={s}>click me",
    "<img src=x onerror=eval(atob('X194c3M9MQ=='))>",
    '<script src="data:text/javascript,{s}"></script>',
    "<scr\u200bipt>{s}</scr\u200bipt>",
    "<img src=x onerror=\u202e{s}>",
    '<a href="jav&#x09;ascript:{s}">tab</a>',
    "<svg><animate onbegin={s} attributeName=x dur=1s>",
    '<img src=x onerror="{s}"//',
    '\\"><script>{s}</script>',
    "<isindex type=image src=1 onerror={s}>",
    "<keygen autofocus onfocus={s}>",
    "<xmp><img src=x onerror={s}></xmp>",
    "<plaintext><img src=x onerror={s}>",
    '<link rel=import href="data:text/html,<script>parent.{s}</script>">',
]
WRAPPERS = ["{p}", "hi {p}", "</p>{p}<p>", "\"'>{p}"]
# Short ones for aliases (at most 40 characters, unique).
ALIAS_TEMPLATES = [
    "<img src=x onerror={s}>",
    "<svg onload={s}>",
    "<script>{s}</script>",
    '"><img src=x onerror={s}>',
    "javascript:{s}",
    "{{{{constructor.constructor('{s}')()}}}}"[:38],
    "<x onclick={s}>",
    "<b onmouseover={s}>",
]


def payloads(count: int) -> list[str]:
    generated = [wrapper.format(p=template.format(s=S)) for wrapper in WRAPPERS for template in TEMPLATES]
    assert len(generated) >= 200
    return generated[:count]


def alias_payloads(count: int) -> list[str]:
    out = []
    for i in range(count):
        base = ALIAS_TEMPLATES[i % len(ALIAS_TEMPLATES)].format(s=S)
        suffix = f"{i}"
        out.append(base[: 40 - len(suffix)] + suffix)
    assert all(len(alias) <= 40 for alias in out) and len(set(out)) == len(out)
    return out


COUNT = 200
LISTENER_ALIAS = '"><img src=x onerror=__xss=1>L'
SEEKER_ALIAS = "<svg onload=__xss=1>S"
LISTENER_LOGIN = ("xsslistener", "xss-listener-password")

# Checks run in every page and every frame after the page has rendered the data.
INERT = """() => {
    const found = [];
    for (const node of document.querySelectorAll('*')) {
        for (const attr of node.attributes) {
            if (/^on/i.test(attr.name)) found.push(`${node.tagName} ${attr.name}`);
            if (/^\\s*javascript:/i.test(attr.value)) found.push(`${node.tagName} ${attr.name}=javascript:`);
        }
    }
    for (const node of document.querySelectorAll('iframe, object, embed, base, meta[http-equiv], frame, frameset'))
        found.push(node.tagName);
    for (const script of document.scripts) {
        // json_script data blocks (the server's settings for the page) are data the browser never runs.
        if (!script.src && script.type === 'application/json' && script.id && !script.closest('.msg, .queue-item, #transcript, #reports')) continue;
        if (!script.src || !new URL(script.src).pathname.startsWith('/static/')) found.push('SCRIPT ' + (script.src || 'inline'));
    }
    return {sentinel: typeof window.__xss === 'undefined' ? null : String(window.__xss), found};
}"""


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _require_browser()
    cluster = DaphneCluster(
        workdir=tmp_path_factory.mktemp("xss"),
        extra_env={
            "HEARTH_SCHEDULER_IN_PROCESS": "0",
            "HEARTH_ANON_SESSIONS_PER_IP": "1000",
            "HEARTH_LOGIN_RATE_PER_IP": "1000",
            "CHAT_RATE_MESSAGES": "100000",
            "SAFETY_REPORTS_PER_HOUR": "100000",
            "ROOMS_JOIN_HISTORY": "250",
        },
    )
    cluster.prepare()
    cluster.manage("seed_demo")
    process = cluster.start()
    process.cluster = cluster
    try:
        yield process
    finally:
        cluster.stop()


def _setup(server) -> dict:
    """A listener and a seeker with hostile aliases in one active chat; a room full of hostile aliases."""
    texts = payloads(COUNT)
    seeker_http = HttpClient(server.http)
    me = seeker_http.start_anonymous(30)
    listener_alias, seeker_alias = LISTENER_ALIAS, SEEKER_ALIAS
    out = manage_python(
        server,
        f"""
import json
from django.utils import timezone
from chat.models import Conversation, ConversationStatus
from listeners.models import ListenerProfile, ListenerStatus
from rooms.models import Room, RoomMessage, RoomModerator
from support.models import Role, Topic, User
now = timezone.now()
topic = Topic.objects.filter(is_active=True).order_by("pk").first()
listener = User.objects.create(username={LISTENER_LOGIN[0]!r}, alias={listener_alias!r}, role=Role.LISTENER)
listener.set_password({LISTENER_LOGIN[1]!r})
listener.save()
profile, _ = ListenerProfile.objects.get_or_create(user=listener)
profile.status = ListenerStatus.ACTIVE
profile.trained_at = now
profile.approved_for_adults = True
profile.save()
profile.topics.set(Topic.objects.filter(is_active=True))
seeker = User.objects.get(alias={me.get("alias") or me["user"]["alias"]!r})
seeker.alias = {seeker_alias!r}
seeker.save(update_fields=["alias"])
conversation = Conversation.objects.create(seeker=seeker, listener=listener, topic=topic, status=ConversationStatus.ACTIVE, started_at=now)
room = Room.objects.create(topic=topic, audience="adult", name="<img src=x onerror=__xss=1> room", capacity=500,
                           guideline="<script>__xss=1</script> Be kind.")
RoomModerator.objects.create(room=room, listener=listener)
aliases = json.loads({json.dumps(alias_payloads(COUNT))!r})
texts = json.loads({json.dumps(texts)!r})
members = User.objects.bulk_create([User(username="xss-member-%d" % i, alias=alias, role=Role.SEEKER, age_group="adult")
                                    for i, alias in enumerate(aliases)])
RoomMessage.objects.bulk_create([RoomMessage(room=room, seq=i + 1, sender=members[i], text=text, created_at=now)
                                 for i, text in enumerate(texts)])
Room.objects.filter(pk=room.pk).update(last_seq=len(texts))
print(json.dumps({{"conversation": conversation.pk, "room": room.pk}}))
""",
    )
    ids = json.loads(out.splitlines()[-1])
    listener_http = HttpClient(server.http)
    listener_http.login(*LISTENER_LOGIN)

    async def chat():
        # The seeker's payloads go through the real chat socket, the listener answers each with a report.
        async with websockets.connect(
            f"{server.ws}/ws/v1/chat/",
            origin=server.http,
            additional_headers=seeker_http.ws_headers(),
            compression=None,
        ) as ws:
            acks = {}
            client_ids = [uuid.uuid4().hex for _ in texts]
            for client_id, text in zip(client_ids, texts):
                await ws.send(
                    json.dumps(
                        {
                            "type": "message.send",
                            "conversation": ids["conversation"],
                            "client_id": client_id,
                            "text": text,
                        }
                    )
                )
            while len(acks) < len(texts):
                frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if frame["type"] == "message.ack":
                    acks[frame["client_id"]] = frame["seq"]
                assert frame["type"] != "error", frame
            return [acks[c] for c in client_ids]

    async def room_reports():
        # The seeker reports every room message through the room socket, each with a payload as the reason.
        async with websockets.connect(
            f"{server.ws}/ws/v1/rooms/{ids['room']}/",
            origin=server.http,
            additional_headers=seeker_http.ws_headers(),
            compression=None,
        ) as ws:
            hello = json.loads(await asyncio.wait_for(ws.recv(), 30))
            assert hello["type"] == "room.hello", hello
            for seq, reason in enumerate(texts, start=1):
                await ws.send(
                    json.dumps({"type": "room.message.report", "seq": seq, "reason": reason, "ref": f"r{seq}"})
                )
            acked = set()
            while len(acked) < len(texts):
                frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
                assert frame["type"] != "error", frame
                if frame["type"] == "room.message.report.ack":
                    acked.add(frame["seq"])

    # Playwright's sync API runs an event loop in this thread: the socket client gets a thread of its own.
    with ThreadPoolExecutor(1) as pool:
        seqs = pool.submit(asyncio.run, chat()).result()
        pool.submit(asyncio.run, room_reports()).result()
    for index, (seq, text) in enumerate(zip(seqs, texts)):
        # The first report is a risk report: it makes the flag an alert in the staff queue.
        status, body = listener_http.request(
            "POST",
            "/api/v1/reports",
            {
                "conversation": ids["conversation"],
                "seq": seq,
                "reason": "self_harm_risk" if index == 0 else "other",
                "text": text,
            },
        )
        assert status in (200, 201), body
    stored = json.loads(
        manage_python(
            server,
            f"""
import json
from chat.models import Message
print(json.dumps([m.text for m in Message.objects.filter(conversation_id={ids["conversation"]}, kind="text").order_by("seq")]))
""",
        ).splitlines()[-1]
    )
    reasons = json.loads(
        manage_python(
            server,
            f"""
import json
from rooms.models import RoomMessageReport
print(json.dumps([r.reason for r in RoomMessageReport.objects.filter(message__room_id={ids["room"]}).order_by("message__seq")]))
""",
        ).splitlines()[-1]
    )
    assert len(reasons) == len(texts)
    return {**ids, "texts": texts, "stored": stored, "reasons": reasons, "seeker_cookies": seeker_http.cookies}


@pytest.fixture(scope="module")
def data(server):
    return _setup(server)


def _page(browser, server, cookies=None):
    context = browser.new_context(base_url=server.http, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    if cookies:
        context.add_cookies([{"name": k, "value": v, "url": server.http} for k, v in cookies.items()])
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    return context, page


def _assert_inert(page, where: str) -> None:
    page.wait_for_timeout(300)  # let onerror/onload/autofocus handlers fire if anything was rendered as markup
    for frame in page.frames:
        result = frame.evaluate(INERT)
        assert result["sentinel"] is None, f"{where}: a payload ran ({frame.url})"
        assert not result["found"], f"{where}: markup from user text: {result['found'][:10]}"
    assert not page.dialogs, f"{where}: a dialog opened: {page.dialogs}"


def _sign_in(page, path, username, password):
    page.goto(path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_chat_payloads_and_aliases_render_as_text_for_the_seeker(browser, server, data):
    context, page = _page(browser, server, data["seeker_cookies"])
    try:
        page.goto("/talk/")
        expect(page.get_by_role("heading", name=f"You're talking with {LISTENER_ALIAS}")).to_be_visible()
        mine = page.locator(".chat-log .msg-mine .msg-text")
        expect(mine).to_have_count(len(data["stored"]))
        assert mine.all_text_contents() == data["stored"]
        # Spot checks: what the seeker typed is what is shown, character for character.
        for index in (0, 15, 19, len(data["texts"]) - 1):
            if data["stored"][index] == data["texts"][index]:
                expect(mine.nth(index)).to_have_text(data["texts"][index])
        _assert_inert(page, "seeker chat")
    finally:
        context.close()


def test_chat_payloads_and_the_seeker_alias_render_as_text_for_the_listener(browser, server, data):
    context, page = _page(browser, server)
    try:
        _sign_in(page, "/listen/", *LISTENER_LOGIN)
        panel = page.locator("[role=tabpanel]:not([hidden])")
        theirs = panel.locator(".msg-theirs .msg-text")
        expect(theirs).to_have_count(len(data["stored"]))
        assert theirs.all_text_contents() == data["stored"]
        expect(page.get_by_role("tab").first).to_contain_text(SEEKER_ALIAS)
        _assert_inert(page, "listener console")
    finally:
        context.close()


def test_reported_payloads_render_as_text_in_the_staff_queue_and_transcript(browser, server, data):
    context, page = _page(browser, server)
    try:
        _sign_in(page, "/staff/", *STAFF)
        item = page.locator(".queue-item").first
        expect(item).to_be_visible()
        # The flag's excerpt is the first reported message, shown literally.
        expect(item.locator(".offer-note")).to_have_text(f"“{data['stored'][0]}”")
        item.get_by_role("button").click()
        transcript = page.locator("#transcript .msg-text")
        expect(transcript).to_have_count(len(data["stored"]))
        assert transcript.all_text_contents() == data["stored"]
        expect(page.locator("#transcript .msg-sender").first).to_have_text(f"{SEEKER_ALIAS} (seeker)")
        # The reporters' own words (each report's text is a payload) are listed as text too.
        reports = page.locator("#reports .report-text")
        expect(reports.first).to_be_visible()
        shown = reports.all_text_contents()
        # Stored as screened: contact-looking fragments ("@import") are masked like in a message.
        assert shown and set(shown) <= {mask_personal_info(text.strip()).text for text in data["texts"]}, shown[:3]
        _assert_inert(page, "staff page")
    finally:
        context.close()


def test_room_report_reasons_render_as_text_on_the_staff_page(browser, server, data):
    context, page = _page(browser, server)
    try:
        _sign_in(page, "/staff/", *STAFF)
        items = page.locator("#room-reports .room-report")
        expect(items).to_have_count(len(data["texts"]))
        # Most recently reported first: the seeker reported seq 1 … 200 in order.
        assert page.locator("#room-reports .room-report-message").all_text_contents() == data["texts"][::-1]
        shown_reasons = page.locator("#room-reports .room-report-reason .report-text").all_text_contents()
        assert shown_reasons == data["reasons"][::-1]
        # The reasons are the payloads as screening stores them: stripped, contact-looking fragments masked.
        assert data["reasons"] == [mask_personal_info(text.strip()).text for text in data["texts"]]
        # The room's hostile name, the writer's and the reporter's hostile aliases are text too.
        first = items.first
        expect(first.locator(".msg-sender")).to_contain_text("<img src=x onerror=__xss=1> room")
        expect(first.locator(".msg-sender")).to_contain_text(alias_payloads(len(data["texts"]))[-1])
        expect(first.locator(".room-report-reason .hint")).to_contain_text(f"by {SEEKER_ALIAS}")
        _assert_inert(page, "staff page, reported room messages")
    finally:
        context.close()


def _room_checks(page, data, where: str) -> None:
    # The room hello carries the newest messages that fit one frame; older ones come on request.
    older = page.locator("#load-older")
    for _ in range(20):
        if not older.is_visible():
            break
        shown = page.locator(".msg-theirs .msg-text").count()
        older.click()
        expect(page.locator(".msg-theirs .msg-text")).not_to_have_count(shown)
    texts = page.locator(".msg-theirs .msg-text")
    expect(texts).to_have_count(len(data["texts"]))
    assert texts.all_text_contents() == data["texts"]
    senders = page.locator(".msg-theirs .msg-sender").all_text_contents()
    aliases = alias_payloads(len(data["texts"]))
    assert [s.removesuffix(" (moderator)") for s in senders] == aliases
    _assert_inert(page, where)


def test_room_payloads_and_member_aliases_render_as_text_for_a_seeker(browser, server, data):
    context, page = _page(browser, server, data["seeker_cookies"])
    try:
        page.goto(f"/rooms/{data['room']}/")
        _room_checks(page, data, "room page (seeker)")
    finally:
        context.close()


def test_room_payloads_render_as_text_for_the_moderating_listener(browser, server, data):
    context, page = _page(browser, server)
    try:
        _sign_in(page, "/listen/", *LISTENER_LOGIN)
        page.locator("#console-title").wait_for()
        page.goto(f"/rooms/{data['room']}/")
        # As the room's moderator the page also lists reported messages with every reason
        # (the 50 most recently reported: the seeker reported seq 1 … 200 in order).
        reasons = page.locator("#reports-list .room-report-reason .report-text")
        expect(reasons).to_have_count(50)
        assert reasons.all_text_contents() == data["reasons"][::-1][:50]
        assert page.locator("#reports-list .room-report-message").all_text_contents() == data["texts"][::-1][:50]
        _room_checks(page, data, "room page (listener)")
    finally:
        context.close()


def test_the_payload_list_is_the_promised_size_and_variety():
    everything = payloads(200)
    assert len(set(everything)) == 200
    for needle in (
        "<script>",
        "onerror=",
        "onload=",
        "javascript:",
        '">',
        "<iframe srcdoc",
        "{{",
        "&#60;",
        "%3C",
        "\uff1c",
    ):
        assert any(needle in p for p in everything), needle
