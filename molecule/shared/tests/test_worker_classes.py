"""Each supported worker class: the config the module writes makes gunicorn serve.

Converges the site with each worker class in turn (the gevent run also shows
the python role installed gevent: the "gevent worker without gevent" pitfall),
checks the page through nginx and what the workers really run, and ends on
sync, the scenario's own class.
"""

import json

import pytest

from conftest import recap, run_playbook

CLASSES = [
    ("gthread", ["-e", "gunicorn_threads=4"]),
    ("gevent", []),
    ("sync", []),
]


@pytest.mark.parametrize("worker_class, extra", CLASSES, ids=[c[0] for c in CLASSES])
def test_worker_class_serves_through_nginx(host, site, process_manager, worker_class, extra):
    if process_manager != "systemd":
        pytest.skip("worker classes are checked once, in the systemd scenario; "
                    "the process manager does not change what gunicorn accepts")
    rc, output = run_playbook("-e", "flaskstack_worker_class=%s" % worker_class, *extra)
    assert rc == 0, output[-3000:]
    assert recap(output)["failed"] == 0
    config = host.file("/etc/flaskstack/demo/gunicorn.conf.py").content_string
    assert "worker_class = %r" % worker_class in config

    # (wsgi.multithread, gevent-patched sockets): gunicorn marks gthread and
    # the async gevent worker multithreaded; only gevent patches sockets.
    expected = {"sync": (False, False), "gthread": (True, False), "gevent": (True, True)}[worker_class]

    def workers_run_it():
        # Several requests, so old workers still finishing would show up. A
        # failed request while workers are swapped counts as "not yet": a
        # reload without a single dropped request is a deploy-time promise
        # with its own load test, not what this test checks.
        seen = set()
        for _attempt in range(10):
            status, body = site.get("/demo")
            if status != 200:
                return False
            answer = json.loads(body)
            seen.add((answer["multithread"], answer["green_threads"]))
        return seen == {expected}

    site.wait_for(workers_run_it, timeout=40, what="workers of class %s" % worker_class)
    for _attempt in range(5):
        status, body = site.get("/hello")
        assert status == 200, body
    assert site.demo()["server_software"].startswith("gunicorn/")
