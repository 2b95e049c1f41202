"""QA scores in real Chromium: a supervisor scores a recorded call on the review page
(the weighted total shown as the values are filled in) and pins a comment to the
player's current time; clicking the comment seeks the video there; the call's agent
signs in and finds the call, its total, the values and the comment on their own page,
and a supervisor's page is not theirs; /analytics charts and tables the agent's score by
week with its CSV. An admin defines the rubric on /admin (adds, changes and retires
criteria, and reorders them with the ordered editors' moves) and the review form follows
it, in that order. Screenshots at 1366x768 and 390x844."""

from __future__ import annotations

import csv as csv_module
import io
import re
from pathlib import Path
from urllib.parse import unquote

import av
import numpy as np
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from server.models.evidence import Recording
from server.models.qa import QaComment, QaCriterion, QaScore
from tests.helpers.accounts import add_user
from tests.helpers.browser_steps import sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.screens import LAPTOP, SIZES, shoot
from tests.helpers.servers import LiveServer
from tests.helpers.stored_calls import LENGTH_S, WAITED_S, store_call
from tests.helpers.waiting import NotYet, page_pause, wait_until

SCREENS = {"laptop": LAPTOP, "phone": SIZES["phone"]}
# the values given, by the shipped rubric's labels
VALUES = (("Asked for the right shots", "4"), ("Correct verdict", "1"), ("Policy followed", "0"))
TONE = "4"
CHART_JS = """(canvas) => {
  const chart = Chart.getChart(canvas);
  return { type: chart.config.type, labels: chart.data.labels,
           series: chart.data.datasets.map((d) => [d.label, d.data]) };
}"""


def expected_total(live_server: LiveServer, values: dict[str, int]) -> float:
    """The weighted total computed here from the rubric's scales and weights."""
    with Session(live_server.app.state.engine) as db:
        criteria = db.exec(select(QaCriterion).where(QaCriterion.retired_at == None)).all()  # noqa: E711
    got = weights = 0.0
    for c in criteria:
        value = values[c.label]
        share = value if c.scale == "pass_fail" else (value - 1) / ((c.points or 2) - 1)
        got += c.weight * share
        weights += c.weight
    return round(100 * got / weights, 1)


def store_review_file(live_server: LiveServer, call_id: str) -> None:
    """The call's ready review file (VP8 WebM, 2 frames a second, as long as the call)."""
    key = f"calls/{call_id}/review.webm"
    storage = live_server.app.state.storage
    path: Path = storage.path_for_writing(key)
    with av.open(str(path), "w", format="webm") as out:
        stream = out.add_stream("libvpx", rate=2)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for n in range(LENGTH_S * 2):
            frame = av.VideoFrame.from_ndarray(
                np.full((120, 160, 3), (n * 3) % 256, np.uint8), format="rgb24"
            )
            frame.pts = n
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    storage.commit(key)
    with Session(live_server.app.state.engine) as db:
        db.add(
            Recording(
                call_id=call_id,
                kind="review",
                storage_key=key,
                content_type="video/webm",
                codec="vp8",
                state="ready",
                progress=100,
                start_offset_ms=WAITED_S * 1000,
                duration_ms=LENGTH_S * 1000,
                size_bytes=path.stat().st_size,
                created_at=live_server.app.state.clock.now(),
            )
        )
        db.commit()


def video_at(page: Page) -> float:
    return page.get_by_test_id("review-video").evaluate("v => v.currentTime")


def expect_video_near(page: Page, seconds: float, what: str) -> None:
    wait_until(
        lambda: abs(video_at(page) - seconds) < 0.6 or NotYet(f"at {video_at(page):.2f} s"),
        5,
        f"the video at {seconds:.1f} s ({what})",
        pause=page_pause(page),
    )


