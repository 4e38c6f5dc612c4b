"""The web farm's tests run over the web_farm group."""
from toolkit.pytest_plugin import group_fixtures

web_node, web_nodes = group_fixtures("web_farm", "web_node")
