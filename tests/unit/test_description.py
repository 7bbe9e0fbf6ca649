from hypothesis import given
from hypothesis import strategies as st

from syncd.core.description import (
    BEGIN_MARKER,
    END_MARKER,
    BlockInfo,
    find_block,
    format_meeting_id,
    insert_block,
    remove_block,
)

INFO = BlockInfo("https://zoom.us/j/85746065432?pwd=abc", 85746065432, "x7Yq2")
OTHER = BlockInfo("https://zoom.us/j/91234567890?pwd=def", 91234567890, "")

# Text a calendar user might type, rich in what could confuse the block: line breaks in both
# forms, HTML, near-markers, and the markers themselves on their own.
fragments = st.sampled_from(
    [
        "\n",
        "\r\n",
        "<br>",
        "<br/>",
        "<p>",
        "</p>",
        "<b>x</b>",
        "#zoom",
        " ",
        "--",
        "Join:",
        "Meeting ID: 1",
        BEGIN_MARKER[:10],
        BEGIN_MARKER,
        END_MARKER,
        "é",
        "&amp;",
    ]
)
user_text = st.lists(st.one_of(st.text(max_size=20), fragments), max_size=25).map("".join)
marker_free = user_text.filter(lambda t: BEGIN_MARKER not in t)


@given(marker_free)
def test_remove_undoes_insert_exactly(text):
    assert remove_block(insert_block(text, INFO)) == text


@given(user_text)
def test_insert_is_idempotent(text):
    once = insert_block(text, INFO)
    assert insert_block(once, INFO) == once


@given(marker_free)
def test_replacing_the_meeting_keeps_the_users_text(text):
    replaced = insert_block(insert_block(text, INFO), OTHER)
    assert remove_block(replaced) == text
    assert find_block(replaced) == OTHER
    assert replaced.count(BEGIN_MARKER) == 1


@given(marker_free)
def test_the_block_can_be_read_back(text):
    assert find_block(insert_block(text, INFO)) == INFO


def test_plain_text_block_follows_a_blank_line():
    assert insert_block("Agenda", INFO) == (
        "Agenda\n\n-- Zoom meeting (added by syncd) --\n"
        "Join: https://zoom.us/j/85746065432?pwd=abc\nMeeting ID: 857 4606 5432\n"
        "Passcode: x7Yq2\n-- end of Zoom meeting --"
    )


def test_html_description_gets_an_html_block():
    text = "<b>Bring</b> mock-ups"
    result = insert_block(text, INFO)
    assert result.startswith(text + "<br><br>" + BEGIN_MARKER + "<br>Join: ")
    assert "\n" not in result


def test_block_rewritten_by_googles_editor_is_still_found_and_removed():
    edited = insert_block("Notes", INFO).replace("\n", "<br>")
    edited = edited.replace(INFO.join_url, f'<a href="{INFO.join_url}">{INFO.join_url}</a>')
    assert find_block(edited) == INFO
    assert remove_block(edited) == "Notes"


def test_damaged_block_never_swallows_user_text():
    damaged = f"Intro\n\n{BEGIN_MARKER}\nJoin: https://x\nMy own notes after it"
    result = insert_block(damaged, OTHER)
    assert result.startswith(damaged)
    assert remove_block(result) == damaged


def test_long_description_is_kept_whole():
    text = "word " * 2000
    assert remove_block(insert_block(text, INFO)) == text


def test_meeting_ids_are_grouped_as_zoom_shows_them():
    assert format_meeting_id(85746065432) == "857 4606 5432"
    assert format_meeting_id(8574606543) == "857 460 6543"
    assert format_meeting_id(123) == "123"
