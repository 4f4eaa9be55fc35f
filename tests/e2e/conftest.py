import pytest

from tests.fixtures.graphql import GraphQLClient
from tests.fixtures.platform import ADMIN_TOKEN


@pytest.fixture
async def admin(platform):
    client = GraphQLClient(platform.url, token=ADMIN_TOKEN)
    yield client
    await client.aclose()


@pytest.fixture
async def anonymous(platform):
    client = GraphQLClient(platform.url)
    yield client
    await client.aclose()
