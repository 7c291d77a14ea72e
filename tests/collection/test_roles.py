"""Promises about the roles that hold for every role, read from their files."""

import os
import re

import pytest
import yaml

from conftest import ROOT

ROLES_DIR = os.path.join(ROOT, "roles")
ROLES = sorted(os.listdir(ROLES_DIR))
WRITERS = ("ansible.builtin.template", "ansible.builtin.copy")


def load(path):
    with open(path) as handle:
        return yaml.safe_load(handle) or {}


def role_file(role, *parts):
    return os.path.join(ROLES_DIR, role, *parts)


def task_files():
    for role in ROLES:
        tasks_dir = role_file(role, "tasks")
        for name in sorted(os.listdir(tasks_dir)):
            yield role, name, load(os.path.join(tasks_dir, name))


def flatten(tasks):
    """Tasks, with the tasks inside blocks in place of the blocks."""
    for task in tasks or []:
        if "block" in task:
            for part in ("block", "rescue", "always"):
                yield from flatten(task.get(part))
        else:
            yield task


def all_tasks():
    for role, name, tasks in task_files():
        for task in flatten(tasks):
            yield role, name, task


def prefix_of(role):
    return role + "_"


@pytest.mark.parametrize("role", ROLES)
def test_argument_specs_match_the_defaults(role):
    defaults = load(role_file(role, "defaults", "main.yml"))
    specs = load(role_file(role, "meta", "argument_specs.yml"))["argument_specs"]["main"]["options"]
    assert sorted(defaults) == sorted(specs), "defaults and argument_specs of %s differ" % role
    for name, spec in specs.items():
        assert spec.get("description"), "%s: %s has no description" % (role, name)


@pytest.mark.parametrize("role", ROLES)
def test_every_default_is_prefixed_and_commented(role):
    with open(role_file(role, "defaults", "main.yml")) as handle:
        lines = handle.read().splitlines()
    for index, line in enumerate(lines):
        match = re.match(r"^([a-z_][a-z0-9_]*):", line)
        if not match:
            continue
        assert match.group(1).startswith(prefix_of(role)), "%s: %s lacks the %s prefix" % (role, match.group(1), prefix_of(role))
        assert lines[index - 1].startswith("#"), "%s: %s has no comment saying what it changes" % (role, match.group(1))


@pytest.mark.parametrize("role", ROLES)
def test_role_has_galaxy_metadata(role):
    meta = load(role_file(role, "meta", "main.yml"))
    assert meta["galaxy_info"]["role_name"] == role
    assert meta["galaxy_info"]["description"]


def test_every_written_file_has_owner_group_and_mode():
    for role, name, task in all_tasks():
        for module in WRITERS:
            if module in task:
                args = task[module]
                missing = [key for key in ("owner", "group", "mode") if key not in args]
                assert not missing, "%s/tasks/%s: %r lacks %s" % (role, name, task.get("name"), missing)


def test_every_task_uses_fqcn_and_a_name():
    keywords = {"name", "when", "tags", "notify", "register", "vars", "environment", "changed_when", "failed_when",
                "check_mode", "listen", "loop", "loop_control", "become", "become_user", "no_log", "block",
                "rescue", "always", "args", "delegate_to", "run_once", "any_errors_fatal", "ignore_errors", "until", "retries", "delay", "diff",
                "async", "poll"}
    for role, name, task in all_tasks():
        assert task.get("name"), "%s/tasks/%s: a task has no name" % (role, name)
        modules = [key for key in task if key not in keywords]
        assert len(modules) == 1, "%s/tasks/%s: %r" % (role, name, modules)
        assert modules[0].count(".") >= 2, "%s/tasks/%s: %s is not a FQCN" % (role, name, modules[0])


def test_gunicorn_config_is_written_only_by_the_module():
    writers = []
    for role, name, task in all_tasks():
        for module, args in task.items():
            if isinstance(args, dict) and "gunicorn.conf" in str(args.get("dest", "")) + str(args.get("path", "")):
                writers.append(module)
            if isinstance(args, dict) and "gunicorn_config_path" in str(args.get("dest", "")) + str(args.get("path", "")):
                writers.append(module)
    # Its validate task file runs the module too, in check mode.
    assert writers and set(writers) == {"flaskstack.deploy.gunicorn_config"}
    templates = []
    for role in ROLES:
        for base, _dirs, files in os.walk(role_file(role)):
            templates += [f for f in files if "gunicorn" in f and f.endswith(".j2") and "conf.py" in f]
    assert templates == []


def test_per_app_variables_list_matches_the_defaults():
    """An entry of flaskstack_apps may set exactly the variables that read flaskstack_app."""
    per_app = set()
    for role in ROLES:
        with open(role_file(role, "defaults", "main.yml")) as handle:
            per_app.update(re.findall(r"^([a-z0-9_]+): \"\{\{ flaskstack_app\.\1 \|", handle.read(), re.M))
    listed = load(role_file("flaskstack", "vars", "main.yml"))["__flaskstack_app_variables"]
    assert sorted(listed) == listed, "keep __flaskstack_app_variables sorted"
    assert set(listed) == per_app
    assert "flaskstack_app_name" in per_app and "nginx_user" not in per_app
