# shellcheck shell=bash
# podman: the local container engine that molecule scenarios run their test hosts in, and a Debian
# bookworm image for those hosts built here with debootstrap (no container registry is reachable).
#
# The engine needs a non-default configuration on these machines: crun fails, so runc; and the
# container init cannot raise rlimits (no CAP_SYS_RESOURCE): podman's defaults for root ask for
# nofile/nproc 1048576 and runc then fails with "error setting rlimit type 7 (nofile) / 6 (nproc):
# operation not permitted" (here the hard nofile must stay <= the caller's, 20000, and nproc <= 32768).
# The lab does not edit /etc/containers: it writes its own containers.conf into the state directory
# and clients get it through CONTAINERS_CONF (podman_env). With CONTAINERS_CONF set, podman 4.3 reads
# that file only (on top of its built-in defaults), so everything the lab relies on is spelled out.
# A `--ulimit` on the command line (molecule's `ulimits:`) replaces default_ulimits entirely: give
# both nofile and nproc there, or none.
#
# The image's rootfs is cached in LAB_CACHE as a tarball keyed by what it is made from (suite,
# mirror, package list, recipe); a fresh state only imports it (seconds), a current image is kept.

PODMAN_SUITE=bookworm
PODMAN_MIRROR=${DSAAS_LAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# What ansible (python3; python3-apt for the apt module; sudo for become) and testinfra (procps,
# iproute2) need on a test host; ca-certificates brings openssl. No systemd: tests run commands.
PODMAN_INCLUDE=python3,python3-apt,ca-certificates,procps,iproute2,sudo
# Bump when the way the rootfs is made or trimmed changes, so caches and images are rebuilt.
PODMAN_RECIPE=1
PODMAN_IMAGE=${DSAAS_LAB_IMAGE:-localhost/dsaas/debian-bookworm:lab}
# Below what the engine may set here (see above); root inside a container is not held to nproc.
PODMAN_ULIMITS='"nofile=1024:4096", "nproc=4096:4096"'
# Containers the lab itself starts carry this label; podman_down removes those and nothing else
# (molecule labels its own containers owner=molecule and removes them in its destroy step).
PODMAN_LABEL=dsaas.lab=1

podman_conf() { printf '%s\n' "$LAB_STATE/podman/containers.conf"; }
# Present while the lab's podman is up. Down removes it but keeps containers.conf, so a shell that
# loaded `lab/lab env` can still run podman (a missing CONTAINERS_CONF file breaks every command).
podman_ready() { printf '%s\n' "$LAB_STATE/podman/ready"; }
podman_cmd() { CONTAINERS_CONF=$(podman_conf) podman "$@"; }

podman_key() {
  printf '%s\n' "$PODMAN_SUITE" "$PODMAN_MIRROR" minbase "$PODMAN_INCLUDE" "$PODMAN_RECIPE" | sha256sum | cut -c1-12
}
podman_cache_file() { printf '%s\n' "$LAB_CACHE/podman/debian-$PODMAN_SUITE-minbase-$(podman_key).tar.gz"; }
# The image exists and was imported from the rootfs the current key describes.
podman_image_current() {
  [ "$(podman_cmd image inspect --format '{{index .Labels "dsaas.lab.key"}}' "$PODMAN_IMAGE" 2>/dev/null)" = "$(podman_key)" ]
}

podman_packages() {
  # runc named so that apt satisfies podman's "crun | runc" with runc; iptables and
  # containernetworking-plugins for the CNI bridge network (recommends are not installed).
  echo podman runc conmon containernetworking-plugins iptables slirp4netns uidmap fuse-overlayfs \
    debootstrap debian-archive-keyring tar gzip
}

podman_write_conf() {
  mkdir -p "$LAB_STATE/podman"
  cat >"$(podman_conf).tmp" <<EOF
# Written by lab/services/40-podman.sh; used through CONTAINERS_CONF (see lab/lab env).
[containers]
default_ulimits = [$PODMAN_ULIMITS]
default_sysctls = ["net.ipv4.ping_group_range=0 0"]
log_driver = "k8s-file"

[network]
network_backend = "cni"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
  mv -f "$(podman_conf).tmp" "$(podman_conf)"
}

# Build the minbase rootfs with debootstrap and pack it into the cache (atomically).
podman_build_rootfs() {
  local cache=$1 work log="$LAB_LOG/podman-debootstrap.log"
  mkdir -p "$(dirname "$cache")" "$LAB_STATE/run"
  # Leftovers of an interrupted build; --one-file-system never descends into a mount (/proc, /sys).
  rm -rf --one-file-system "$LAB_STATE"/run/podman-rootfs.*
  work=$(mktemp -d "$LAB_STATE/run/podman-rootfs.XXXXXX")
  lab_say "debootstrap $PODMAN_SUITE (minbase + $PODMAN_INCLUDE) from $PODMAN_MIRROR (about a minute)"
  if ! debootstrap --variant=minbase --include="$PODMAN_INCLUDE" "$PODMAN_SUITE" "$work/rootfs" "$PODMAN_MIRROR" >"$log" 2>&1; then
    rm -rf --one-file-system "$work"
    lab_die "debootstrap failed (see $log)"
  fi
  # Trim what an image should not carry: downloaded .debs, the package index (roles refresh it
  # themselves, as on a real host, instead of trusting a stale one), logs, this machine's resolver
  # and host name (podman supplies both at run time).
  rm -rf --one-file-system "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/cache/apt/*.bin \
    "$work"/rootfs/var/lib/apt/lists/* "$work"/rootfs/var/log/*.log "$work"/rootfs/etc/hostname
  : >"$work/rootfs/etc/resolv.conf"
  tar --numeric-owner -C "$work/rootfs" -czf "$work/rootfs.tar.gz" . >>"$log" 2>&1 \
    || { rm -rf --one-file-system "$work"; lab_die "packing the rootfs failed (see $log)"; }
  mv -f "$work/rootfs.tar.gz" "$cache"
  rm -rf --one-file-system "$work"
}

podman_up() {
  local cache old log="$LAB_LOG/podman.log"
  command -v podman >/dev/null || lab_die "podman is not installed"
  podman_write_conf
  podman_cmd info >"$log" 2>&1 || lab_die "podman info fails with $(podman_conf) (see $log)"
  if ! podman_image_current; then
    old=$(podman_cmd image inspect --format '{{.Id}}' "$PODMAN_IMAGE" 2>/dev/null) || old=""
    cache=$(podman_cache_file)
    [ -s "$cache" ] || podman_build_rootfs "$cache"
    lab_say "importing $PODMAN_IMAGE from ${cache/#"$HOME"/\~}"
    podman_cmd import \
      --change 'CMD ["/bin/bash"]' --change 'ENV container=podman' \
      --change "LABEL dsaas.lab.key=$(podman_key)" \
      --change "LABEL dsaas.lab.image=debian-$PODMAN_SUITE-minbase" \
      --change "LABEL dsaas.lab.include=$PODMAN_INCLUDE" \
      "$cache" "$PODMAN_IMAGE" >>"$log" 2>&1 || lab_die "podman import failed (see $log)"
    # The image the tag pointed to before (a stale key); kept if a container still uses it.
    if [ -n "$old" ] && [ "$old" != "$(podman_cmd image inspect --format '{{.Id}}' "$PODMAN_IMAGE")" ]; then
      podman_cmd rmi "$old" >>"$log" 2>&1 || true
    fi
  fi
  # Smoke test: a container starts with this runtime and these limits, and has what ansible needs.
  podman_cmd run --rm --label "$PODMAN_LABEL" --name "dsaas-lab-podman-smoke-$$" "$PODMAN_IMAGE" \
    python3 -c 'import apt' >>"$log" 2>&1 \
    || lab_die "a container from $PODMAN_IMAGE does not start (see $log)"
  touch "$(podman_ready)"
}

podman_down() {
  local ids
  mapfile -t ids < <(podman_cmd ps -a -q --filter "label=$PODMAN_LABEL")
  if [ ${#ids[@]} -gt 0 ]; then
    podman_cmd rm -f -t 2 "${ids[@]}" >/dev/null 2>&1 || lab_die "removing the lab's containers failed"
    lab_say "removed ${#ids[@]} lab container(s)"
  fi
  # The image, its cached rootfs and containers.conf stay: podman is daemonless, nothing else runs.
  rm -f "$(podman_ready)"
  lab_say "podman down (image $PODMAN_IMAGE kept)"
}

podman_running() {
  [ -e "$(podman_ready)" ] && [ -s "$(podman_conf)" ] && command -v podman >/dev/null || return 1
  [ "$(podman_cmd info --format '{{.Host.OCIRuntime.Name}}' 2>/dev/null)" = runc ] || return 1
  podman_image_current
}

podman_address() { printf 'unix (local podman, image %s)\n' "$PODMAN_IMAGE"; }

podman_env() {
  # Only once `up` wrote it: podman refuses every command while CONTAINERS_CONF names no file.
  [ ! -s "$(podman_conf)" ] || printf 'export CONTAINERS_CONF=%q\n' "$(podman_conf)"
  printf 'export DSAAS_LAB_IMAGE=%q\n' "$PODMAN_IMAGE"
}
