"""The nginx templates of the loadbalancer and nginx roles, rendered with
jinja2 as Ansible renders them, then checked by what nginx would be told."""

import os

import jinja2
import pytest

ROLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "roles")


def render(role, template, **variables):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(ROLES, role, "templates")),
                             undefined=jinja2.StrictUndefined, trim_blocks=True)
    return env.get_template(template).render(ansible_managed="managed", **variables)


def balancer(**overrides):
    variables = dict(loadbalancer_listen_port=81, loadbalancer_backends=["10.0.0.2:81", "10.0.0.3:81"],
                     loadbalancer_max_fails=3, loadbalancer_fail_timeout=10, loadbalancer_connect_timeout=2,
                     loadbalancer_read_timeout=60, loadbalancer_keepalive=16, loadbalancer_sticky=False,
                     loadbalancer_client_max_body_size="10m")
    variables.update(overrides)
    return render("loadbalancer", "etc/nginx/sites-available/flaskstack-loadbalancer.conf.j2", **variables)


def app_site(**overrides):
    variables = dict(flaskstack_app_service="flaskstack-shop", flaskstack_app_bind="unix:/run/flaskstack-shop/gunicorn.sock",
                     nginx_listen_port=81, nginx_listen_ipv6=True, nginx_server_name="shop.example.com",
                     nginx_client_max_body_size="10m", nginx_static_dir="", nginx_static_url="/static/",
                     nginx_static_expires="7d", nginx_proxy_read_timeout=60, nginx_trusted_proxies=[],
                     nginx_client_timeout=30, nginx_large_client_header_buffers="4 16k", nginx_deny_hidden_files=True,
                     nginx_security_headers={"X-Frame-Options": "SAMEORIGIN",
                                             "Content-Security-Policy": "frame-ancestors 'self'"},
                     nginx_tls="none")
    variables.update(overrides)
    return render("nginx", "etc/nginx/sites-available/flaskstack-app.conf.j2", **variables)


def test_every_backend_gets_the_passive_health_check():
    config = balancer()
    assert "server 10.0.0.2:81 max_fails=3 fail_timeout=10s;" in config
    assert "server 10.0.0.3:81 max_fails=3 fail_timeout=10s;" in config
    assert "proxy_next_upstream error timeout http_502 http_503 http_504;" in config
    assert "proxy_next_upstream_tries 2;" in config


@pytest.mark.parametrize("sticky, expected", [(True, 1), (False, 0)])
def test_sticky_sessions_hash_the_client_address(sticky, expected):
    assert balancer(loadbalancer_sticky=sticky).count("ip_hash;") == expected


def test_balancer_replaces_a_client_sent_forwarded_for():
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in balancer()


def test_app_site_alone_answers_anyone_and_ignores_forwarded_headers():
    config = app_site()
    assert "deny all;" not in config
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in config


def test_app_site_behind_balancers_answers_only_them():
    config = app_site(nginx_trusted_proxies=["10.0.0.1", "10.0.0.9"])
    lines = [line.strip() for line in config.splitlines()]
    assert lines.index("allow 10.0.0.1;") < lines.index("deny all;")
    assert "allow 10.0.0.9;" in lines and "allow 127.0.0.1;" in lines
    assert "proxy_set_header X-Forwarded-For $http_x_forwarded_for;" in lines


def test_named_site_leaves_unknown_hosts_to_the_default_server():
    named = app_site()
    assert "listen 81;" in named and "listen [::]:81;" in named
    catch_all = app_site(nginx_server_name="_")
    assert "listen 81 default_server;" in catch_all and "listen [::]:81 default_server;" in catch_all
    drop = render("nginx", "etc/nginx/sites-available/flaskstack-default.conf.j2", __nginx_port=8080,
                  nginx_listen_ipv6=False)
    assert "listen 8080 default_server;" in drop and "return 444;" in drop and "[::]" not in drop


