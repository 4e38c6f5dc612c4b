"""The web farm's tests run over the web_farm group; the content tests and
drills also take the content master."""
import pytest

from lab.pytest_plugin import group_fixtures

web_node, web_nodes = group_fixtures("web_farm", "web_node")


@pytest.fixture(scope="module")
def master(inventory):
    """The content master (the content_sync group's host)."""
    masters = inventory.hosts("content_sync")
    if not masters:
        pytest.skip("the inventory has no content master (content_sync group)")
    return masters[0]


@pytest.fixture(scope="module")
def nodes(inventory):
    """Every web node."""
    return inventory.hosts("web_farm")
