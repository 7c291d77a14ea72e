# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""flaskstack: the apps flaskstack.deploy runs on this server, for the operator.

  flaskstack                      the apps, their live release and state
  flaskstack APP status           processes, releases and where the logs are
  flaskstack APP releases         the releases, the live and previous marked
  flaskstack APP logs [-f] [-n N] the app's log (journal, or supervisor's)
  flaskstack APP run -- CMD...    CMD as the app user, in the live release,
                                  with the app's environment and virtualenv
                                  (e.g. flaskstack demo run -- flask shell)
  flaskstack APP release DIR -- 'CMD' ['CMD'...]
                                  the release phase: each shell command in
                                  turn, as `run` does but in release DIR, one
                                  release phase of the app at a time; stops at
                                  the first that fails (the app role runs it
                                  before a new release goes live)

Root only (sudo), or an app's own user for that app: it reads the app's
environment file, which holds secrets.
Installed by the flaskstack.deploy.app role (which adds the #! line); each app's environment file
(/etc/flaskstack/APP/environment) says who the app runs as and where.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fcntl
import glob
import json
import os
import pwd
import subprocess
import sys

# Where the apps' config directories are (flaskstack_app_config_dir's parent).
CONFIG_ROOT = os.environ.get("FLASKSTACK_CONFIG_ROOT", "/etc/flaskstack")
# The environment file's line that describes the app (the app role writes it).
HEADER = "# flaskstack-app: "
# A release's link to its own virtualenv (the python role's release_venv).
RELEASE_VENV = ".flaskstack-venv"


class Problem(Exception):
    """Something the operator must know; printed, and the command exits 1 (2 for usage)."""

    def __init__(self, message, status=1):
        Exception.__init__(self, message)
        self.status = status


def read_app(path):
    """(description, environment) of an app's environment file."""
    description, environment = None, {}
    with open(path, encoding="utf-8") as handle:
        for line in handle.read().splitlines():
            if line.startswith(HEADER):
                description = json.loads(line[len(HEADER):])
            elif "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                environment[key] = value
    if description is None:
        raise Problem("%s does not say which app it is for (written by an older flaskstack.deploy? "
                      "run the site playbook again)" % path)
    return description, environment


def apps():
    """{name: environment file} of the apps on this server (their config directories are in CONFIG_ROOT)."""
    found = {}
    for path in sorted(glob.glob(os.path.join(CONFIG_ROOT, "*", "environment"))):
        try:
            description, _environment = read_app(path)
        except (OSError, ValueError, Problem):
            continue
        found[description.get("name") or os.path.basename(os.path.dirname(path))] = path
    return found


def app(name):
    known = apps()
    if name not in known:
        raise Problem("no app %r on this server (apps: %s)" % (name, ", ".join(sorted(known)) or "none"))
    return read_app(known[name])


def own_app(name):
    """Whether this process runs as the named app's own user (the release phase in its sandbox)."""
    try:
        description, _environment = app(name)
    except (OSError, Problem):
        return False
    return pwd.getpwnam(description["user"]).pw_uid == os.geteuid()


def link(path):
    return os.path.basename(os.path.realpath(path)) if os.path.islink(path) else "(none)"


def releases(description):
    """[(name, mark)] newest first; the live one marked 'live', the previous one 'previous'."""
    directory = description["releases"]
    try:
        names = [name for name in os.listdir(directory)
                 if not name.startswith(".") and os.path.isdir(os.path.join(directory, name))]
    except OSError:
        names = []
    names.sort(key=lambda name: os.stat(os.path.join(directory, name)).st_mtime, reverse=True)
    live, previous = link(description["code"]), link(description["previous"])
    return [(name, "live" if name == live else "previous" if name == previous else "") for name in names]


def manager_status(description):
    """Shows the app's processes (the web one, then those of app_processes) as
    its process manager sees them; 0 when every one runs."""
    service = description["service"]
    if description["manager"] == "systemd":
        return subprocess.call(["systemctl", "status", "--no-pager", "--lines=0", service, service + ".*@*.service"])
    shown = subprocess.run(["supervisorctl", "status"], stdout=subprocess.PIPE, universal_newlines=True,
                           check=False).stdout.splitlines()
    # A line starts with the program's name, or group:process; the app's
    # other processes are the group <service>.<name>.
    names = [line.split(" ", 1)[0].split(":", 1)[0] for line in shown]
    mine = [line for line, name in zip(shown, names) if name == service or name.startswith(service + ".")]
    print("\n".join(mine) or "supervisor runs no program of %s" % service)
    return 0 if mine and all(" RUNNING " in line for line in mine) else 3


def show_list():
    known = apps()
    if not known:
        print("no flaskstack apps on this server (%s/*/environment)" % CONFIG_ROOT)
        return 0
    for name, path in sorted(known.items()):
        description, _environment = read_app(path)
        print("%-20s live %-14s user %-12s %s %s" % (
            name, link(description["code"]), description["user"], description["manager"], description["service"]))
    return 0


def show_status(name):
    description, _environment = app(name)
    print("app       %s (user %s, group %s)" % (name, description["user"], description["group"]))
    print("live      %s -> %s" % (description["code"], link(description["code"])))
    print("previous  %s" % link(description["previous"]))
    print("data      %s" % description["state"])
    print("config    %s" % os.path.dirname(apps()[name]))
    print("logs      flaskstack %s logs (%s)" % (
        name, "journalctl -u %s" % description["service"] if description["manager"] == "systemd"
        else "supervisorctl tail %s stderr" % description["service"]))
    print("")
    sys.stdout.flush()
    status = manager_status(description)
    # Its scheduled jobs (app_schedules): systemd timers under either manager.
    jobs = "%s.*" % description["service"]
    timers = subprocess.run(["systemctl", "list-timers", "--all", "--no-pager", "--no-legend", jobs + ".timer"],
                            stdout=subprocess.PIPE, universal_newlines=True, check=False).stdout
    failed = subprocess.run(["systemctl", "list-units", "--failed", "--plain", "--no-pager", "--no-legend",
                             jobs + ".service"], stdout=subprocess.PIPE, universal_newlines=True, check=False).stdout
    print("\nscheduled jobs (next run, last run, timer):")
    print(timers.rstrip() or "  none")
    if failed.strip():
        print("\nfailed job runs (journalctl -u UNIT says why):")
        print(failed.rstrip())
    return status


def show_releases(name):
    description, _environment = app(name)
    for release, mark in releases(description):
        print("%s%s" % (release, "  (%s)" % mark if mark else ""))
    return 0


def show_logs(name, arguments):
    description, _environment = app(name)
    follow = "-f" in arguments
    lines = "50"
    if "-n" in arguments:
        index = arguments.index("-n")
        if index + 1 >= len(arguments) or not arguments[index + 1].isdigit():
            raise Problem("-n takes a number of lines", 2)
        lines = arguments[index + 1]
    if description["manager"] == "systemd":
        command = ["journalctl", "--no-pager", "-u", description["service"], "-u", description["service"] + ".*@*",
                   "-n", lines] + (["-f"] if follow else [])
    else:
        command = ["supervisorctl", "tail"] + (["-f"] if follow else ["-%d" % (int(lines) * 200)]) + [
            description["service"], "stderr"]
    os.execvp(command[0], command)
    return 1


def app_process(description, environment, directory, venv=None):
    """(environment, preexec) for a process of the app: the app user, in
    directory, with the app's environment and a virtualenv (by default the
    live one) first on PATH."""
    user = pwd.getpwnam(description["user"])
    venv = venv or description["venv"]
    variables = dict(environment)
    variables.update(
        PATH="%s/bin:/usr/local/bin:/usr/bin:/bin" % venv,
        VIRTUAL_ENV=venv,
        HOME=user.pw_dir,
        USER=user.pw_name,
        LOGNAME=user.pw_name,
        LANG=os.environ.get("LANG", "C.UTF-8"),
    )
    if os.environ.get("TERM"):
        variables["TERM"] = os.environ["TERM"]

    def become():
        os.chdir(directory)
        if os.geteuid() != user.pw_uid:
            os.initgroups(user.pw_name, user.pw_gid)
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)

    return variables, become


