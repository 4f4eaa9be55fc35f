import uuid

import pytest

from services.member import enrolment, programs
from tests.fixtures.postgres import program_spec


@pytest.fixture
async def program(pools) -> uuid.UUID:
    """A program of the test's own."""
    spec = program_spec()
    row, _ = await programs.provision(pools["member"], programs.ProgramInput(
        code=spec.code, name=spec.name, currency="EUR", timezone="Europe/Madrid"))
    return row["id"]


@pytest.fixture
def enrol(pools, program):
    async def enrol_one(**fields):
        values = {"email": f"{uuid.uuid4().hex[:12]}@example.com", "first_name": "Ana", "last_name": "López"}
        values.update(fields)
        return await enrolment.enroll(pools["member"], program_id=program, data=enrolment.EnrolmentInput(**values))

    return enrol_one
