#!/usr/bin/env bash
# Start (or reuse) the demo container and converge the site playbook on it
# with the shipped inventory; the page is then on http://127.0.0.1:8081/.
set -euo pipefail
cd "$(dirname "$0")/.."

name=flaskstack-demo
image="${IMAGE:-flaskstack/debian:12}"
url="http://127.0.0.1:${DEMO_PORT:-8081}/"

if [ "$(docker inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" != "true" ]; then
    docker rm -f "$name" >/dev/null 2>&1 || true
    # systemd as PID 1 without --privileged (see shared ENVIRONMENT notes).
    docker run -d --name "$name" --hostname "$name" \
        --cap-add SYS_ADMIN --security-opt seccomp=unconfined --cgroupns host \
        -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock \
        -p "127.0.0.1:${DEMO_PORT:-8081}:81" "$image" /lib/systemd/systemd >/dev/null
fi
for _ in $(seq 1 30); do
    state=$(docker exec "$name" systemctl is-system-running 2>/dev/null || true)
    case "$state" in running|degraded) break ;; esac
    sleep 1
done

ansible-playbook site.yml -i inventory "$@"

for _ in $(seq 1 10); do
    if page=$(curl -fsS "$url"); then
        echo "demo: $url answered: $page"
        exit 0
    fi
    sleep 1
done
echo "demo: $url did not answer" >&2
exit 1
