"""The walls between the roles (docs/architecture.md): who includes whom, and
what one role may read of another's."""

import glob
import os
import re

import yaml

from conftest import ROOT

ROLES_DIR = os.path.join(ROOT, "roles")
ROLES = sorted(os.listdir(ROLES_DIR))
INCLUDERS = ("ansible.builtin.include_role", "ansible.builtin.import_role")
# What a role gives the others, as documented facts (docs/architecture.md).
GIVEN = {"app": {"app_changed", "app_venv_changed", "app_runtime"}, "flaskstack": {"flaskstack_turns"},
         "gunicorn": {"gunicorn_process"}, "processes": {"processes_run"}, "python": {"python_venv"},
         "nginx": {"nginx_sites"}}


def role_files(role):
    """(path, text) of every file of the role but its generated README."""
    for path in sorted(glob.glob(os.path.join(ROLES_DIR, role, "**", "*"), recursive=True)):
        if os.path.isfile(path) and not path.endswith("README.md"):
            with open(path) as handle:
                yield path, handle.read()


def tasks_of(value):
    """Every task in a loaded task file, blocks opened."""
    for task in value or []:
        if isinstance(task, dict):
            yield task
            for part in ("block", "rescue", "always"):
                yield from tasks_of(task.get(part))


def included_roles(role):
    """Roles this role includes or imports, or depends on."""
    found = set()
    with open(os.path.join(ROLES_DIR, role, "meta", "main.yml")) as handle:
        for dependency in yaml.safe_load(handle).get("dependencies") or []:
            found.add((dependency["role"] if isinstance(dependency, dict) else dependency).rsplit(".", 1)[-1])
    for path in glob.glob(os.path.join(ROLES_DIR, role, "tasks", "*.yml")):
        with open(path) as handle:
            for task in tasks_of(yaml.safe_load(handle)):
                for module in INCLUDERS:
                    if module in task:
                        found.add(str(task[module]["name"]).rsplit(".", 1)[-1])
    return found


def test_the_include_graph_has_no_cycle():
    graph = {role: included_roles(role) for role in ROLES}
    assert graph["app"] >= {"processes"} and graph["loadbalancer"] >= {"nginx"}, graph
    assert all(target in ROLES for targets in graph.values() for target in targets), graph
    done, path = set(), []

    def visit(role):
        assert role not in path, "include cycle: %s" % " -> ".join(path + [role])
        if role in done:
            return
        path.append(role)
        for target in sorted(graph[role]):
            visit(target)
        path.pop()
        done.add(role)

    for role in ROLES:
        visit(role)


def test_no_role_reads_another_role_s_private_variables():
    found = []
    for role in ROLES:
        for path, text in role_files(role):
            for other in ROLES:
                if other != role:
                    found += ["%s: %s" % (os.path.relpath(path, ROOT), name)
                              for name in re.findall(r"\b__%s_[a-z0-9_]+" % other, text)]
    assert found == []


def test_a_fact_a_role_gives_is_read_only_as_documented():
    """A role's given facts are named in its argument spec; no other role sets them."""
    for role, facts in GIVEN.items():
        with open(os.path.join(ROLES_DIR, role, "meta", "argument_specs.yml")) as handle:
            spec = handle.read()
        for fact in facts:
            assert fact in spec, "%s gives %s: its argument spec must say so" % (role, fact)
            for other in ROLES:
                if other == role:
                    continue
                for path, text in role_files(other):
                    assert not re.search(r"^\s+%s:" % fact, text, re.M), "%s sets %s, which %s gives" % (path, fact, role)


def test_no_role_restates_another_role_s_default():
    """A role reads another role's variable as it is (the flaskstack role's, by depending on it),
    never with a fallback of its own: that fallback would be a second default, free to drift."""
    owner = {}
    for role in ROLES:
        with open(os.path.join(ROLES_DIR, role, "meta", "argument_specs.yml")) as handle:
            for name in yaml.safe_load(handle)["argument_specs"]["main"].get("options", {}):
                owner[name] = role
    for facts in GIVEN.values():
        owner.update(dict.fromkeys(facts, "given"))
    found = []
    for role in ROLES:
        for path, text in role_files(role):
            for name in re.findall(r"\b([a-z][a-z0-9_]*)\s*\|\s*default\(", text):
                if owner.get(name, role) not in (role, "given"):
                    found.append("%s: %s | default(...) restates the %s role's default" % (
                        os.path.relpath(path, ROOT), name, owner[name]))
    assert found == []


def test_the_entry_is_read_only_by_the_role_defaults_and_the_entry_checks():
    """Each app is worked out once (flaskstack_turns, the role defaults): no hand-copied
    flaskstack_app.X | default(...) fallbacks elsewhere."""
    places = []
    for path in sorted(glob.glob(os.path.join(ROOT, "roles", "*", "**", "*.*"), recursive=True)
                       + glob.glob(os.path.join(ROOT, "playbooks", "**", "*.yml"), recursive=True)
                       + glob.glob(os.path.join(ROOT, "plugins", "**", "*.py"), recursive=True)):
        if os.path.isdir(path) or path.endswith(("README.md", os.path.join("defaults", "main.yml"))):
            continue
        with open(path) as handle:
            for number, line in enumerate(handle, 1):
                if re.search(r"\bflaskstack_app\.[a-z(]", line) and not line.lstrip().startswith("#"):
                    places.append("%s:%d" % (os.path.relpath(path, ROOT), number))
    assert len(places) <= 2, places
    assert places == ["roles/flaskstack/tasks/validate.yml:14"], places
