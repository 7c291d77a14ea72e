#!/usr/bin/env bash
# Make sure a docker engine answers. Uses a running one as it is; otherwise
# installs the distribution's engine and starts it in the background, because
# test and CI machines start with only the docker client.
set -euo pipefail

log_dir="${FLASKSTACK_CACHE:-$HOME/.cache/flaskstack}"
mkdir -p "$log_dir"

if docker info >/dev/null 2>&1; then
    echo "engine: docker answers, using it"
    exit 0
fi

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v dockerd >/dev/null 2>&1; then
    echo "engine: installing docker.io from the distribution"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
    echo "engine: starting dockerd (log: $log_dir/dockerd.log)"
    # setsid: the daemon must outlive make's process group.
    as_root setsid dockerd >"$log_dir/dockerd.log" 2>&1 < /dev/null &
fi

for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
        echo "engine: docker answers"
        exit 0
    fi
    sleep 1
done
echo "engine: dockerd did not answer within 60 s; see $log_dir/dockerd.log" >&2
exit 1
