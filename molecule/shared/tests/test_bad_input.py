"""Bad variables are refused before anything on the host changes.

Every set is tried in one run of the site playbook against the converged
container: each set is the inventory variables of a name of its own for that
container (as a user sets variables), so the checks of all sets run side by
side instead of one playbook run each. Each set must fail in the first play
(checks only), with a message that names the variable, and report no change;
after the run, no file under /etc, /srv or /usr/local is newer than it."""

import json
import os
import shutil
import subprocess

import pytest
import yaml

from conftest import only_in_scenarios, run_noted

# (variables, the name the failure must mention, and text it must hold if any)
BAD_SETS = [
    ({"nginx_listen_port": 70000}, "nginx_listen_port", None),
    ({"nginx_listen_port": "eighty"}, "nginx_listen_port", None),
    ({"gunicorn_workers": "many"}, "gunicorn_workers", None),
    ({"gunicorn_timeout": -5}, "gunicorn_timeout", None),
    ({"gunicorn_threads": "two"}, "gunicorn_threads", None),
    ({"flaskstack_process_manager": "upstart"}, "flaskstack_process_manager", None),
    ({"flaskstack_app_name": "My App!"}, "flaskstack_app_name", None),
    ({"flaskstack_app_user": "root"}, "flaskstack_app_user", None),
    ({"flaskstack_app_root": "srv/flaskstack/demo"}, "flaskstack_app_root", None),
    ({"flaskstack_app_run_dir": "/tmp/flaskstack-demo"}, "flaskstack_app_run_dir", None),
    # Paths the roles own and delete: never a system directory, never one that climbs out.
    ({"flaskstack_app_root": "/srv/flaskstack/../../etc"}, "flaskstack_app_root", "this one means /etc"),
    ({"flaskstack_app_root": "/srv"}, "flaskstack_app_root", "must not be a system directory"),
    # Removal deletes the app root: it is checked like a deploy's.
    ({"flaskstack_app_state": "absent", "flaskstack_app_root": "/etc"}, "flaskstack_app_root",
     "must not be a system directory"),
    ({"flaskstack_app_config_dir": "/etc/flaskstack"}, "flaskstack_app_config_dir", "a directory every app shares"),
    ({"flaskstack_app_run_dir": "/run/flaskstack-demo\n"}, "flaskstack_app_run_dir", "newline"),
    ({"app_releases_dir": "/srv/flaskstack/demo/releases/"}, "app_releases_dir", "normal form"),
    ({"flaskstack_app_bind": "0.0.0.0:8000"}, "flaskstack_app_bind", None),
    ({"flaskstack_app_wsgi": "app.py"}, "flaskstack_app_wsgi", None),
    ({"app_keep_releases": 1}, "app_keep_releases", None),
    ({"app_source": "local"}, "app_local_path", None),
    ({"nginx_static_dir": "static"}, "nginx_static_dir", None),
    ({"nginx_server_name": "example.com; return 200"}, "nginx_server_name", None),
    ({"processes_read_write_paths": ["uploads"]}, "processes_read_write_paths", None),
    ({"gunicorn_settings": {"daemon": True}}, "daemon", None),
    ({"processes_supervisor_log_dir": "logs"}, "processes_supervisor_log_dir", None),
    ({"nginx_tls": "letsencrypt"}, "nginx_tls", None),
    ({"nginx_tls": "provided"}, "nginx_tls_certificate", None),
    ({"nginx_tls": "acme"}, "nginx_acme_domains", None),
    ({"nginx_tls": "selfsigned", "nginx_tls_hsts": "1 year"}, "nginx_tls_hsts", None),
    ({"flaskstack_apps": "demo"}, "flaskstack_apps", None),
    ({"flaskstack_apps": [{"flaskstack_app_name": "demo", "gunicorn_wrokers": 3}]}, "gunicorn_wrokers", None),
    ({"flaskstack_apps": [{"flaskstack_app_name": "demo", "nginx_server_nme": "x"}]}, "nginx_server_nme",
     'unknown variables ["nginx_server_nme"]'),
    # The scenario's inventory sets flaskstack_process_manager for every app.
    ({"flaskstack_apps": [{"flaskstack_app_name": "demo", "flaskstack_process_manager": "systemd"}]},
     "flaskstack_process_manager", 'set both in the inventory and in the entry: ["flaskstack_process_manager"]'),
]
# Issue 16: each kind of mistaken or hostile value, refused before any change.
SECRET = "s3cr3t-token"
BAD_SETS += [
    # A trailing newline passes a regular expression anchored with $.
    ({"flaskstack_app_name": "demo\n"}, "flaskstack_app_name", None),
    ({"flaskstack_app_service": "flaskstack-demo;x"}, "flaskstack_app_service", None),
    ({"flaskstack_app_bind": "unix:run/demo.sock"}, "flaskstack_app_bind", None),
    # Values that would reach pip or git as options, or read files outside the code.
    ({"app_source": "pip", "app_pip_spec": "--requirement=/etc/shadow"}, "app_pip_spec", "not a pip option"),
    ({"app_requirements_file": "../../../../etc/shadow"}, "app_requirements_file", "climbs out"),
    ({"app_source": "git", "app_git_repo": "--upload-pack=touch /tmp/flaskstack-pwned"}, "app_git_repo",
     "git would read it as an option"),
    ({"app_source": "git", "app_git_repo": "ext::sh"}, "app_git_repo", "must be a repository URL"),
    ({"app_source": "git", "app_git_repo": "/srv/repo", "app_git_version": "--help"}, "app_git_version", None),
    ({"python_pip_packages": ["flask", "-r/etc/shadow"]}, "python_pip_packages", "not a pip option"),
    ({"app_source": "local", "app_local_path": "/nonexistent/mysite"}, "app_local_path", "existing directory"),
    # Values written into nginx directives.
    ({"nginx_client_max_body_size": "10m; return 200 pwned"}, "nginx_client_max_body_size", None),
    ({"nginx_security_headers": {"X-A\" \"b\"; return 200; #": "v"}}, "nginx_security_headers", None),
    ({"nginx_server_name": "example.com\nreturn"}, "nginx_server_name", "newline"),
    ({"nginx_static_dir": "/"}, "nginx_static_dir", "under /srv/flaskstack/demo"),
    # Overrides that would break the safety promises; secrets stay out of the message.
    ({"gunicorn_settings": {"bind": "0.0.0.0:8000", "raw_env": ["SECRET_KEY=" + SECRET]}}, "gunicorn_settings",
     "around nginx"),
    ({"processes_systemd_settings": {"User": "root"}}, "processes_systemd_settings", "never as root"),
    ({"processes_systemd_settings": {"ExecStartPre": "+/bin/true"}}, "processes_systemd_settings", "as root"),
    ({"gunicorn_workers": 100000}, "gunicorn_workers", "must be at most"),
    ({"app_source": "git", "app_git_repo": "https://deploy:%s@git.example.com/x.git --upload-pack=x" % SECRET},
     "app_git_repo", None),
    # The app's environment: names checked, values never shown; its data apart from what the roles replace.
    ({"app_environment": {"BAD-NAME": SECRET}}, "app_environment", "name BAD-NAME must be letters"),
    ({"app_environment": {"NOTE": "two\n" + SECRET}}, "app_environment", "the value of NOTE must hold no newline"),
    ({"app_environment": {"STATE_DIRECTORY": "/tmp"}}, "app_environment", "set app_state_dir"),
    ({"app_environment": {"HOSTS": ["a", "b"]}}, "app_environment", "HOSTS must be a string or a number"),
    ({"app_environment": {"CONFIGURATION_DIRECTORY": "/tmp"}}, "app_environment", "set flaskstack_app_config_dir"),
    ({"app_schedules": [{"name": "Nightly Digest", "command": "flask digest", "on_calendar": "daily"}]},
     "app_schedules", "app_schedules[0].name must be lowercase letters"),
    # A config file's content is never echoed; only the entry and key are named.
    ({"app_config_files": [{"path": "../nginx/nginx.conf", "content": "TOKEN = '%s'" % SECRET}]}, "app_config_files",
     "app_config_files[0].path must stay inside the app's config directory"),
    ({"app_config_files": [{"path": "environment", "content": "SECRET_KEY=" + SECRET, "mode": "0644"}]},
     "app_config_files", "app_config_files[0].mode must let the app's group read the file and nobody else"),
    ({"app_state_dir": "var/lib/demo"}, "app_state_dir", "absolute"),
    ({"app_state_dir": "/srv/flaskstack/demo/data"}, "app_state_dir", "must be apart from /srv/flaskstack/demo"),
    ({"app_state_dir": "/run"}, "app_state_dir", None),
    # Found in review: each would have reached a file, or deleted or chowned another's directory.
    ({"nginx_security_headers": {"X-Test": 'a" always; return 200 pwned; #'}}, "nginx_security_headers", None),
    ({"processes_socket_group": "www-data -\nf /etc/sudoers.d/x"}, "processes_socket_group", None),
    ({"flaskstack_app_state": "absent", "flaskstack_app_service": "../../nginx/nginx"},
     "flaskstack_app_service", None),
    # A setting of an earlier release would otherwise be dropped without a word.
    ({"gunicorn_read_write_paths": ["/srv/uploads"]}, "gunicorn_read_write_paths", "is now processes_read_write_paths"),
    ({"app_releases_dir": "/var/lib/postgresql"}, "app_releases_dir", "must be under /srv/flaskstack/demo/"),
    ({"flaskstack_app_run_dir": "/run/flaskstack-demo /srv"}, "flaskstack_app_run_dir", "spaces"),
    ({"processes_systemd_settings": {"LoadCredential": "s:/etc/shadow"}}, "processes_systemd_settings", "as root"),
    # The sandboxed unit would not start after the switch: refused before anything changes.
    ({"processes_read_write_paths": ["/srv/demo-uploads"]}, "processes_read_write_paths",
     "lists /srv/demo-uploads, which is not a directory on"),
    # Real servers (issue 20): code in a home directory the app's sandbox hides
    # (ProtectHome), and an ACME order whose HTTP-01 challenge cannot reach the site.
    ({"flaskstack_app_root": "/home/deploy/demo"}, "flaskstack_app_root", "while the app's sandbox hides them"),
    ({"nginx_tls": "acme", "nginx_acme_domains": ["demo.example.com"]}, "nginx_listen_port",
     "must be 80 when nginx_tls is acme"),
    # Two apps on one port: a wildcard name covers the other's.
    ({"flaskstack_apps": [{"flaskstack_app_name": "shop", "nginx_server_name": "shop.example.com"},
                          {"flaskstack_app_name": "blog", "nginx_server_name": "*.example.com"}]},
     "nginx_server_name", "shop.example.com (app shop) and *.example.com (app blog) on port 81"),
]
# Issue 19: an app's database and Redis, and their servers' variables. "_groups"
# puts the set's host in those groups besides webservers.
BAD_SETS += [
    ({"flaskstack_app_database": True, "flaskstack_app_database_password": ""}, "flaskstack_app_database_password",
     "must be set (from Ansible Vault) when flaskstack_app_database is true"),
    ({"flaskstack_app_database": True, "flaskstack_app_database_password": SECRET,
      "flaskstack_app_database_name": "shop'; drop table x; --", "_groups": ["dbservers"]},
     "flaskstack_app_database_name", "must be lowercase letters, digits and _"),
    ({"flaskstack_app_database": True, "flaskstack_app_database_password": SECRET,
      "flaskstack_app_database_server": "db9.example.com"}, "flaskstack_app_database_server",
     "must be a host of the dbservers group"),
    ({"flaskstack_app_redis": True, "flaskstack_app_redis_password": "", "_groups": ["redisservers"]},
     "flaskstack_app_redis_password", "must be set"),
    ({"postgresql_port": 70000, "_groups": ["dbservers"]}, "postgresql_port", "must be a port from 1 to 65535"),
    ({"redis_port": 0, "_groups": ["redisservers"]}, "redis_port", "must be a port from 1 to 65535"),
    ({"redis_maxmemory": "lots", "_groups": ["redisservers"]}, "redis_maxmemory", "must be a size"),
    ({"flaskstack_app_database": True, "flaskstack_app_database_password": SECRET, "_groups": ["dbservers"],
      "app_environment": {"DATABASE_URL": "sqlite:///x.db"}}, "app_environment",
     "DATABASE_URL is set by the collection"),
    # Two apps that share a database must agree on its password.
    ({"_groups": ["dbservers"], "flaskstack_apps": [
        {"flaskstack_app_name": "shop", "nginx_server_name": "shop.test", "flaskstack_app_database": True,
         "flaskstack_app_database_name": "shared", "flaskstack_app_database_password": SECRET},
        {"flaskstack_app_name": "blog", "nginx_server_name": "blog.test", "flaskstack_app_database": True,
         "flaskstack_app_database_name": "shared", "flaskstack_app_database_password": "another"}]},
     "flaskstack_app_database_password", "database shared is asked for with different users or passwords by shop"),
]
CHECKS_PLAY = "Every server's variables are checked before any server changes"
MARKER = "/tmp/flaskstack-bad-input.marker"