def run(name, command):
    """Replaces this process with command, as the app user, in the live release, with the app's environment."""
    if not command:
        raise Problem("run needs a command after --, e.g. flaskstack %s run -- flask shell" % name, 2)
    description, environment = app(name)
    variables, become = app_process(description, environment, description["code"])
    become()
    try:
        os.execvpe(command[0], command, variables)
    except OSError as error:
        raise Problem("cannot run %s: %s" % (command[0], error.strerror), 127)
    return 1


def masked(text, environment):
    """text with every value of the app's environment (4 characters or more) masked."""
    for value in sorted(set(environment.values()), key=len, reverse=True):
        if len(value) >= 4:
            text = text.replace(value, "********")
    return text


def release_phase(name, arguments):
    """Runs the release commands in the release directory; 0, or 1 naming the command that failed."""
    if len(arguments) < 3 or arguments[1] != "--":
        raise Problem("usage: flaskstack %s release DIR -- 'CMD' ['CMD'...]" % name, 2)
    directory, commands = arguments[0], arguments[2:]
    description, environment = app(name)
    if not os.path.isdir(directory):
        raise Problem("release directory %s does not exist" % directory)
    # The release's own virtualenv (its link, made by the python role's
    # release_venv), which goes live with it; a release without one runs
    # with the live virtualenv.
    own_venv = os.path.join(directory, RELEASE_VENV)
    variables, become = app_process(description, environment, directory,
                                    own_venv if os.path.islink(own_venv) else None)
    # In the app's data directory, which the service's sandbox lets it write.
    lock = os.open(os.path.join(description["state"], ".flaskstack-release.lock"), os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        print("flaskstack: another release phase of %s is running; waiting for it" % name)
        sys.stdout.flush()
        fcntl.flock(lock, fcntl.LOCK_EX)
    for command in commands:
        print("$ %s" % command)
        sys.stdout.flush()
        process = subprocess.run(["/bin/sh", "-c", command], env=variables, preexec_fn=become,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
        output = masked(process.stdout.decode("utf-8", "replace"), environment)
        if process.returncode != 0:
            tail = output.splitlines()[-20:]
            raise Problem("release command `%s` failed (exit %d) in %s; nothing was switched. Its last lines:\n%s"
                          % (command, process.returncode, directory, "\n".join(tail)))
        print(output, end="" if output.endswith("\n") or not output else "\n")
    return 0


def main(arguments):
    if arguments[:1] in (["-h"], ["--help"], ["help"]):
        print(__doc__.strip())
        return 0
    if not arguments and os.geteuid() != 0:
        raise Problem("run me as root (sudo flaskstack ...): the apps' environment files are root's")
    if not arguments:
        return show_list()
    if os.geteuid() != 0 and not own_app(arguments[0]):
        raise Problem("run me as root (sudo flaskstack ...): the apps' environment files are root's")
    name, action, rest = arguments[0], (arguments[1:2] or ["status"])[0], arguments[2:]
    if action == "status" and not rest:
        return show_status(name)
    if action == "releases" and not rest:
        return show_releases(name)
    if action == "logs":
        return show_logs(name, rest)
    if action == "run":
        return run(name, rest[1:] if rest[:1] == ["--"] else rest)
    if action == "release":
        return release_phase(name, rest)
    raise Problem("unknown command %r: flaskstack --help says what there is" % " ".join(arguments[1:]), 2)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Problem as problem:
        sys.stderr.write("flaskstack: %s\n" % problem)
        sys.exit(problem.status)
