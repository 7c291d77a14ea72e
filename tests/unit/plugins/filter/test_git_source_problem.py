# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Repositories and revisions the roles hand to git: fetching transports pass, options and commands do not."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flaskstack.deploy.plugins.filter.git_source_problem import FilterModule

git_source_problem = FilterModule().filters()["git_source_problem"]


@pytest.mark.parametrize("repo", [
    "https://github.com/example/mysite.git",
    "https://github.com/example/mysite",
    "https://gitlab.example.com/group/sub/mysite.git",
    "https://oauth2:glpat-token@gitlab.example.com/group/mysite.git",
    "http://git.internal.example/mysite.git",
    "ssh://git@github.com/example/mysite.git",
    "ssh://git@git.example.com:2222/example/mysite.git",
    "git://git.example.com/mysite.git",
    "git@github.com:example/mysite.git",
    "deploy@gitlab.example.com:group/sub/mysite.git",
    "file:///srv/git/mysite.git",
    "/srv/git/mysite.git",
    "/srv/git/mysite",
])
def test_a_fetching_repository_url_or_path_is_fine(repo):
    assert git_source_problem(repo) == ""


@pytest.mark.parametrize("repo", [
    "--upload-pack=touch /tmp/x",
    "--upload-pack=touch",
    "-u",
    "-oProxyCommand=touch@host:x",
    "--config=core.sshCommand=touch",
    "-",
])
def test_an_option_is_refused(repo):
    assert "must not start with '-'" in git_source_problem(repo)
    assert "option" in git_source_problem(repo)


@pytest.mark.parametrize("repo, reason", [
    ("ext::sh -c touch% /tmp/x", "must not contain spaces"),
    ("ext::sh", "must be a repository URL"),
    ("ext::/usr/bin/touch%/tmp/x", "must be a repository URL"),
    ("fd::3", "must be a repository URL"),
    ("fd::3/example/mysite", "must be a repository URL"),
    ("transport::https://github.com/example/mysite.git", "must be a repository URL"),
    ("ftp://example.com/mysite.git", "must be a repository URL"),
    ("file://srv/git/mysite.git", "must be a repository URL"),
    ("https://", "must be a repository URL"),
    ("https:///etc", "must be a repository URL"),
    ("mysite.git", "must be a repository URL"),
    ("./mysite", "must be a repository URL"),
    ("../mysite", "must be a repository URL"),
    ("", "must be a repository URL"),
    ("/srv/git/../../etc", "absolute path in normal form"),
    ("/srv/./git/mysite.git", "absolute path in normal form"),
    ("//srv/git/mysite.git", "absolute path in normal form"),
    ("/srv//git/mysite.git", "absolute path in normal form"),
])
def test_a_command_transport_or_other_non_repository_is_refused(repo, reason):
    assert reason in git_source_problem(repo)


@pytest.mark.parametrize("repo", [
    "https://github.com/example/mysite.git\n",
    "https://github.com/example/mysite.git\r",
    "https://github.com/example/mysite.git\x00",
    "https://github.com/example/mysite.git\x7f",
    "git@github.com:example/mysite.git\n--upload-pack=touch",
    "https://github.com/example/mysite.git ",
    " https://github.com/example/mysite.git",
    "https://github.com/example/my site.git",
    "https://github.com/example/\tmysite.git",
])
def test_spaces_newlines_and_control_characters_are_refused(repo):
    assert "must not contain spaces, newlines or other control characters" in git_source_problem(repo)


def test_an_ssh_host_that_is_an_option_is_refused():
    assert git_source_problem("ssh://-oProxyCommand=touch%20%2Ftmp%2Fx/example/mysite.git") != ""


@pytest.mark.parametrize("revision", [
    "main",
    "master",
    "HEAD",
    "v1.2.0",
    "1.2.0",
    "v1.2.0-rc.1",
    "v1.2.0+build.5",
    "2024.05.01",
    "release/1.2",
    "feature/new-checkout",
    "refs/tags/v1.2.0",
    "abc1234",
    "0123456789abcdef0123456789abcdef01234567",
    "_deploy",
])
def test_a_branch_tag_or_commit_is_fine(revision):
    assert git_source_problem(revision, revision=True) == ""


@pytest.mark.parametrize("revision, reason", [
    ("--upload-pack=touch /tmp/x", "must not start with '-'"),
    ("--output=/etc/shadow", "must not start with '-'"),
    ("-b", "must not start with '-'"),
    ("main\n", "must not contain spaces, newlines"),
    ("main\r", "must not contain spaces, newlines"),
    ("main ", "must not contain spaces, newlines"),
    ("main --upload-pack=x", "must not contain spaces, newlines"),
    ("main\x00", "control characters"),
    ("main..evil", "must be a branch, tag or commit name"),
    ("main~1", "must be a branch, tag or commit name"),
    ("main^", "must be a branch, tag or commit name"),
    ("main@{1}", "must be a branch, tag or commit name"),
    ("main:README", "must be a branch, tag or commit name"),
    ("v1.2.0^{}", "must be a branch, tag or commit name"),
    ("main.lock", "must be a branch, tag or commit name"),
    ("main/", "must be a branch, tag or commit name"),
    ("main.", "must be a branch, tag or commit name"),
    ("release//1.2", "must be a branch, tag or commit name"),
    ("/main", "must be a branch, tag or commit name"),
    (".hidden", "must be a branch, tag or commit name"),
    ("*", "must be a branch, tag or commit name"),
    ("", "must be a branch, tag or commit name"),
])
def test_a_revision_that_is_not_a_plain_name_is_refused(revision, reason):
    assert reason in git_source_problem(revision, revision=True)


@pytest.mark.parametrize("value, kind", [
    (None, "NoneType"),
    (1.2, "float"),
    (12, "int"),
    (["main"], "list"),
])
@pytest.mark.parametrize("revision", [False, True])
def test_a_value_that_is_not_a_string_is_refused(value, kind, revision):
    assert git_source_problem(value, revision=revision) == "must be a string, not %s" % kind


@pytest.mark.parametrize("value, revision", [
    ("https://deploy:s3cr3t@github.com/example/my site.git", False),
    ("https://deploy:s3cr3t@github.com/example/mysite.git\n", False),
    ("ftp://deploy:s3cr3t@example.com/mysite.git", False),
    ("--upload-pack=s3cr3t", False),
    ("ext::s3cr3t", False),
    ("s3cr3t", False),
    ("s3cr3t..main", True),
    ("-s3cr3t", True),
    ("s3cr3t main", True),
])
def test_a_refusal_never_echoes_the_value(value, revision):
    problem = git_source_problem(value, revision=revision)
    assert problem
    assert "s3cr3t" not in problem
