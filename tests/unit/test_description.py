from hypothesis import example, given
from hypothesis import strategies as st

from syncd.core.description import (
    BEGIN_MARKER,
    END_MARKER,
    BlockInfo,
    find_block,
    find_note,
    format_meeting_id,
    has_block,
    insert_block,
    remove_block,
    render_block,
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

# The user's own markers, nested: hypothesis found that inserting twice cut them up.
NESTED_MARKERS = BEGIN_MARKER + BEGIN_MARKER + END_MARKER + END_MARKER


@given(marker_free)
def test_remove_undoes_insert_exactly(text):
    assert remove_block(insert_block(text, INFO)) == text


@given(user_text)
@example(NESTED_MARKERS)
def test_insert_is_idempotent(text):
    once = insert_block(text, INFO)
    assert insert_block(once, INFO) == once


@given(user_text)
@example(NESTED_MARKERS)
@example(f"{BEGIN_MARKER}\n{END_MARKER}{END_MARKER}")
@example(f"{END_MARKER}\n{BEGIN_MARKER}")
@example(f"a\n\n{BEGIN_MARKER}x{END_MARKER}b{BEGIN_MARKER}")
def test_remove_undoes_insert_even_when_the_user_wrote_markers(text):
    inserted = insert_block(text, INFO)
    assert inserted.startswith(remove_block(text))
    assert remove_block(inserted) == remove_block(text)
    assert find_block(inserted) == INFO
    if not has_block(text):  # the markers are all the user's: not a character of them goes
        assert remove_block(inserted) == text
        assert inserted.startswith(text)


@given(user_text)
@example(NESTED_MARKERS)
def test_replacing_the_meeting_keeps_the_users_markers(text):
    replaced = insert_block(insert_block(text, INFO), OTHER)
    assert replaced == insert_block(text, OTHER)
    assert remove_block(replaced) == remove_block(text)
    assert find_block(replaced) == OTHER
    noted = insert_block(replaced, "Waiting for Zoom")
    assert find_note(noted) == "Waiting for Zoom" and find_block(noted) is None
    assert remove_block(noted) == remove_block(text)


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


def test_the_users_own_markers_are_kept_whole():
    for text in (
        NESTED_MARKERS,
        f"Notes {END_MARKER} and {BEGIN_MARKER}",
        f"{BEGIN_MARKER}\nmine\n{END_MARKER}\n{END_MARKER}",
        f"{BEGIN_MARKER}\nquoted\n{END_MARKER}\nthen more {BEGIN_MARKER}",
    ):
        assert not has_block(text)
        assert insert_block(text, INFO).startswith(text + "\n\n" + BEGIN_MARKER)
        assert remove_block(insert_block(text, INFO)) == text


def test_a_line_typed_below_the_block_stays_and_the_block_moves_after_it():
    below = insert_block("Agenda", INFO) + "\nPS: bring coffee"
    assert find_block(below) == INFO
    assert remove_block(below) == "Agenda\nPS: bring coffee"
    assert insert_block(below, OTHER) == insert_block("Agenda\nPS: bring coffee", OTHER)


def test_only_syncds_block_goes_not_an_earlier_copy_of_one():
    users = insert_block("Old notes", OTHER) + "\n\nNew notes"
    description = users + "\n\n" + render_block(INFO, as_html=False)
    assert find_block(description) == INFO
    assert remove_block(description) == users
    assert insert_block(description, OTHER) == users + "\n\n" + render_block(OTHER, as_html=False)


def test_long_description_is_kept_whole():
    text = "word " * 2000
    assert remove_block(insert_block(text, INFO)) == text


def test_meeting_ids_are_grouped_as_zoom_shows_them():
    assert format_meeting_id(85746065432) == "857 4606 5432"
    assert format_meeting_id(8574606543) == "857 460 6543"
    assert format_meeting_id(123) == "123"
