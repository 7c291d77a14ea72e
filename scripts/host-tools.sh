#!/usr/bin/env bash
# Distribution tools the test run uses on the host, in one apt run: shellcheck
# for ansible-test sanity (without it that sanity test is skipped), and what
# scripts/engine.sh and scripts/build-image.sh would otherwise each install
# with an apt run of their own: the docker engine (unless one answers) and
# debootstrap.
set -euo pipefail
missing=()
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if ! command -v dockerd >/dev/null 2>&1 && ! docker info >/dev/null 2>&1; then
    missing+=(docker.io)
fi
if [ "${#missing[@]}" -gt 0 ]; then
    echo "host tools: installing ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