def alias(index):
    return "bad-input-%02d" % index


def messages(result):
    """The failure messages of a task result, or of its failed loop items (the
    result's own then says only "One or more items failed"); an argument
    spec's errors instead of its "Validation of arguments failed"."""
    found = []
    for part in [item for item in result.get("results", ()) if item.get("failed")] or [result]:
        found.extend(part.get("argument_errors") or [])
        if part.get("msg") and not part.get("argument_errors"):
            found.append(part["msg"])
    return " ".join(str(message) for message in found)


@pytest.fixture(scope="module")
def refusals(host, tmp_path_factory):
    """{alias: (play, task name, messages, whole result as text, changed)} of its first failure in one run."""
    only_in_scenarios("default", why="the checks run on the controller's variables before any host changes; "
                                     "one converged host shows it")
    variables = host.ansible.get_variables()
    connection = {"ansible_host": variables["inventory_hostname"], "ansible_connection": variables["ansible_connection"]}
    aliases = {alias(index): dict({key: value for key, value in bad.items() if key != "_groups"}, **connection)
               for index, (bad, _name, _text) in enumerate(BAD_SETS, 1)}
    groups = {"webservers": {"children": {"bad_input": {"hosts": aliases}}}}
    for index, (bad, _name, _text) in enumerate(BAD_SETS, 1):
        for group in bad.get("_groups", []):
            groups.setdefault(group, {"hosts": {}})["hosts"][alias(index)] = {}
    inventory = tmp_path_factory.mktemp("bad-input") / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": groups}}))
    touch = host.run("touch %s", MARKER)
    assert touch.rc == 0, touch.stderr
    project = os.path.dirname(os.path.dirname(os.environ["MOLECULE_SCENARIO_DIRECTORY"]))
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(project, "collections"))
    # Every alias is the same container: its facts are gathered once, as the
    # site playbook gathers them, and every alias reads them from a fact cache
    # instead of gathering them again (about a third of the run's CPU).
    facts = tmp_path_factory.mktemp("facts")
    env.update(ANSIBLE_CACHE_PLUGIN="ansible.builtin.jsonfile", ANSIBLE_CACHE_PLUGIN_CONNECTION=str(facts),
               ANSIBLE_GATHERING="smart")
    real = variables["inventory_hostname"]
    gather = subprocess.run(
        ["ansible", "-i", os.environ["MOLECULE_INVENTORY_FILE"], real, "-m", "ansible.builtin.gather_facts",
         "-a", "gather_subset=min,network"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=300, check=False)
    cached = [path for path in facts.iterdir() if path.name.endswith(real)]
    assert gather.returncode == 0 and len(cached) == 1, gather.stdout[-3000:]
    assert "_ansible_facts_gathered" in cached[0].read_text(), cached[0].read_text()[:3000]
    # The cache names a host's file after it (with the cache's own prefix).
    for name in aliases:
        shutil.copy(str(cached[0]), str(facts / (cached[0].name[:-len(real)] + name)))
    # The scenario's inventory gives the webservers group its variables; the
    # aliases join that group. Only the aliases run.
    argv = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], "-i", str(inventory), "--limit",
            "bad_input", "--forks", "8", os.path.join(project, "molecule", "shared", "converge.yml")]
    proc = run_noted(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                     timeout=900)
    assert proc.returncode != 0, "the run with every bad set passed:\n" + proc.stdout[-3000:]
    report = json.loads(proc.stdout[proc.stdout.index("{"):])
    first_failure = {}
    for play in report["plays"]:
        for task in play["tasks"]:
            for name, result in task["hosts"].items():
                if result.get("failed") and name not in first_failure:
                    first_failure[name] = (play["play"]["name"], task["task"]["name"], messages(result),
                                           json.dumps(result))
    return {name: first_failure.get(name, (None, "", "", "")) + (report["stats"].get(name, {}).get("changed"),)
            for name in aliases}


