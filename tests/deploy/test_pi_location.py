"""deploy/pi/install.sh --location: checked, then passed to the agent's enrolment."""

from __future__ import annotations

import pytest

from tests.deploy.test_pi_packaging import CODE, SERVER, TOKEN_FILE, install


@pytest.mark.skipif(TOKEN_FILE.exists(), reason="this machine is enrolled: no enrolment runs")
@pytest.mark.parametrize("location", ["16.4637,107.5909", "-35.3888,147.0598", "0,0"])
def test_the_location_goes_with_the_enrolment(location: str) -> None:
    result = install("--server", SERVER, "--enroll", CODE, "--location", location, "--dry-run")
    assert result.returncode == 0, result.stderr
    enrol = [line for line in result.stdout.splitlines() if "--enroll-only" in line]
    assert len(enrol) == 1
    # printed as the shell would need it (printf %q escapes the comma)
    assert f"--location {location.replace(',', chr(92) + ',')} --enroll-only" in enrol[0]


@pytest.mark.skipif(TOKEN_FILE.exists(), reason="this machine is enrolled: no enrolment runs")
def test_without_a_location_the_enrolment_is_as_before() -> None:
    result = install("--server", SERVER, "--enroll", CODE, "--dry-run")
    assert "--location" not in result.stdout


@pytest.mark.parametrize(
    "location", ["16.4637", "16.4637;107.5909", "16,107,1", "north,east", "1e1,107", "16, 107"]
)
def test_a_location_not_lat_lon_is_refused_before_anything_runs(location: str) -> None:
    result = install("--server", SERVER, "--enroll", CODE, "--location", location, "--dry-run")
    assert result.returncode != 0
    assert "--location" in result.stderr and "LAT,LON" in result.stderr
    assert "==>" not in result.stdout


def test_help_names_the_location() -> None:
    assert "--location LAT,LON" in install("--help").stdout
