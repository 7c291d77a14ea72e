# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Apps that would share a server name on one port, wildcards included, are found and named."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flaskstack.deploy.plugins.filter.server_name_clashes import FilterModule

server_name_clashes = FilterModule().filters()["server_name_clashes"]


def app(name, server_name=None, **values):
    """An entry of flaskstack_apps."""
    entry = {"flaskstack_app_name": name}
    if server_name is not None:
        entry["nginx_server_name"] = server_name
    entry.update(values)
    return entry


@pytest.mark.parametrize("first, second", [
    ("example.com", "example.com"),
    ("_", "_"),
    ("*.example.com", "shop.example.com"),
    ("shop.example.com", "*.example.com"),
    ("*.example.com", "www.shop.example.com"),
    ("*.example.com", "*.example.com"),
    ("*.example.com", "*.shop.example.com"),
    (".example.com", "example.com"),
    ("example.com", ".example.com"),
    (".example.com", "www.example.com"),
    (".example.com", "*.example.com"),
    ("www.example.*", "www.example.org"),
    ("www.example.org", "www.example.*"),
    ("Shop.Example.com", "shop.example.COM"),
])
def test_a_shared_or_covered_name_on_one_port_clashes(first, second):
    clashes = server_name_clashes([app("shop", first), app("blog", second)])
    assert len(clashes) == 1
    assert "app shop" in clashes[0]
    assert "app blog" in clashes[0]
    assert clashes[0].endswith("on port 81")
    assert first.lower() in clashes[0]
    assert second.lower() in clashes[0]


@pytest.mark.parametrize("first, second", [
    ("example.com", "example.org"),
    ("shop.example.com", "blog.example.com"),
    ("*.example.com", "example.com"),
    ("example.com", "*.example.com"),
    ("*.example.com", "example.org"),
    (".example.com", "example.org"),
    (".example.com", "badexample.com"),
    ("*.example.com", "shop.badexample.com"),
    ("www.example.*", "www.example2.org"),
    ("www.example.*", "example.org"),
    ("_", "example.com"),
])
def test_names_that_nginx_tells_apart_do_not_clash(first, second):
    assert server_name_clashes([app("shop", first), app("blog", second)]) == []


def test_only_the_shared_name_of_several_is_named():
    clashes = server_name_clashes([app("shop", "example.com www.example.com"), app("blog", "www.example.com blog.example.com")])
    assert clashes == ["www.example.com (app shop) and www.example.com (app blog) on port 81"]


def test_every_pair_of_apps_is_compared():
    clashes = server_name_clashes([app("shop", "example.com"), app("blog", "example.com"), app("wiki", "example.com")])
    assert len(clashes) == 3
    assert any("app blog" in clash and "app wiki" in clash for clash in clashes)


@pytest.mark.parametrize("first_port, second_port", [(81, 82), (80, 8080), ("81", 82)])
def test_the_same_name_on_different_ports_does_not_clash(first_port, second_port):
    apps = [app("shop", "example.com", nginx_listen_port=first_port),
            app("blog", "example.com", nginx_listen_port=second_port)]
    assert server_name_clashes(apps) == []


def test_a_port_given_as_text_is_the_same_port():
    apps = [app("shop", "example.com", nginx_listen_port=8080), app("blog", "example.com", nginx_listen_port="8080")]
    assert server_name_clashes(apps) == ["example.com (app shop) and example.com (app blog) on port 8080"]


def test_an_app_does_not_clash_with_itself():
    assert server_name_clashes([app("shop", "example.com *.example.com"), app("shop", "example.com")]) == []
    # Its plain and TLS servers share its names, even on one port.
    assert server_name_clashes([app("shop", "example.com", nginx_listen_port=443, nginx_tls="acme",
                                    nginx_tls_port=443)]) == []


@pytest.mark.parametrize("first, second", [
    ("~^shop\\.example\\.com$", "~^shop\\.example\\.com$"),
    ("~^.*$", "example.com"),
    ("~^(?<sub>\\w+)\\.example\\.com$", "*.example.com"),
])
def test_regular_expression_names_are_not_compared(first, second):
    assert server_name_clashes([app("shop", first), app("blog", second)]) == []


def test_regular_expressions_are_skipped_but_other_names_still_compared():
    clashes = server_name_clashes([app("shop", "~^shop\\.example\\.com$ example.com"), app("blog", "example.com")])
    assert len(clashes) == 1
    assert "~" not in clashes[0]