def test_security_headers_are_quoted_for_nginx_and_sent_always():
    # The nginx role refuses '"' and '\\' in a value (nginx_problem): what is
    # left is written between double quotes as it is.
    config = app_site(nginx_security_headers={"Content-Security-Policy": "default-src 'self'; img-src data:"})
    assert 'add_header Content-Security-Policy "default-src \'self\'; img-src data:" always;' in config
    assert "add_header" not in app_site(nginx_security_headers={})


def test_limits_and_hidden_files_are_configurable():
    config = app_site(nginx_client_timeout=12, nginx_large_client_header_buffers="8 32k")
    for line in ("client_body_timeout 12s;", "client_header_timeout 12s;", "send_timeout 12s;",
                 "large_client_header_buffers 8 32k;", "location ~ /\\.(?!well-known/) {"):
        assert line in config, line
    assert "well-known" not in app_site(nginx_deny_hidden_files=False)


def tls_site(**overrides):
    variables = dict(nginx_tls="acme", nginx_tls_port=443, nginx_tls_hsts="max-age=63072000", nginx_tls_redirect=True,
                     nginx_tls_resolvers=["127.0.0.11"], __nginx_tls_pem="/etc/ssl/flaskstack/flaskstack-shop/acme.pem",
                     __nginx_acme_webroot="/var/www/flaskstack-acme", __nginx_http2="directive", __nginx_ocsp_stapling=False)
    variables.update(overrides)
    return app_site(**variables)


def server_blocks(config):
    """The server { } blocks of a site, as text."""
    return ["server {" + block for block in config.split("\nserver {")[1:]]


def test_tls_site_redirects_http_but_serves_acme_challenges():
    http, https = server_blocks(tls_site())
    assert "location ^~ /.well-known/acme-challenge/ {\n        root /var/www/flaskstack-acme;" in http
    assert "return 301 https://$host$request_uri;" in http
    assert "proxy_pass" not in http
    assert "listen 443 ssl;" in https and "http2 on;" in https
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in https


def test_tls_site_follows_the_intermediate_profile():
    https = server_blocks(tls_site())[1]
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in https
    assert "ssl_prefer_server_ciphers off;" in https
    assert "ssl_session_tickets off;" in https
    ciphers = https.split("ssl_ciphers ")[1].split(";")[0].split(":")
    assert ciphers[0] == "ECDHE-ECDSA-AES128-GCM-SHA256" and len(ciphers) == 9
    assert all("GCM" in cipher or "CHACHA20" in cipher for cipher in ciphers)
    assert 'add_header Strict-Transport-Security "max-age=63072000" always;' in https


@pytest.mark.parametrize("http2, listen, directive", [
    ("listen", "listen 443 ssl http2;", False),
    ("directive", "listen 443 ssl;", True),
    ("", "listen 443 ssl;", False),
])
def test_http2_takes_the_form_the_installed_nginx_knows(http2, listen, directive):
    https = server_blocks(tls_site(__nginx_http2=http2))[1]
    assert listen in https
    assert ("http2 on;" in https) == directive


def test_stapling_only_for_a_certificate_with_a_responder():
    assert "ssl_stapling" not in tls_site()
    stapled = tls_site(__nginx_ocsp_stapling=True, nginx_tls_resolvers=["10.0.0.2", "fd00::53"])
    assert "ssl_stapling on;" in stapled and "ssl_stapling_verify on;" in stapled
    assert "resolver 10.0.0.2 [fd00::53];" in stapled


def test_tls_without_redirect_or_hsts_and_on_another_port():
    http, https = server_blocks(tls_site(nginx_tls="selfsigned", nginx_tls_redirect=False, nginx_tls_hsts="", nginx_tls_port=8443))
    assert "proxy_pass" in http and "acme-challenge" not in http
    assert "listen 8443 ssl;" in https and "Strict-Transport-Security" not in https
    assert "return 301 https://$host:8443$request_uri;" in tls_site(nginx_tls_port=8443)