def test_a_supervisor_scores_and_comments_a_call_and_its_agent_reads_them(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    agent_id = add_user(live_server.app, "agent@shop.test", "agent", "Aggie Agent")
    add_user(live_server.app, "sup@shop.test", "supervisor", "Sue Supervisor")
    call_id = store_call(live_server.app, "ORD-QA-1", agent_id=agent_id)
    store_review_file(live_server, call_id)
    given = {label: int(v) for label, v in VALUES} | {"Tone with the buyer": int(TONE)}
    TOTAL = expected_total(live_server, given)
    assert 0 < TOTAL < 100, TOTAL

    sup = open_participant("supervisor")
    page = sup.page
    sign_in(page, "sup@shop.test", landing="/review")
    page.get_by_role("button", name="Open the call for order ORD-QA-1", exact=False).click()
    expect(page.get_by_test_id("session-order")).to_have_text("ORD-QA-1")
    video = page.get_by_test_id("review-video")
    wait_until(
        lambda: video.evaluate("v => v.duration > 0 && Number.isFinite(v.duration)"),
        10,
        "the review video's length",
        pause=page_pause(page),
    )

    form = page.get_by_test_id("qa-score")
    expect(form).to_be_visible()
    inputs = form.get_by_test_id("qa-criterion")
    expect(inputs).to_have_count(4)
    total = page.get_by_test_id("qa-total")
    expect(total).to_have_attribute("data-total", "")
    # nothing is saved while a criterion is left empty
    page.get_by_test_id("qa-save").click()
    expect(page.get_by_test_id("qa-error")).to_contain_text("Give a value for")
    for label, value in VALUES:
        box = form.locator("label.qa-criterion", has_text=label).get_by_test_id("qa-criterion")
        if box.evaluate("n => n.tagName") == "SELECT":
            box.select_option(value)
        else:
            box.fill(value)
    form.locator("label.qa-criterion", has_text="Tone").get_by_test_id("qa-criterion").fill(TONE)
    expect(total).to_have_attribute("data-total", str(TOTAL))
    expect(total).to_have_text(f"Weighted total: {TOTAL}%")
    page.get_by_test_id("qa-save").click()
    expect(page.get_by_test_id("qa-status")).to_have_text("Score saved.")
    expect(page.get_by_test_id("qa-save")).to_have_text("Update my score")

    # a comment is pinned to where the player is
    video.evaluate("v => { v.currentTime = 37.4; }")
    expect_video_near(page, 37.4, "moved there")
    expect(page.get_by_test_id("qa-comment-at")).to_have_text("0:37")
    page.get_by_test_id("qa-comment").fill("Ask for the label before the damage close-up.")
    page.get_by_test_id("qa-comment-add").click()
    comment = page.get_by_test_id("qa-comment-item")
    expect(comment).to_have_count(1)
    expect(comment.get_by_test_id("qa-comment-time")).to_have_text("0:37")
    video_ms = int(comment.get_attribute("data-video-ms"))
    assert abs(video_ms - 37_400) < 300, video_ms
    with Session(live_server.app.state.engine) as db:
        score = db.exec(select(QaScore).where(QaScore.call_id == call_id)).one()
        assert score.total_pct == TOTAL
        stored = db.exec(select(QaComment).where(QaComment.call_id == call_id)).one()
        assert stored.video_ms == video_ms
    # clicking the comment's time seeks the video back to it
    video.evaluate("v => { v.currentTime = 5; }")
    expect_video_near(page, 5, "moved away")
    comment.get_by_test_id("qa-comment-time").click()
    expect_video_near(page, video_ms / 1000, "the comment's time")
    video.evaluate("v => v.pause()")
    form.scroll_into_view_if_needed()
    shoot(page, "qa-review-form", sizes=SCREENS)
    # /analytics: the agent's score in the QA chart, its table and the CSV
    page.goto("/analytics")
    section = page.locator('[data-testid="analytics-section"][data-section="qa"]')
    expect(section).to_have_attribute("data-rows", "1")
    qa_row = section.get_by_test_id("analytics-qa-row")
    expect(qa_row).to_have_count(1)
    expect(qa_row).to_have_attribute("data-agent-id", str(agent_id))
    expect(qa_row.locator("th")).to_have_text("Aggie Agent")
    cells = qa_row.locator("td")
    expect(cells).to_have_count(3)  # scores, the period's mean, the one week's mean
    expect(cells.nth(0)).to_have_text("1")
    expect(cells.nth(1)).to_have_text(f"{TOTAL}%")
    expect(cells.nth(2)).to_have_text(f"{TOTAL}%")
    chart = section.locator('canvas[data-testid="analytics-chart"][data-chart="qa"]')
    drawn = chart.evaluate(CHART_JS)
    assert drawn["type"] == "line", drawn
    assert drawn["series"] == [["Aggie Agent", [TOTAL]]], drawn
    assert len(drawn["labels"]) == 1 and drawn["labels"][0].startswith("Week of"), drawn
    week = section.locator("thead th").nth(3).text_content()
    assert week == drawn["labels"][0], (week, drawn)
    csv = unquote(section.get_by_test_id("analytics-export").get_attribute("href") or "")
    assert csv.startswith("data:text/csv;charset=utf-8,"), csv
    lines = list(csv_module.reader(io.StringIO(csv.split(",", 1)[1], newline="")))
    assert lines == [
        ["Agent", "Scores", "Mean total", week],
        ["Aggie Agent", "1", str(TOTAL), str(TOTAL)],
    ], lines
    section.scroll_into_view_if_needed()
    shoot(page, "qa-analytics", sizes=SCREENS)
    # the agent's name opens their scored calls
    asked = f"/api/qa/calls?page=1&per_page=20&agent_id={agent_id}"
    with page.expect_request(lambda r: r.url.endswith(asked)):
        qa_row.get_by_test_id("analytics-qa-agent").click()
    expect(page).to_have_url(f"{live_server.url}/qa?agent_id={agent_id}")
    expect(page.get_by_test_id("qa-call")).to_have_count(1)
    expect(page.get_by_test_id("qa-call")).to_have_attribute("data-session-id", call_id)
    expect(page.locator("h1")).to_have_text("Quality scores of the agents' calls")
    sup.problems[:] = [p for p in sup.problems if "net::ERR_ABORTED" not in p]
    sup.assert_clean()

    # the agent finds it on their own page, reached from the console's top bar
    agent = open_participant("agent")
    sign_in(agent.page, "agent@shop.test")
    agent.page.get_by_test_id("qa-link").click()
    expect(agent.page).to_have_url(f"{live_server.url}/qa")
    expect(agent.page.locator("h1")).to_have_text("Quality scores of my calls")
    call = agent.page.get_by_test_id("qa-call")
    expect(call).to_have_count(1)
    expect(call).to_have_attribute("data-session-id", call_id)
    expect(call).to_contain_text("ORD-QA-1")
    expect(call.get_by_test_id("qa-call-total")).to_have_text(f"Weighted total: {TOTAL}%")
    expect(call.get_by_test_id("qa-call-item")).to_have_count(4)
    expect(call.get_by_test_id("qa-call-item").nth(2)).to_have_text("Policy followed: Fail")
    expect(call.get_by_test_id("qa-call-item").nth(0)).to_have_text(
        "Asked for the right shots: 4 / 5"
    )
    seen = call.get_by_test_id("qa-call-comment")
    expect(seen).to_have_count(1)
    expect(seen).to_contain_text("Ask for the label before the damage close-up.")
    expect(seen.get_by_test_id("qa-call-comment-time")).to_have_text("0:37")
    href = seen.get_by_test_id("qa-call-comment-time").get_attribute("href")
    assert href and href.endswith(f"#t={video_ms / 1000:.1f}"), href
    recording = call.get_by_test_id("qa-call-recording").get_attribute("href")
    assert recording and href.startswith(recording)
    # the recording the link opens is the agent's to watch
    answer = agent.page.request.get(f"{live_server.url}{recording}")
    assert answer.status == 200, answer.status
    shoot(agent.page, "qa-agent-page", sizes=SCREENS)
    # the review page is not the agent's
    answer = agent.page.request.get(f"{live_server.url}/review")
    assert answer.status == 403, answer.status
    # leaving the console cuts off its requests still under way
    agent.problems[:] = [p for p in agent.problems if "net::ERR_ABORTED" not in p]
    agent.assert_clean()


def test_an_admin_defines_the_rubric_and_the_review_form_follows_it(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    add_user(live_server.app, "admin@shop.test", "admin", "Ada Admin")
    agent_id = add_user(live_server.app, "agent@shop.test", "agent", "Aggie Agent")
    store_call(live_server.app, "ORD-QA-2", agent_id=agent_id)
    admin = open_participant("admin")
    page = admin.page
    sign_in(page, "admin@shop.test", landing="/admin")
    panel = page.get_by_test_id("qa-rubric-panel")
    criteria = panel.get_by_test_id("qa-rubric-criterion")
    expect(criteria).to_have_count(4)
    # a new criterion on a 1-3 points scale, weight 2
    panel.get_by_test_id("qa-rubric-new-label").fill("Label photographed")
    panel.get_by_test_id("qa-rubric-new-hint").fill("The shipping label is in a shot.")
    panel.get_by_test_id("qa-rubric-new-scale").select_option("points")
    panel.get_by_test_id("qa-rubric-new-points").fill("3")
    panel.get_by_test_id("qa-rubric-new-weight").fill("2")
    panel.get_by_test_id("qa-rubric-add").click()
    expect(criteria).to_have_count(5)
    added = criteria.filter(has_text="Label photographed")
    expect(added.get_by_test_id("qa-rubric-terms")).to_have_text("1 to 3 points, weight 2")
    # Tone becomes a pass/fail criterion of weight 5
    tone = criteria.filter(has_text="Tone")
    tone.get_by_test_id("qa-rubric-edit").click()
    tone.get_by_test_id("qa-rubric-edit-scale").select_option("pass_fail")
    expect(tone.get_by_test_id("qa-rubric-edit-points")).to_be_hidden()
    tone.get_by_test_id("qa-rubric-edit-weight").fill("5")
    tone.get_by_test_id("qa-rubric-save").click()
    expect(tone.get_by_test_id("qa-rubric-terms")).to_have_text("Pass / fail, weight 5")
    # Policy followed is retired, after a confirmation
    policy = criteria.filter(has_text="Policy followed")
    policy.get_by_test_id("qa-rubric-retire").click()
    page.get_by_test_id("confirm-yes").click()
    expect(policy).to_have_attribute("data-retired", "true")
    expect(policy.get_by_test_id("qa-rubric-restore")).to_be_visible()
    # an impossible weight is refused with the server's words
    panel.get_by_test_id("qa-rubric-new-label").fill("Too heavy")
    panel.get_by_test_id("qa-rubric-new-weight").fill("500")
    panel.get_by_test_id("qa-rubric-add").click()
    expect(panel.get_by_test_id("qa-rubric-error")).to_be_visible()
    expect(criteria).to_have_count(5)
    panel.get_by_test_id("qa-rubric-new-weight").fill("1")
    panel.get_by_test_id("qa-rubric-new-label").fill("")
    with Session(live_server.app.state.engine) as db:
        rows = {c.label: c for c in db.exec(select(QaCriterion)).all()}
    added_row, tone_row = rows["Label photographed"], rows["Tone with the buyer"]
    assert (added_row.scale, added_row.points, added_row.weight) == ("points", 3, 2)
    assert (tone_row.scale, tone_row.points, tone_row.weight) == ("pass_fail", None, 5)
    assert rows["Policy followed"].retired_at is not None
    panel.scroll_into_view_if_needed()
    shoot(page, "qa-admin-rubric", sizes=SCREENS)
    # the review form offers the active criteria, each on its scale
    page.goto("/review")
    page.get_by_role("button", name="Open the call for order ORD-QA-2", exact=False).click()
    form = page.get_by_test_id("qa-score")
    expect(form.get_by_test_id("qa-criterion")).to_have_count(4)
    expect(form.locator("label.qa-criterion", has_text="Policy followed")).to_have_count(0)
    expect(form.locator("label.qa-criterion", has_text="Label photographed")).to_have_count(1)
    tone_box = form.locator("label.qa-criterion", has_text="Tone").get_by_test_id("qa-criterion")
    assert tone_box.evaluate("n => n.tagName") == "SELECT"
    # the refused weight's 422 is the one answer the page was meant to show
    refused = [p for p in admin.problems if "status of 422" in p and "/api/qa/criteria" in p]
    assert len(refused) == 1, admin.problems
    admin.problems[:] = [
        p for p in admin.problems if "net::ERR_ABORTED" not in p and p not in refused
    ]
    admin.assert_clean()


def test_an_admin_reorders_the_rubric_and_the_review_form_asks_in_that_order(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    add_user(live_server.app, "admin@shop.test", "admin", "Ada Admin")
    agent_id = add_user(live_server.app, "agent@shop.test", "agent", "Aggie Agent")
    store_call(live_server.app, "ORD-QA-3", agent_id=agent_id)
    admin = open_participant("admin")
    page = admin.page
    sign_in(page, "admin@shop.test", landing="/admin")
    panel = page.get_by_test_id("qa-rubric-panel")
    criteria = panel.get_by_test_id("qa-rubric-criterion")
    names = panel.get_by_test_id("qa-rubric-name")
    expect(criteria).to_have_count(4)
    first, second, third, last = names.all_text_contents()
    # the moves: the first cannot go up, the last cannot go down
    expect(criteria.nth(0).get_by_test_id("qa-rubric-move-up")).to_be_disabled()
    expect(criteria.nth(3).get_by_test_id("qa-rubric-move-down")).to_be_disabled()
    expect(criteria.nth(0).get_by_test_id("qa-rubric-move-remove")).to_have_count(0)
    criteria.nth(3).get_by_test_id("qa-rubric-move-up").click()
    expect(names).to_have_text([first, second, last, third])
    criteria.nth(2).get_by_test_id("qa-rubric-move-up").click()
    expect(names).to_have_text([first, last, second, third])
    criteria.nth(0).get_by_test_id("qa-rubric-move-down").click()
    order = [last, first, second, third]
    expect(names).to_have_text(order)
    # a retired criterion keeps its place among them and stays off the form
    criteria.filter(has_text=second).get_by_test_id("qa-rubric-retire").click()
    page.get_by_test_id("confirm-yes").click()
    expect(criteria.filter(has_text=second)).to_have_attribute("data-retired", "true")
    with Session(live_server.app.state.engine) as db:
        stored = db.exec(select(QaCriterion).order_by(QaCriterion.position)).all()
    assert [c.label for c in stored] == order
    page.reload()
    expect(names).to_have_text(order)
    panel.scroll_into_view_if_needed()
    shoot(page, "qa-admin-rubric-order", sizes=SCREENS)
    page.goto("/review")
    page.get_by_role("button", name="Open the call for order ORD-QA-3", exact=False).click()
    form = page.get_by_test_id("qa-score")
    asked = [label for label in order if label != second]
    expect(form.locator("label.qa-criterion > span")).to_have_text(
        [re.compile("^" + re.escape(label) + " \\(") for label in asked]
    )
    expect(form.get_by_test_id("qa-criterion")).to_have_count(3)
    admin.problems[:] = [p for p in admin.problems if "net::ERR_ABORTED" not in p]
    admin.assert_clean()
