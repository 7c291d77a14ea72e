#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: gunicorn_config
short_description: Write a validated gunicorn configuration file
version_added: "0.1.0"
description:
  - Writes a gunicorn configuration file (Python source) from a dictionary of
    gunicorn settings and server hooks.
  - Every setting is checked against a catalogue of gunicorn's settings before
    anything is written; unknown names (with a suggestion), wrong types,
    out-of-range numbers, malformed bind addresses, removed worker classes and
    contradictory combinations fail with a message that names the setting.
  - The output is deterministic (sorted, stable formatting), so a second run
    with the same arguments changes nothing.
  - Writes through a temporary file and an atomic move; an existing file is
    never touched when validation fails.
author:
  - flaskstack.deploy contributors (@flaskstack)
options:
  path:
    description: Path of the configuration file to manage.
    type: path
    required: true
    aliases: [dest]
  settings:
    description:
      - Gunicorn setting names mapped to their values, for example
        C(workers), C(bind), C(worker_class), C(timeout).
      - C(workers) also accepts C(auto), which means 2 x CPU cores + 1 of the
        target host.
      - C(raw_env) accepts a list of C(KEY=value) strings or a dictionary.
    type: dict
    default: {}
  optional_settings:
    description:
      - Settings written only when the gunicorn in O(gunicorn) is new enough
        to know them (the catalogue says since which version), and not set in
        O(settings). Older gunicorn gets the file without them instead of an
        error.
      - Without O(gunicorn), or in check mode before it exists, they are all
        written.
    type: dict
    default: {}
    version_added: "0.2.0"
  hooks:
    description:
      - Server hook names (for example C(post_fork), C(when_ready)) mapped to
        the Python body of that hook. The module writes the C(def) line with
        the arguments gunicorn passes.
    type: dict
    default: {}
  state:
    description: Whether the file should exist.
    type: str
    choices: [present, absent]
    default: present
  backup:
    description: Keep a timestamped copy of the previous file when it changes.
    type: bool
    default: false
  validate:
    description:
      - Load the new file with gunicorn's own configuration loader before it
        replaces the old one. Needs O(gunicorn).
    type: bool
    default: false
  gunicorn:
    description:
      - A virtualenv directory, or the path of a gunicorn executable, on the
        target. Used by O(validate); and to load the worker class as gunicorn
        will (which catches a missing C(gevent)), and to refuse settings newer
        than that gunicorn, which it would silently ignore.
    type: path
  process_manager:
    description:
      - What supervises gunicorn. Under C(systemd) or C(supervisor),
        C(daemon=true) is refused because the process manager would lose
        the process it started.
    type: str
    choices: [none, systemd, supervisor]
    default: none
  environment_file:
    description:
      - A file of C(KEY=value) lines (no quoting; lines starting with C(#) are
        comments) that the config reads into C(raw_env) whenever gunicorn loads
        it, at start and at every reload (HUP), when gunicorn also drops the
        variables it set before. The values stay in that file, out of this one
        and out of the module's output; a missing file gives no variables.
      - The gunicorn master must be able to read it (for example root-owned,
        mode C(0640), in the app's group).
    type: path
    version_added: "0.2.0"
  secret_env_keys:
    description:
      - Keys of C(raw_env) whose values are secret. Their values, the new and
        the old file's, are written to the file but masked in the module's
        output and diff.
    type: list
    elements: str
    default: []
  hide_env:
    description: Treat every C(raw_env) value as secret.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.files
  - flaskstack.deploy.directories
attributes:
  check_mode:
    description: Reports what would change and writes nothing.
    support: full
  diff_mode:
    description: Shows the old and new file, with secret values masked.
    support: full
notes:
  - The catalogue covers gunicorn 23.0 to 27.x. Gunicorn itself ignores names it
    does not know, which is why a typo here is an error.
seealso:
  - name: Gunicorn settings
    description: Gunicorn's reference of every setting.
    link: https://docs.gunicorn.org/en/stable/settings.html
"""

EXAMPLES = r"""
- name: Gunicorn config for the shop app is rendered
  flaskstack.deploy.gunicorn_config:
    path: /etc/flaskstack/shop/gunicorn.conf.py
    owner: root
    group: shop
    mode: "0640"
    process_manager: systemd
    gunicorn: /srv/flaskstack/shop/venv
    validate: true
    settings:
      bind: unix:/run/flaskstack-shop/gunicorn.sock
      workers: auto
      worker_class: gthread
      threads: 4
      accesslog: "-"
      raw_env:
        DATABASE_URL: postgresql://shop:{{ shop_db_password }}@db/shop
    secret_env_keys: [DATABASE_URL]
    hooks:
      post_fork: |
        server.log.info("worker %s forked", worker.pid)

- name: Old gunicorn config is gone
  flaskstack.deploy.gunicorn_config:
    path: /etc/flaskstack/legacy/gunicorn.conf.py
    state: absent
"""

RETURN = r"""
path:
  description: The managed file.
  returned: always
  type: str
  sample: /etc/flaskstack/shop/gunicorn.conf.py
settings:
  description: The settings as written, with C(workers=auto) resolved and secrets masked.
  returned: when state is present
  type: dict
  sample: {"bind": ["unix:/run/flaskstack-shop/gunicorn.sock"], "workers": 5}
gunicorn_version:
  description: Version of the gunicorn given in O(gunicorn), which the settings were checked against.
  returned: when O(gunicorn) exists on the target
  type: str
  sample: 27.0.1
backup_file:
  description: The backup made of the previous file.
  returned: when backup is true and the file changed
  type: str
  sample: /etc/flaskstack/shop/gunicorn.conf.py.12345.2026-11-21@10:00:00~
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native

from ansible_collections.flaskstack.deploy.plugins.module_utils.file_content import (
    DIRECTORIES_SPEC,
    apply_file_attributes,
    ensure_directories,
    read_bytes,
    replace_content,
)
from ansible_collections.flaskstack.deploy.plugins.module_utils.gunicorn_settings import (
    SettingsError,
    mask_env,
    render,
    rendered_raw_env,
    required_packages,
    secret_values,
    unsupported,
    validate,
)

# Runs inside the target's virtualenv: loads the candidate file with gunicorn's
# own loader, so every value passes gunicorn's validators too.
CHECK_SCRIPT = """
import sys
from gunicorn.app.base import Application

class Check(Application):
    def init(self, parser, opts, args):
        return None
    def load_config(self):
        self.load_default_config()
    def load(self):
        return None

def load_file(path):
    checker = Check()
    checker.load_config_from_file(path)
    return checker.cfg

if __name__ == "__main__":
    load_file(sys.argv[1])
"""


# gunicorn's master imports the worker class only when it spawns workers, so
# a missing package (gevent, or packaging for gunicorn 27's gevent worker)
# would only show after the config is live: load it now, as gunicorn does.
LOAD_WORKER_SCRIPT = """
import sys
from gunicorn.util import load_class
try:
    load_class(sys.argv[1], default="gunicorn.workers.sync.SyncWorker", section="gunicorn.workers")
except Exception as exc:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip().strip("[]")]
    sys.stderr.write((lines[-1] if lines else repr(exc)) + "\\n")
    raise SystemExit(1)
"""


def cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def gunicorn_python(module, location):
    """The Python interpreter that runs the given gunicorn (venv or executable)."""
    if os.path.isdir(location):
        python = os.path.join(location, "bin", "python")
    elif os.path.isfile(location):
        python = os.path.join(os.path.dirname(location), "python")
        if not os.path.exists(python):
            with open(location, "rb") as handle:
                first = handle.readline().decode("utf-8", "replace").strip()
            python = first[2:].strip().split()[0] if first.startswith("#!") else ""
    else:
        module.fail_json(msg="gunicorn: %s does not exist on the target" % location)
    if not python or not os.path.exists(python):
        module.fail_json(msg="gunicorn: found no Python interpreter for %s" % location)
    return python


def gunicorn_version(module, python):
    rc, out, err = module.run_command([python, "-c", "import gunicorn; print(gunicorn.__version__)"])
    if rc != 0:
        module.fail_json(msg="gunicorn: %s cannot import gunicorn: %s" % (python, (err or out).strip()))
    return out.strip()


def check_worker_class(module, python, worker_class):
    """Load the worker class the way gunicorn's master will, before writing."""
    rc, out, err = module.run_command([python, "-c", LOAD_WORKER_SCRIPT, worker_class])
    if rc != 0:
        reason = ((err or out).strip().splitlines() or ["unknown error"])[-1]
        packages = required_packages(worker_class)
        hint = (" (it needs the Python packages %s in gunicorn's environment)" % ", ".join(packages)) if packages else ""
        module.fail_json(msg="worker_class: %r cannot be loaded by %s: %s%s" % (worker_class, python, reason, hint))


def run_absent(module, path):
    result = dict(changed=False, path=path)
    before = read_bytes(path)
    if before is None:
        module.exit_json(**result)
    result["changed"] = True
    if module._diff:
        result["diff"] = dict(before_header=path, after_header=path, before=to_native(before), after="")
    if not module.check_mode:
        if module.params["backup"]:
            result["backup_file"] = module.backup_local(path)
        os.remove(path)
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True, aliases=["dest"]),
            settings=dict(type="dict", default={}),
            optional_settings=dict(type="dict", default={}),
            hooks=dict(type="dict", default={}),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            backup=dict(type="bool", default=False),
            validate=dict(type="bool", default=False),
            gunicorn=dict(type="path"),
            process_manager=dict(type="str", choices=["none", "systemd", "supervisor"], default="none"),
            secret_env_keys=dict(type="list", elements="str", default=[], no_log=False),
            hide_env=dict(type="bool", default=False),
            environment_file=dict(type="path"),
            directories=DIRECTORIES_SPEC,
        ),
        add_file_common_args=True,
        supports_check_mode=True,
        required_if=[("validate", True, ("gunicorn",))],
    )
    params = module.params
    path = params["path"]

    if params["state"] == "absent":
        run_absent(module, path)

    python = version = None
    result_extra = {}
    if params["gunicorn"]:
        if module.check_mode and not os.path.exists(params["gunicorn"]):
            # A task before this one would have created the virtualenv.
            module.warn("gunicorn: %s does not exist yet; not checked in check mode" % params["gunicorn"])
        else:
            python = gunicorn_python(module, params["gunicorn"])
            version = gunicorn_version(module, python)
            result_extra["gunicorn_version"] = version

    wanted = dict((name, value) for name, value in params["optional_settings"].items()
                  if not (version and unsupported({name: value}, {}, version)))
    wanted.update(params["settings"])
    try:
        settings = validate(wanted, params["hooks"], params["process_manager"], cpu_count())
    except SettingsError as exc:
        module.fail_json(msg="invalid gunicorn settings: %s" % exc, errors=exc.errors)

    secrets = secret_values(settings, params["secret_env_keys"], params["hide_env"])
    module.no_log_values.update(secrets)
    shown = mask_env(settings, params["secret_env_keys"], params["hide_env"])

    if python:
        too_new = unsupported(settings, params["hooks"], version)
        if too_new:
            module.fail_json(msg="invalid gunicorn settings: %s" % "; ".join(too_new), errors=too_new)
        check_worker_class(module, python, settings.get("worker_class", "sync"))

    directories_changed, diffs = ensure_directories(module, params["directories"])
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory) and not module.check_mode:
        module.fail_json(msg="path: the directory %s does not exist" % directory)

    content = to_bytes(render(settings, params["hooks"], params["environment_file"]))
    before = read_bytes(path)
    # The old file's secret values are masked too: a changed secret shows neither value.
    old_secrets = secret_values({"raw_env": rendered_raw_env(to_native(before or b""))},
                                params["secret_env_keys"], params["hide_env"])
    module.no_log_values.update(old_secrets)
    secrets = secrets + [value for value in old_secrets if value not in secrets]
    changed = before != content
    result = dict(changed=changed, path=path, settings=shown, **result_extra)

    if changed and module._diff:
        diffs.append(dict(
            before_header=path,
            after_header=path,
            before=_masked_text(before, secrets),
            after=_masked_text(content, secrets),
        ))
    if diffs and module._diff:
        result["diff"] = diffs[0] if len(diffs) == 1 else diffs

    def check(tmp):
        rc, out, err = module.run_command([python, "-c", CHECK_SCRIPT, tmp])
        if rc != 0:
            module.fail_json(msg="gunicorn refused the new config, %s is unchanged: %s"
                                 % (path, (err or out).strip().splitlines()[-1:] or ""),
                             stderr=err, stdout=out)

    if changed and not module.check_mode:
        backup_file = replace_content(module, path, content, ".gunicorn_config.",
                                      check=check if params["validate"] and python else None,
                                      backup=params["backup"])
        if backup_file:
            result["backup_file"] = backup_file
    result["changed"] = apply_file_attributes(module, path, result["changed"]) or bool(directories_changed)
    module.exit_json(**result)


def _masked_text(content, secrets):
    if content is None:
        return ""
    text = to_native(content)
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "********")
    return text


if __name__ == "__main__":
    main()
