# -*- coding: utf-8 -*-
# Copyright: flaskstack.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Debian packages looked up with dpkg and installed with apt-get, waiting for
apt's locks: shared by the collection's modules that install packages."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

# What apt-get prints when another apt or dpkg holds a lock it needs (the
# dpkg frontend lock, dpkg's own, or the lists lock of apt-get update).
LOCK_HELD = ("Could not get lock", "Unable to acquire the dpkg frontend lock", "Unable to lock directory")
# Seconds between two tries while a lock is held.
RETRY_SECONDS = 5
# apt's lists: their age decides whether apt-get update runs. Debian's apt
# touches the stamp after each successful update (/etc/apt/apt.conf.d/15update-stamp).
UPDATE_STAMP = "/var/lib/apt/periodic/update-success-stamp"
LISTS_DIR = "/var/lib/apt/lists"


def missing_packages(module, names):
    """The names that dpkg does not list as installed."""
    if not names:
        return []
    rc, out, err = module.run_command(
        ["dpkg-query", "--show", "--showformat=${Package} ${db:Status-Abbrev}\\n"] + list(names))
    # 1: a name dpkg does not know (never installed); anything else is dpkg failing.
    if rc not in (0, 1):
        module.fail_json(msg="packages: dpkg-query cannot list them: %s" % (err or out).strip(), rc=rc)
    installed = set()
    for line in out.splitlines():
        parts = line.split()
        # The second letter is the state: i, installed (held ones, hi, too).
        if len(parts) >= 2 and parts[1][1:2] == "i":
            installed.add(parts[0].split(":")[0])
    return [name for name in names if name not in installed]


def lists_age():
    """Seconds since apt's package lists were last updated, None when there are none."""
    for path in (UPDATE_STAMP, LISTS_DIR):
        if os.path.exists(path):
            return time.time() - os.stat(path).st_mtime
    return None


def apt_get(module, args, deadline):
    """Runs apt-get with args, waiting for apt's locks until deadline (a
    time.time() value); returns (rc, out, err) of the last try.

    apt-get waits for the dpkg frontend lock itself (DPkg::Lock::Timeout, apt
    1.9.11 and later); any lock it reports as held is tried again every
    RETRY_SECONDS until the deadline."""
    while True:
        wait = max(0, int(deadline - time.time()))
        argv = ["apt-get", "-q", "-o", "DPkg::Lock::Timeout=%d" % wait] + list(args)
        rc, out, err = module.run_command(argv, environ_update=dict(DEBIAN_FRONTEND="noninteractive"))
        held = rc != 0 and any(text in err + out for text in LOCK_HELD)
        if not held or time.time() + RETRY_SECONDS > deadline:
            return rc, out, err
        time.sleep(RETRY_SECONDS)


def last_lines(text, count=5):
    return "\n".join(text.strip().splitlines()[-count:])
