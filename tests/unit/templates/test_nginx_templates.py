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
                                             "Content-Security-Policy": "frame-ancestors 'self'"})
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
    config = app_site(nginx_security_headers={"Content-Security-Policy": "default-src 'self'; img-src \"data:\""})
    assert 'add_header Content-Security-Policy "default-src \'self\'; img-src \\"data:\\"" always;' in config
    assert "add_header" not in app_site(nginx_security_headers={})


def test_limits_and_hidden_files_are_configurable():
    config = app_site(nginx_client_timeout=12, nginx_large_client_header_buffers="8 32k")
    for line in ("client_body_timeout 12s;", "client_header_timeout 12s;", "send_timeout 12s;",
                 "large_client_header_buffers 8 32k;", "location ~ /\\.(?!well-known/) {"):
        assert line in config, line
    assert "well-known" not in app_site(nginx_deny_hidden_files=False)
