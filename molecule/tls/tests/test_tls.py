"""HTTPS as a client sees it, from the ACME CA's container on the scenario's
network: "demo" (shop.flaskstack.test) has a certificate from the ACME CA,
"staging" (staging.flaskstack.test) a self-signed one, then a provided one.
Checks run in file order; the provided-certificate checks re-converge, last.
"""

import json
import os
import re
import time

import pytest
import testinfra

from conftest import LoadLoop, recap, run_playbook

SHOP = "shop.flaskstack.test"
STAGING = "staging.flaskstack.test"
ROOT = "/tmp/pebble-root.pem"


def container(name):
    return testinfra.get_host("ansible://%s" % name, ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])


@pytest.fixture(scope="module")
def web():
    """The app server (not testinfra's parametrized host, which would reorder the checks)."""
    return container("flaskstack-tls-web")


@pytest.fixture(scope="module")
def client():
    """The pebble container, with the ACME CA's root (made at pebble's start) in ROOT."""
    pebble = container("flaskstack-tls-pebble")
    cmd = pebble.run("curl -sS --fail --cacert /etc/pebble/ca.pem -o %s https://localhost:15000/roots/0", ROOT)
    assert cmd.rc == 0, cmd.stderr
    return pebble


def handshake(client, name, *options):
    """openssl s_client to name:443 with SNI; returns the command's result."""
    return client.run("openssl s_client -connect %s:443 -servername %s -CAfile %s %s < /dev/null 2>&1"
                      % (name, name, ROOT, " ".join(options)))


def served_serial(client, name):
    cmd = client.run("openssl s_client -connect %s:443 -servername %s < /dev/null 2>/dev/null"
                     " | openssl x509 -noout -serial", name, name)
    assert cmd.rc == 0, cmd.stderr
    return cmd.stdout.strip()


def test_the_app_server_is_reached_over_ssh_as_deploy_with_sudo(web):
    """Every run of this scenario logs in as a real server's user would: sshd
    let deploy in with its key, never root, and deploy's sudo ran the tasks."""
    assert web.check_output("id -un") == "root", "the checks become root with deploy's sudo"
    logins = web.check_output("journalctl --no-pager -o cat -u ssh.service")
    accepted = [line for line in logins.splitlines() if line.startswith("Accepted ")]
    assert accepted and all(line.startswith("Accepted publickey for deploy ") for line in accepted), accepted
    sudo = web.check_output("journalctl --no-pager -o cat _COMM=sudo")
    assert re.search(r"^\s*deploy : .*USER=root ; COMMAND=", sudo, re.M), sudo[-2000:]


def test_acme_certificate_verifies_against_the_ca_root(client):
    result = handshake(client, SHOP, "-verify_return_error")
    assert result.rc == 0, result.stdout[-2000:]
    assert "Verify return code: 0 (ok)" in result.stdout
    issuer = client.check_output(
        "openssl s_client -connect %s:443 -servername %s < /dev/null 2>/dev/null | openssl x509 -noout -issuer -ext subjectAltName",
        SHOP, SHOP)
    print("tls: %s" % " ".join(issuer.split()))
    assert "Pebble Intermediate" in issuer
    assert "DNS:%s" % SHOP in issuer


def test_app_answers_over_https_and_builds_https_urls(client):
    body = client.check_output("curl -sS --fail --cacert %s https://%s/demo", ROOT, SHOP)
    demo = json.loads(body)
    assert demo["scheme"] == "https"
    assert demo["x_forwarded_proto"] == "https"
    assert demo["url"] == "https://%s/demo" % SHOP
    assert demo["user"] == "demo"


def test_http_answers_301_to_the_same_https_url(client):
    headers = client.check_output("curl -sS -o /dev/null -D - 'http://%s/demo?page=2'", SHOP)
    assert headers.startswith("HTTP/1.1 301"), headers
    assert re.search(r"(?mi)^location: https://%s/demo\?page=2\r?$" % re.escape(SHOP), headers), headers


def test_hsts_is_sent_on_every_https_answer(client):
    for path, status in (("/demo", "200"), ("/no-such-page", "404")):
        headers = client.check_output("curl -sS -o /dev/null -D - --cacert %s https://%s%s", ROOT, SHOP, path)
        assert headers.split()[1] == status, headers
        assert re.search(r"(?mi)^strict-transport-security: max-age=63072000\r?$", headers), headers


