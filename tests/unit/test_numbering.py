from datetime import date

import pytest

from offline.db import open_db, write
from offline.numbering import NumberingExhausted, issue_local_no

DAY = date(2026, 11, 22)


def test_ten_thousand_numbers_never_repeat(tmp_path):
    db = open_db(tmp_path / "n.db")
    issued = [issue_local_no(db, "330212105", 3, DAY) for _ in range(9999)]
    assert len(set(issued)) == 9999
    assert issued[0] == "330212105-03-20261122-0001"
    assert issued[-1] == "330212105-03-20261122-9999"
    with pytest.raises(NumberingExhausted, match="已用完"):
        issue_local_no(db, "330212105", 3, DAY)
    # the next day starts again at 1; another window keeps its own sequence
    assert issue_local_no(db, "330212105", 3, date(2026, 11, 23)).endswith("20261123-0001")
    assert issue_local_no(db, "330212105", 4, DAY) == "330212105-04-20261122-0001"


def test_reopened_database_continues_the_sequence(tmp_path):
    first = issue_local_no(open_db(tmp_path / "n.db"), "330212105", 3, DAY)
    second = issue_local_no(open_db(tmp_path / "n.db"), "330212105", 3, DAY)
    assert (first[-4:], second[-4:]) == ("0001", "0002")


def test_numbers_are_reserved_in_their_own_commit(tmp_path):
    db = open_db(tmp_path / "n.db")
    with write(db), pytest.raises(RuntimeError, match="own"):
        issue_local_no(db, "330212105", 3, DAY)
