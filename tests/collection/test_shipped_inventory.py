"""The shipped inventory, as `make demo` and a first-time user run it: its
optional groups are empty, and the collection's shared defaults must still
work out (an empty dbservers group once failed every run with "No first item,
sequence was empty")."""

import os
import subprocess

from conftest import ROOT

PLAYBOOK = """\
- name: The shipped inventory's variables are read
  hosts: webservers:loadbalancers:dbservers:redisservers
  gather_facts: false
  tasks:
    - name: The shared defaults pass the flaskstack role's argument spec
      ansible.builtin.include_role:
        name: flaskstack.deploy.flaskstack
      vars:
        flaskstack_validated: true
"""


def test_the_shipped_inventory_s_empty_groups_work_out(tmp_path):
    playbook = tmp_path / "shipped.yml"
    playbook.write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, "collections"), ANSIBLE_NOCOLOR="1")
    # Nothing here touches a host: the connection is local, and no task runs a module.
    result = subprocess.run(["ansible-playbook", "-i", os.path.join(ROOT, "inventory"), str(playbook),
                             "-e", "ansible_connection=local"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "failed=0" in result.stdout and "flaskstack-demo" in result.stdout, result.stdout[-3000:]