@pytest.mark.parametrize("index", range(1, len(BAD_SETS) + 1), ids=[name for _bad, name, _text in BAD_SETS])
def test_bad_variables_fail_early_naming_the_variable(refusals, index):
    variables, name, text = BAD_SETS[index - 1]
    play, task, message, result, changed = refusals[alias(index)]
    assert play is not None, "%s was not refused" % json.dumps(variables)
    assert play == CHECKS_PLAY, "the failure came after the checks, in %r: %s: %s" % (play, task, result[:3000])
    assert name in task + " " + result, "%s: %s" % (task, result[:3000])
    assert text is None or text in message, message
    assert changed == 0
    print("bad input: %s -> %s" % (json.dumps(variables), message[:160]))


def test_no_refusal_prints_a_secret(refusals):
    carrying = [alias(index) for index, (bad, _name, _text) in enumerate(BAD_SETS, 1) if SECRET in json.dumps(bad)]
    assert len(carrying) == 10
    for name in carrying:
        play, _task, message, result, _changed = refusals[name]
        assert play == CHECKS_PLAY and message, result[:3000]
        assert SECRET not in result, "%s printed the secret: %s" % (name, result[:3000])


def test_no_bad_set_changed_the_host(host, refusals):
    assert len(refusals) == len(BAD_SETS)
    # The journal writes all the time; anything else new under /var is a change.
    touched = host.run("find /etc /srv /usr/local /var -newer %s -not -path '/var/log/journal/*'", MARKER)
    assert touched.rc == 0, touched.stderr
    assert touched.stdout == "", "the host changed:\n" + touched.stdout
