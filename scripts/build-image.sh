#!/usr/bin/env bash
# Build a systemd-ready Debian base image from the distribution archive, for
# machines that cannot pull from a container registry.
#
#   scripts/build-image.sh SUITE TAG
#
# Environment:
#   FLASKSTACK_MIRROR     Debian mirror URL; default: the first one in this
#                         machine's apt configuration.
#   FLASKSTACK_CA_BUNDLE  PEM bundle added to the image's trust store (for
#                         TLS-inspecting proxies); default: this machine's
#                         system bundle. Set it empty to add nothing.
set -euo pipefail

# debootstrap and chroot need root.
if [ "$(id -u)" -ne 0 ]; then
    exec sudo --preserve-env=FLASKSTACK_MIRROR,FLASKSTACK_CA_BUNDLE bash "$0" "$@"
fi

suite="${1:?usage: build-image.sh SUITE TAG}"
tag="${2:?usage: build-image.sh SUITE TAG}"

# A cached image is reused only when it was built by this very recipe.
recipe=$(sha256sum "$0" | cut -c1-12)
if [ "$(docker image inspect -f '{{ index .Config.Labels "flaskstack.recipe" }}' "$tag" 2>/dev/null)" = "$recipe" ]; then
    echo "image: $tag is cached"
    exit 0
fi

mirror_from_apt() {
    local uri=""
    if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
        uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources)
    fi
    if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
        uri=$(awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
    fi
    # A security mirror cannot bootstrap a system: use its archive sibling.
    echo "${uri%-security}"
}

mirror="${FLASKSTACK_MIRROR:-$(mirror_from_apt)}"
if [ -z "$mirror" ]; then
    echo "image: no Debian mirror found in apt configuration; set FLASKSTACK_MIRROR" >&2
    exit 1
fi
ca_bundle="${FLASKSTACK_CA_BUNDLE-/etc/ssl/certs/ca-certificates.crt}"

# Several images build at once (make image): one of them installs debootstrap.
install_debootstrap() {
    if ! command -v debootstrap >/dev/null 2>&1; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    fi
}
(flock 9 && install_debootstrap) 9>/tmp/flaskstack-build-image.lock

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT

# What a bare server has: python3 for Ansible's modules, systemd as PID 1,
# sshd to log in and sudo for become, and curl/ps/ss for the checks a user
# would run by hand.
packages=systemd,systemd-sysv,dbus,python3,openssh-server,sudo,ca-certificates,curl,procps,iproute2

echo "image: debootstrap $suite into $tag (takes about a minute)"
log="$rootfs.log"
trap 'rm -rf "$rootfs" "$log"' EXIT
if ! debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$log" 2>&1; then
    echo "image: debootstrap $suite from $mirror failed; its last lines:" >&2
    tail -n 15 "$log" >&2
    exit 1
fi

if [ -n "$ca_bundle" ] && [ -f "$ca_bundle" ]; then
    install -m 0644 "$ca_bundle" "$rootfs/usr/local/share/ca-certificates/build-host-bundle.crt"
    chroot "$rootfs" update-ca-certificates >/dev/null 2>&1
fi

# Package lists as a fresh server has them after its first `apt-get update`:
# a container made within the roles' cache time (an hour) skips its own.
chroot "$rootfs" apt-get -o APT::Sandbox::User=root update -qq
# An empty machine-id lets systemd make a fresh one in every container, and
# each container makes its own SSH host keys when sshd first starts, as a
# cloud image does (sshd's own config check runs after).
: >"$rootfs/etc/machine-id"
rm -f "$rootfs"/etc/ssh/ssh_host_*
mkdir -p "$rootfs/etc/systemd/system/ssh.service.d"
printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' \
    >"$rootfs/etc/systemd/system/ssh.service.d/host-keys.conf"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb

tar -C "$rootfs" -c . | docker import \
    --change 'CMD ["/lib/systemd/systemd"]' \
    --change "LABEL flaskstack.recipe=$recipe" \
    - "$tag" >/dev/null
echo "image: built $tag"
