"""The flaskstack.deploy demo app: small, but it shows what the stack does."""

import os
import pwd
import socket
import sys
import tempfile
import time
from importlib.metadata import version
from urllib.parse import unquote, urlsplit

from flask import Flask, jsonify, request, url_for
from huey import RedisHuey, SqliteHuey
from werkzeug.middleware.proxy_fix import ProxyFix

app = Flask(__name__)
# nginx is the one proxy in front: trust its X-Forwarded-For and -Proto, one
# hop deep, so request.remote_addr is the client's address. nginx replaces any
# X-Forwarded-For a client sends, so a client cannot choose its own address.
app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)
# Settings from a file in the app's config directory, when there is one (the
# app role's app_config_files writes it there): SIGNATURE shows on /visits.
SETTINGS = os.path.join(os.environ.get("CONFIGURATION_DIRECTORY", "/nonexistent"), "settings.cfg")
if os.path.exists(SETTINGS):
    app.config.from_pyfile(SETTINGS)


# A job queue, from which a worker process of the app takes its jobs
# (app_processes: python -m huey.bin.huey_consumer app.huey): in Redis when
# the app has it (flaskstack_app_redis gives REDIS_URL), else in the app's
# data directory (STATE_DIRECTORY); outside flaskstack, in the temp directory.
if os.environ.get("REDIS_URL"):
    huey = RedisHuey("demo", url=os.environ["REDIS_URL"])
else:
    QUEUE_DIR = os.environ.get("STATE_DIRECTORY") or tempfile.gettempdir()
    huey = SqliteHuey("demo", filename=os.path.join(QUEUE_DIR, "jobs.db"))


@huey.task()
def where():
    """Run by the worker: which release, user and process ran the job."""
    return {"release": os.path.basename(os.getcwd()), "user": pwd.getpwuid(os.geteuid()).pw_name, "pid": os.getpid()}


@app.get("/")
def index():
    return "Hello World!\n"


@app.get("/io")
def io_bound():
    """Waits as a typical endpoint waits on its database or an API (IO_WAIT_MS,
    50 ms by default), then answers: where the worker class matters."""
    time.sleep(int(os.environ.get("IO_WAIT_MS", "50")) / 1000.0)
    return "waited\n"


@app.get("/hello")
def hello():
    return "Hello from %s\n" % socket.gethostname()


def green_threads():
    """True when this worker runs on gevent's patched sockets."""
    monkey = sys.modules.get("gevent.monkey")
    return bool(monkey and monkey.is_module_patched("socket"))


@app.get("/demo")
def demo():
    # What the app sees of the request once nginx and gunicorn are in front
    # of it: proves the path a response took.
    return jsonify(
        framework="Flask %s" % version("flask"),
        server_software=request.environ.get("SERVER_SOFTWARE", ""),
        hostname=socket.gethostname(),
        host=request.host,
        scheme=request.scheme,
        # The URL the app builds for itself: https behind an HTTPS site.
        url=url_for("demo", _external=True),
        remote_addr=request.remote_addr,
        x_forwarded_for=request.headers.get("X-Forwarded-For", ""),
        x_forwarded_host=request.headers.get("X-Forwarded-Host", ""),
        x_forwarded_proto=request.headers.get("X-Forwarded-Proto", ""),
        multithread=bool(request.environ.get("wsgi.multithread")),
        green_threads=green_threads(),
        # Who runs the app, and which release: gunicorn starts in the live one.
        user=pwd.getpwuid(os.geteuid()).pw_name,
        release=os.path.basename(os.getcwd()),
    )


@app.get("/healthz")
def healthz():
    return "ok\n"


@app.route("/visits", methods=["GET", "POST"])
def visits():
    # The app's data lives in its data directory (STATE_DIRECTORY), kept
    # across deploys and rollbacks; a POST counts one more visit, as a form would.
    path = os.path.join(os.environ.get("STATE_DIRECTORY", "."), "visits")
    try:
        with open(path) as handle:
            count = int(handle.read() or 0)
    except FileNotFoundError:
        count = 0
    if request.method == "POST":
        count += 1
        with open(path + ".new", "w") as handle:
            handle.write("%d\n" % count)
        os.replace(path + ".new", path)
    return jsonify(visits=count, greeting=os.environ.get("GREETING", ""), signature=app.config.get("SIGNATURE", ""))


@app.post("/upload")
def upload():
    # Reads the whole body, as an upload form would: proves a large request
    # gets through nginx to the app whole.
    return jsonify(received=len(request.get_data()))


@app.get("/db")
def database():
    # The app's own database, when it has one (flaskstack_app_database gives
    # DATABASE_URL): proves the URL logs in, as whom and where.
    url = os.environ.get("DATABASE_URL")
    if not url:
        return jsonify(database=None), 404
    import pg8000.native  # only an app with a database needs the driver loaded

    parts = urlsplit(url)
    connection = pg8000.native.Connection(unquote(parts.username), password=unquote(parts.password),
                                          host=parts.hostname, port=parts.port or 5432,
                                          database=unquote(parts.path[1:]), timeout=5)
    try:
        user, name, server = connection.run("select current_user, current_database(), inet_server_addr()::text")[0]
    finally:
        connection.close()
    return jsonify(user=user, database=name, server=server.split("/")[0], hostname=socket.gethostname())


@app.post("/jobs")
def enqueue():
    # The web app enqueues, the worker runs: GET /jobs/<id> gives its result.
    return jsonify(id=where().id, queue=type(huey).__name__, hostname=socket.gethostname()), 202


@app.get("/jobs/<job_id>")
def job(job_id):
    result = huey.result(job_id)
    if result is None:
        return jsonify(done=False), 202
    return jsonify(done=True, **result)
