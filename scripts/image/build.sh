#!/usr/bin/env bash
# Build the lab base image from Debian's packages with debootstrap and import
# it as TAG. Nothing is pulled from any registry: the mirror and apt settings
# are read from this host's own apt configuration at run time.
#   build.sh TAG
set -euo pipefail
tag=${1:?usage: build.sh TAG}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
suite=$(python3 "$here/apt_sources.py" suite)
mirror=$(python3 "$here/apt_sources.py" mirror)
include=$(grep -v -e '^#' -e '^$' "$here/packages.txt" | paste -sd, -)

work=$(mktemp -d /var/tmp/webfarm-image.XXXXXX)
rootfs="$work/rootfs"
cleanup() {
  # An interrupted debootstrap leaves /proc, /sys or /dev mounted inside
  # the rootfs: unmount them before removing anything.
  findmnt -rno TARGET | grep "^$rootfs/" | sort -r | xargs -r -n1 umount -l || true
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

debootstrap --variant=minbase --include="$include" "$suite" "$rootfs" "$mirror" \
  >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

# apt inside the containers uses the host's own sources and Acquire settings.
rm -f "$rootfs/etc/apt/sources.list"
WEBFARM_IMAGE_ROOT=$rootfs python3 "$here/apt_sources.py" sources >"$rootfs/etc/apt/sources.list.d/webfarm-host.sources"
python3 "$here/apt_sources.py" conf >"$rootfs/etc/apt/apt.conf.d/90webfarm-host"

# Lab only: dpkg skips fsync, as Docker's own Debian images do (a container
# that crashes mid-install is thrown away, not repaired). Installs ~20% faster.
echo force-unsafe-io >"$rootfs/etc/dpkg/dpkg.cfg.d/webfarm-unsafe-io"

# Every container must get its own machine-id (systemd writes one at boot)
# and its own SSH host keys: made before sshd's own check when it first starts.
rm -f "$rootfs"/etc/ssh/ssh_host_*
mkdir -p "$rootfs/etc/systemd/system/ssh.service.d"
printf '%s\n' '[Service]' 'ExecStartPre=' 'ExecStartPre=/usr/bin/ssh-keygen -A' 'ExecStartPre=/usr/sbin/sshd -t' \
  >"$rootfs/etc/systemd/system/ssh.service.d/webfarm-host-keys.conf"
: >"$rootfs/etc/machine-id"
rm -f "$rootfs/var/lib/dbus/machine-id"

# Units that have no meaning in a container and would leave systemd degraded.
for unit in getty.target console-getty.service systemd-remount-fs.service \
            dev-hugepages.mount sys-fs-fuse-connections.mount \
            systemd-udevd.service systemd-udev-trigger.service \
            systemd-modules-load.service apt-daily.timer apt-daily-upgrade.timer; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done

# The image is a cache, not a snapshot of package lists: drop them.
# apt's cache_valid_time reads the lists directory's mtime: date it in the
# past so the first `apt update` in a container really runs.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
touch -d '2000-01-01 00:00:00' "$rootfs/var/lib/apt/lists"

tar --numeric-owner -C "$rootfs" -c . | docker import \
  -c 'CMD ["/lib/systemd/systemd"]' -c 'ENV container=docker' \
  -c 'LABEL webfarm=base' - "$tag" >/dev/null