@pytest.mark.parametrize("version", ["tls1", "tls1_1"])
def test_old_tls_versions_are_refused_by_the_server(client, version):
    # SECLEVEL=0 lets this client offer the old version at all; the refusal
    # must come from the server, as a protocol_version alert.
    result = handshake(client, SHOP, "-" + version, "-cipher", "DEFAULT@SECLEVEL=0")
    assert result.rc != 0, result.stdout[-2000:]
    assert re.search(r"alert protocol version|unsupported protocol|no protocols available", result.stdout), result.stdout[-2000:]
    assert "no protocols available" not in result.stdout, "the client, not the server, refused: " + result.stdout[-2000:]


@pytest.mark.parametrize("version, name", [("tls1_2", "TLSv1.2"), ("tls1_3", "TLSv1.3")])
def test_current_tls_versions_are_accepted(client, version, name):
    result = handshake(client, SHOP, "-" + version, "-verify_return_error")
    assert result.rc == 0, result.stdout[-2000:]
    assert re.search(r"Protocol\s*: %s|New, %s" % (re.escape(name), re.escape(name)), result.stdout), result.stdout[-2000:]
    print("tls: %s accepted, %s" % (name, re.search(r"Cipher is (\S+)", result.stdout).group(1)))


def test_profile_ciphers_only(client):
    # A TLS 1.2 CBC cipher outside the intermediate list is not negotiated.
    result = handshake(client, SHOP, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA256")
    assert result.rc != 0, result.stdout[-2000:]


def test_http2_is_offered(client):
    status = client.check_output("curl -sS --http2 -o /dev/null -w '%%{http_version}' --cacert %s https://%s/demo", ROOT, SHOP)
    assert status == "2"


def test_stapling_is_off_for_a_certificate_without_ocsp_responder(web):
    # pebble's certificates name no OCSP responder, so nothing is stapled.
    assert "ssl_stapling" not in web.file("/etc/nginx/sites-available/flaskstack-demo.conf").content_string
    assert web.run("openssl x509 -noout -ocsp_uri -in /etc/ssl/flaskstack/flaskstack-demo/acme.pem").stdout.strip() == ""


def test_private_keys_are_root_only(web):
    for path in ("/etc/ssl/flaskstack/flaskstack-demo/acme.pem", "/etc/ssl/flaskstack/flaskstack-staging/selfsigned.pem"):
        pem = web.file(path)
        assert (pem.user, pem.group, pem.mode) == ("root", "root", 0o600), path
        directory = web.file(os.path.dirname(path))
        assert directory.mode == 0o700, path
    assert web.run("sudo -u www-data cat /etc/ssl/flaskstack/flaskstack-demo/acme.pem").rc != 0


def test_self_signed_site_serves_https_with_its_own_certificate(client):
    assert client.run("curl -sS --cacert %s https://%s/demo", ROOT, STAGING).rc == 60  # not from the CA
    demo = json.loads(client.check_output("curl -sS --fail --insecure https://%s/demo", STAGING))
    assert demo["scheme"] == "https"
    assert demo["release"] and demo["url"] == "https://%s/demo" % STAGING
    subject = client.check_output(
        "openssl s_client -connect %s:443 -servername %s < /dev/null 2>/dev/null | openssl x509 -noout -subject -issuer -ext subjectAltName",
        STAGING, STAGING)
    assert "DNS:%s" % STAGING in subject
    lines = dict(line.split("=", 1) for line in subject.splitlines() if line.startswith(("subject", "issuer")))
    assert lines["subject"] == lines["issuer"], subject
    headers = client.check_output("curl -sS -o /dev/null -D - http://%s/", STAGING)
    assert headers.startswith("HTTP/1.1 301"), headers


def test_renewal_by_certbots_timer_service_swaps_the_certificate_without_a_failed_request(web, client):
    before = served_serial(client, SHOP)
    renewal = "/etc/letsencrypt/renewal/flaskstack-demo.conf"
    # The CA's certificates last years; the renewal window is widened so that
    # certbot's own service (the one its timer starts) finds this one due.
    days = int(web.check_output(
        "echo $(( ($(date -d \"$(openssl x509 -noout -enddate -in /etc/ssl/flaskstack/flaskstack-demo/acme.pem"
        " | cut -d= -f2)\" +%s) - $(date +%s)) / 86400 + 2 ))"))
    assert web.run("cp %s %s.orig && sed -i '1i renew_before_expiry = %d days' %s" % (renewal, renewal, days, renewal)).rc == 0
    load = LoadLoop(client, "https://%s/demo" % SHOP, name="renewal", threads=4, max_seconds=120, cafile=ROOT)
    try:
        time.sleep(2)
        started = time.monotonic()
        run = web.run("systemctl start certbot.service")
        seconds = time.monotonic() - started
        assert run.rc == 0, web.run("journalctl -u certbot.service -n 40 --no-pager").stdout
    finally:
        stats = load.stop()
        web.run("mv %s.orig %s", renewal, renewal)
    after = served_serial(client, SHOP)
    print("renewal: certificate %s -> %s in %.1f s, %d requests, %d failed"
          % (before, after, seconds, stats["sent"], stats["failed"]))
    assert after != before
    assert stats["sent"] > 0 and stats["failed"] == 0, stats["errors"]
    # certbot -q keeps the hook's words to its log.
    assert "flaskstack-demo serves its new certificate" in web.check_output("tail -n 60 /var/log/letsencrypt/letsencrypt.log")
    assert web.file("/etc/ssl/flaskstack/flaskstack-demo/acme.pem").mode == 0o600


def test_check_mode_with_diff_reports_no_change_and_prints_no_key():
    rc, output = run_playbook("--check", "--diff")
    assert rc == 0, output[-3000:]
    assert recap(output)["changed"] == 0, output[-3000:]
    assert "PRIVATE KEY" not in output


def provided_pair(web, tmp_path, name, key_of=None):
    """A leaf for name, signed by a CA made on the host once; the files on the controller.
    key_of: take the key of another pair instead (a mismatch)."""
    web.check_output(
        "cd /tmp && { test -f pca.pem || openssl req -x509 -newkey rsa:2048 -nodes -days 5 -subj /CN=provided-ca"
        " -keyout pca.key -out pca.pem 2>/dev/null; }"
        " && openssl req -newkey rsa:2048 -nodes -subj /CN=%s -keyout %s.key -out %s.csr 2>/dev/null"
        " && printf 'subjectAltName=DNS:%s\\n' > %s.ext"
        " && openssl x509 -req -in %s.csr -CA pca.pem -CAkey pca.key -CAcreateserial -days 5 -extfile %s.ext -out %s.crt 2>/dev/null",
        name, name, name, name, name, name, name, name)
    files = {}
    for suffix in ("crt", "key"):
        source = "/tmp/%s.%s" % (key_of or name, suffix) if suffix == "key" else "/tmp/%s.%s" % (name, suffix)
        path = tmp_path / ("%s.%s" % (name, suffix))
        path.write_text(web.file(source).content_string)
        files[suffix] = str(path)
    return files


def apps_with_staging(**staging):
    entry = {"flaskstack_app_name": "staging", "nginx_server_name": STAGING}
    entry.update(staging)
    return json.dumps({"flaskstack_apps": [
        {"flaskstack_app_name": "demo", "nginx_server_name": SHOP, "nginx_tls": "acme"}, entry]})


def test_a_key_that_does_not_match_is_refused_before_anything_changes(web, tmp_path):
    good = provided_pair(web, tmp_path, STAGING)
    other = provided_pair(web, tmp_path, "other.flaskstack.test")
    live = web.file("/etc/nginx/sites-available/flaskstack-staging.conf").content_string
    rc, output = run_playbook("-e", apps_with_staging(nginx_tls="provided", nginx_tls_certificate_file=good["crt"],
                                                      nginx_tls_certificate_key_file=other["key"]))
    assert rc != 0
    assert "nginx_tls_certificate_key and nginx_tls_certificate must be a usable pair: the private key does not belong" in output
    assert recap(output)["changed"] == 0
    assert "PRIVATE KEY" not in output
    assert web.file("/etc/nginx/sites-available/flaskstack-staging.conf").content_string == live
    assert not web.file("/etc/ssl/flaskstack/flaskstack-staging/provided.pem").exists


def test_provided_certificate_is_installed_and_served(web, client, tmp_path):
    pair = provided_pair(web, tmp_path, STAGING)
    rc, output = run_playbook("-e", apps_with_staging(nginx_tls="provided", nginx_tls_certificate_file=pair["crt"],
                                                      nginx_tls_certificate_key_file=pair["key"]))
    assert rc == 0, output[-3000:]
    assert "PRIVATE KEY" not in output
    client.run("rm -f /tmp/provided-ca.pem")
    ca = web.file("/tmp/pca.pem").content_string
    write = client.run("cat > /tmp/provided-ca.pem <<'EOF'\n%s\nEOF" % ca.strip())
    assert write.rc == 0
    demo = json.loads(client.check_output("curl -sS --fail --cacert /tmp/provided-ca.pem https://%s/demo", STAGING))
    assert demo["scheme"] == "https"
    pem = web.file("/etc/ssl/flaskstack/flaskstack-staging/provided.pem")
    assert (pem.user, pem.mode) == ("root", 0o600)
    rc, output = run_playbook("-e", apps_with_staging(nginx_tls="provided", nginx_tls_certificate_file=pair["crt"],
                                                      nginx_tls_certificate_key_file=pair["key"]))
    assert rc == 0 and recap(output)["changed"] == 0, output[-3000:]
