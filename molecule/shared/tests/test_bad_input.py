"""Bad variables are refused before anything on the host changes.

Each set is passed to the site playbook as extra vars against the converged
host. The run must fail in its first play (checks only), with a message that
names the variable, report no change, and leave every file under /etc, /srv
and /usr/local untouched."""

import json
import re

import pytest

from conftest import only_in_scenarios, recap, run_playbook

# (variables, the name the failure must mention)
BAD_SETS = [
    ({"nginx_listen_port": 70000}, "nginx_listen_port"),
    ({"nginx_listen_port": "eighty"}, "nginx_listen_port"),
    ({"gunicorn_workers": "many"}, "gunicorn_workers"),
    ({"gunicorn_timeout": -5}, "gunicorn_timeout"),
    ({"gunicorn_threads": "two"}, "gunicorn_threads"),
    ({"flaskstack_process_manager": "upstart"}, "flaskstack_process_manager"),
    ({"flaskstack_app_name": "My App!"}, "flaskstack_app_name"),
    ({"flaskstack_app_user": "root"}, "flaskstack_app_user"),
    ({"flaskstack_app_root": "srv/flaskstack/demo"}, "flaskstack_app_root"),
    ({"flaskstack_app_run_dir": "/tmp/flaskstack-demo"}, "flaskstack_app_run_dir"),
    ({"flaskstack_app_bind": "0.0.0.0:8000"}, "flaskstack_app_bind"),
    ({"flaskstack_app_wsgi": "app.py"}, "flaskstack_app_wsgi"),
    ({"app_keep_releases": 1}, "app_keep_releases"),
    ({"app_source": "local"}, "app_local_path"),
    ({"nginx_static_dir": "static"}, "nginx_static_dir"),
    ({"nginx_server_name": "example.com; return 200"}, "nginx_server_name"),
    ({"gunicorn_read_write_paths": ["uploads"]}, "gunicorn_read_write_paths"),
    ({"gunicorn_settings": {"daemon": True}}, "daemon"),
    ({"supervisor_log_dir": "logs"}, "supervisor_log_dir"),
    ({"nginx_tls": "letsencrypt"}, "nginx_tls"),
    ({"nginx_tls": "provided"}, "nginx_tls_certificate"),
    ({"nginx_tls": "acme"}, "nginx_acme_domains"),
    ({"nginx_tls": "selfsigned", "nginx_tls_hsts": "1 year"}, "nginx_tls_hsts"),
    ({"flaskstack_apps": "demo"}, "flaskstack_apps"),
    ({"flaskstack_apps": [{"flaskstack_app_name": "demo", "gunicorn_wrokers": 3}]}, "gunicorn_wrokers"),
]
MARKER = "/tmp/flaskstack-bad-input.marker"


@pytest.fixture(scope="module", autouse=True)
def converged_host():
    only_in_scenarios("default", why="the checks run on the controller's variables before any host changes; "
                                     "one converged host shows it")


def failure_text(output):
    """The failed task's header and message: from the TASK line before the first failure to the recap."""
    output = re.sub(r"\x1b\[[0-9;]*m", "", output)
    match = re.search(r"^(fatal|failed): ", output, re.MULTILINE)
    assert match, "the run did not fail on a task:\n" + output[-3000:]
    task = output.rfind("TASK [", 0, match.start())
    return output[task:output.find("PLAY RECAP", match.start())]


@pytest.mark.parametrize("variables,name", BAD_SETS, ids=[name for _variables, name in BAD_SETS])
def test_bad_variables_fail_early_naming_the_variable(host, variables, name):
    host.run("touch %s", MARKER)
    rc, output = run_playbook("-e", json.dumps(variables))
    assert rc != 0, output[-3000:]
    failure = failure_text(output)
    assert name in failure, failure
    assert "Apps are deployed on the app servers" not in output[:output.find(failure[:40])], \
        "the failure came after the checks:\n" + failure
    assert recap(output)["changed"] == 0, output[-3000:]
    touched = host.check_output("find /etc /srv /usr/local -newer %s 2>/dev/null | head -20", MARKER)
    assert touched == "", "the host changed:\n" + touched
    message = " ".join(line.strip() for line in failure.splitlines() if "msg" in line or name in line)
    print("bad input: %s -> %s" % (json.dumps(variables), message[:160]))
