#!/usr/bin/python
"""webfarm_config_set: configuration files that must agree, written and checked as one set."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: webfarm_config_set
short_description: Write configuration files as one set, check the set in place, put it all back if refused
description:
  - For a daemon whose configuration is several files that must agree (BIND's keys, options and zones; HAProxy's
    certificates and C(haproxy.cfg); Redis's users and C(redis.conf); lsyncd's files). Each file's own
    C(validate) cannot see the others; only the daemon's checker on the whole set, where the daemon reads it, can.
  - Writes every file that differs (atomically, each one a rename), runs O(check) on the live set, and when it fails
    puts every file back as it was, or removes it if it was new, and fails with the checker's words. A refused set
    never stays live; nothing of the previous set is lost. Nothing reloads: notify handlers from this task.
  - When no file differs nothing is written and the checker does not run (a rerun reports no change).
version_added: "1.0.0"
author: webfarm
options:
  files:
    description: The set. Each file has C(path), C(content) or C(secret_content) (never logged nor shown in a diff),
      and optionally C(owner), C(group) and C(mode) (octal string).
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Absolute path of the file; its directory must exist.
        type: str
        required: true
      content:
        description: The file's text.
        type: str
      secret_content:
        description: The file's text when it holds a secret.
        type: str
      owner:
        description: Owner's user name.
        type: str
      group:
        description: Group name.
        type: str
      mode:
        description: Permissions, an octal string such as C("0640").
        type: str
  check:
    description: The daemon's checker, as an argument list, run on the live set after it is written (for example
      C([named-checkconf, -z, /etc/bind/named.conf])). Empty runs none.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Write BIND's files, rolled back if named-checkconf refuses them together
  webfarm_config_set:
    files:
      - path: /etc/bind/webfarm-keys.conf
        secret_content: "{{ lookup('ansible.builtin.template', 'webfarm-keys.conf.j2') }}"
        owner: root
        group: bind
        mode: "0640"
      - path: /etc/bind/named.conf.local
        content: "{{ lookup('ansible.builtin.template', 'named.conf.local.j2') }}"
    check: [named-checkconf, -z, /etc/bind/named.conf]
  notify: reload named
"""

RETURN = r"""
changed_files:
  description: The paths written (or that would be, in check mode).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.webfarm.cluster.plugins.module_utils.config_set import SetRefused, apply, changes, to_file  # noqa: E402


def run_module() -> None:
    module = AnsibleModule(
        argument_spec={
            "files": {"type": "list", "elements": "dict", "required": True, "options": {
                "path": {"type": "str", "required": True},
                "content": {"type": "str"},
                "secret_content": {"type": "str", "no_log": True},
                "owner": {"type": "str"},
                "group": {"type": "str"},
                "mode": {"type": "str"},
            }},
            "check": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True,
    )
    try:
        entries = [to_file(spec) for spec in module.params["files"]]
        todo = changes([f for f, _ in entries])
    except ValueError as exc:
        module.fail_json(msg=f"webfarm_config_set: {exc}")
    secret = {f.path for f, s in entries if s}
    # A checker may quote a line of a secret file (Redis does): never shown.
    for f, s in entries:
        if s:
            text = f.content.decode(errors="replace")
            module.no_log_values.update(line.strip() for line in text.splitlines() if len(line.strip()) >= 8)
            module.no_log_values.update(word for word in text.split() if len(word) >= 12)
    result = {"changed": bool(todo), "changed_files": [f.path for f, _ in todo]}
    if module._diff and todo:
        result["diff"] = [{"before_header": f.path, "after_header": f.path,
                           "before": "(secret)\n" if f.path in secret else (b.content or b"").decode(errors="replace"),
                           "after": "(secret)\n" if f.path in secret else f.content.decode(errors="replace")}
                          for f, b in todo]
    if module.check_mode or not todo:
        module.exit_json(**result)
    try:
        apply([f for f, _ in entries], module.params["check"])
    except SetRefused as exc:
        module.fail_json(msg=f"webfarm_config_set: {exc}: {exc.output}", checker_output=exc.output,
                         changed=False, changed_files=[])
    module.exit_json(**result)


def main() -> None:
    run_module()


if __name__ == "__main__":
    main()
