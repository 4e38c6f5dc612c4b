"""The web farm's rows in the lab's status table (toolkit/status.py)."""
from toolkit.status import http_role

ROLES = {"web_farm": http_role("web node (nginx)", "web_node_port", "web_node_health_path")}
