"""The quiz page in Chromium: each question's heading sits inside its box, in either direction of writing."""

from __future__ import annotations

import pytest

from browser_support import log_in
from conftest import PASSWORDS

MODULE = "/courses/crisis-management/modules/consular-crisis-response"

#: Each question's box (its border and padding) and its heading's, as laid out.
BOXES = """() => [...document.querySelectorAll("form.quiz fieldset")].map(box => {
  const style = getComputedStyle(box), outer = box.getBoundingClientRect();
  const heading = box.querySelector("legend").getBoundingClientRect(), px = name => parseFloat(style[name]);
  return {id: box.id, heading: {top: heading.top, bottom: heading.bottom, left: heading.left, right: heading.right},
          inner: {top: outer.top + px("borderTopWidth") + px("paddingTop"),
                  bottom: outer.bottom - px("borderBottomWidth") - px("paddingBottom"),
                  left: outer.left + px("borderLeftWidth") + px("paddingLeft"),
                  right: outer.right - px("borderRightWidth") - px("paddingRight")}};
})"""


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1024])
def test_question_headings_sit_inside_their_boxes(live_server, browser_page, enrolled, language, width):
    page = browser_page
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, live_server, "learner", PASSWORDS["learner"])
    page.goto(f"{live_server}/courses/?lang={language}")
    page.goto(f"{live_server}{MODULE}/quiz")
    boxes = page.evaluate(BOXES)
    assert len(boxes) == 7
    for box in boxes:
        heading, inner = box["heading"], box["inner"]
        assert heading["top"] >= inner["top"] - 0.5, box  # below the top border, not across it
        assert heading["bottom"] <= inner["bottom"] + 0.5, box
        assert inner["left"] - 0.5 <= heading["left"] and heading["right"] <= inner["right"] + 0.5, box
