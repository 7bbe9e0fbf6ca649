import pytest

from syncd.core.description import BlockInfo, insert_block
from syncd.core.domain import Event
from syncd.core.tagging import is_tagged, strip_tag


@pytest.mark.parametrize(
    ("summary", "description", "tagged"),
    [
        ("Standup #zoom", "", True),
        ("Standup #ZOOM", "", True),
        ("Standup", "Agenda\n#zoom", True),
        ("Standup", "<p>please add #zoom</p>", True),
        ("Standup #zoomed", "", False),
        ("Standup a#zoom", "", False),
        ("Standup", "zoom.us/j/1", False),
        ("Standup", "", False),
    ],
)
def test_tag_must_stand_alone(summary, description, tagged):
    assert is_tagged(Event("c", "e", summary=summary, description=description), "#zoom") is tagged


def test_the_tag_inside_syncds_own_block_does_not_count():
    info = BlockInfo("https://zoom.us/j/1?pwd=#zoom", 12345678901)
    event = Event("c", "e", summary="Standup", description=insert_block("notes", info))
    assert not is_tagged(event, "#zoom")


def test_configured_tag_is_used():
    assert is_tagged(Event("c", "e", summary="Sync [video]"), "[video]")


def test_strip_tag_leaves_a_clean_title():
    assert strip_tag("Weekly  #zoom planning", "#zoom") == "Weekly planning"
