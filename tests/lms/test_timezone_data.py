"""Times are computed with the tzdata package's database, whatever the operating system has."""

import os
import subprocess
import sys
import zoneinfo
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

LOCAL_TEN = """
from datetime import UTC, datetime
from zoneinfo import ZoneInfo
print(datetime(2026, 12, 9, 10, 0, tzinfo=ZoneInfo("Asia/Almaty")).astimezone(UTC).isoformat())
"""

THROUGH_THE_APP = """
import lms
from datetime import UTC, datetime
from zoneinfo import ZoneInfo
from campaigns.scheduling import next_cron_run

app = lms.create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "ADAL_STORAGE_PATH": %r})
zone = ZoneInfo(app.config["ADAL_TIMEZONE"])
print(next_cron_run("0 10 9 12 *", datetime(2026, 12, 1, tzinfo=UTC), zone).isoformat())
print(datetime(2026, 12, 9, 10, 0, tzinfo=ZoneInfo("Asia/Almaty")).astimezone(UTC).isoformat())
"""


@pytest.fixture
def outdated_system_zones(tmp_path) -> Path:
    """A system time zone database from before 2024, when Almaty was UTC+6 (Dhaka's rule today)."""
    folder = tmp_path / "zoneinfo"
    (folder / "Asia").mkdir(parents=True)
    with files("tzdata.zoneinfo").joinpath("Asia/Dhaka").open("rb") as dhaka:
        (folder / "Asia" / "Almaty").write_bytes(dhaka.read())
    return folder


def _python(code: str, zones: Path) -> list[str]:
    env = os.environ | {"PYTHONTZPATH": str(zones), "ADAL_TIMEZONE": "Asia/Almaty"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.split()


def test_an_outdated_system_database_does_not_move_ten_o_clock_in_almaty(outdated_system_zones, tmp_path):
    # Without Adal, Python believes the outdated system: 10:00 in Almaty would be 04:00 UTC.
    assert _python(LOCAL_TEN, outdated_system_zones) == ["2026-12-09T04:00:00+00:00"]
    # With Adal imported, the shipped tzdata decides: a campaign at 10:00 goes out at 05:00 UTC.
    assert _python(THROUGH_THE_APP % str(tmp_path), outdated_system_zones) == [
        "2026-12-09T05:00:00+00:00",
        "2026-12-09T05:00:00+00:00",
    ]


def test_no_system_directory_is_searched_once_adal_is_imported(app):
    assert zoneinfo.TZPATH == ()
    ten = datetime(2026, 12, 9, 10, 0, tzinfo=zoneinfo.ZoneInfo(app.config["ADAL_TIMEZONE"]))
    assert ten.astimezone(UTC) == datetime(2026, 12, 9, 5, 0, tzinfo=UTC)