def test_tls_apps_are_also_compared_on_the_tls_port():
    apps = [app("shop", "shop.example.com", nginx_listen_port=80, nginx_tls="acme"),
            app("blog", "shop.example.com", nginx_listen_port=8080, nginx_tls="provided")]
    assert server_name_clashes(apps) == ["shop.example.com (app shop) and shop.example.com (app blog) on port 443"]


def test_a_tls_port_clashes_with_a_plain_port_of_the_same_number():
    apps = [app("shop", "shop.example.com", nginx_listen_port=80, nginx_tls="selfsigned"),
            app("blog", "shop.example.com", nginx_listen_port=443)]
    clashes = server_name_clashes(apps)
    assert len(clashes) == 1
    assert clashes[0].endswith("on port 443")


def test_apps_without_tls_are_not_compared_on_the_tls_port():
    apps = [app("shop", "shop.example.com", nginx_listen_port=80, nginx_tls="none", nginx_tls_port=443),
            app("blog", "shop.example.com", nginx_listen_port=8080, nginx_tls="none", nginx_tls_port=443)]
    assert server_name_clashes(apps) == []


def test_tls_apps_on_different_tls_ports_do_not_clash():
    apps = [app("shop", "example.com", nginx_listen_port=80, nginx_tls="acme", nginx_tls_port=443),
            app("blog", "example.com", nginx_listen_port=8080, nginx_tls="acme", nginx_tls_port=8443)]
    assert server_name_clashes(apps) == []


def test_built_in_defaults_are_port_81_and_the_catch_all_name():
    assert server_name_clashes([app("shop"), app("blog")]) == ["_ (app shop) and _ (app blog) on port 81"]
    assert server_name_clashes([app("shop"), app("blog")], None) == ["_ (app shop) and _ (app blog) on port 81"]


def test_defaults_fill_the_keys_an_entry_lacks():
    defaults = {"nginx_listen_port": 80, "nginx_server_name": "example.com", "nginx_tls": "none", "nginx_tls_port": 443}
    assert server_name_clashes([app("shop"), app("blog")], defaults) == [
        "example.com (app shop) and example.com (app blog) on port 80"]
    assert server_name_clashes([app("shop"), app("blog", "blog.example.com")], defaults) == []
    assert server_name_clashes([app("shop"), app("blog", nginx_listen_port=8080)], defaults) == []


def test_defaults_give_the_tls_setting_and_port_too():
    defaults = {"nginx_listen_port": 80, "nginx_server_name": "example.com", "nginx_tls": "acme", "nginx_tls_port": 8443}
    apps = [app("shop"), app("blog", nginx_listen_port=8080)]
    assert server_name_clashes(apps, defaults) == ["example.com (app shop) and example.com (app blog) on port 8443"]


def test_no_apps_no_clashes():
    assert server_name_clashes([]) == []
    assert server_name_clashes([app("shop", "example.com")]) == []


def test_a_leading_and_a_trailing_wildcard_that_share_names_clash():
    assert server_name_clashes([app("shop", "*.example.com"), app("blog", "www.example.*")]) != []


nginx_listen_sites = FilterModule().filters()["nginx_listen_sites"]
SITE_DEFAULTS = {"nginx_listen_port": 81, "nginx_server_name": "_"}


def test_listen_sites_take_each_entry_s_own_port_and_names_else_the_defaults():
    apps = [app("demo"), app("shop", "shop.example.com www.shop.example.com"), app("api", nginx_listen_port=8080)]
    assert nginx_listen_sites(apps, SITE_DEFAULTS) == [
        [81, "_"], [81, "shop.example.com www.shop.example.com"], [8080, "_"]]


def test_listen_sites_of_the_one_app_of_the_top_level_are_the_defaults():
    assert nginx_listen_sites([{}], {"nginx_listen_port": 82, "nginx_server_name": "a.test"}) == [[82, "a.test"]]


def test_listen_sites_keep_values_as_given_for_the_checks_that_follow():
    assert nginx_listen_sites([{"nginx_listen_port": "eighty"}], SITE_DEFAULTS) == [["eighty", "_"]]


def test_listen_sites_of_no_app_are_none():
    assert nginx_listen_sites([], SITE_DEFAULTS) == []
