# Sourced by scripts/asterisk-e2e.sh: the cached Debian chroot with Asterisk.
# The chroot is built under a temporary name and renamed only when complete,
# so an interrupted build is never mistaken for a usable one.

E2E_SUITE=${E2E_SUITE:-sid}
E2E_MIRROR=${E2E_MIRROR:-http://deb.debian.org/debian}
# libstdc++6: the host node binary needs it; minbase alone may not pull it in.
E2E_PACKAGES=asterisk,asterisk-core-sounds-en-gsm,libstdc++6
# The languages astotp has prompts for, so a call in French reads the
# challenge's digits with French core sounds. Both packages of each: -gsm has
# the files, the other one makes the sounds/<lang> link Asterisk looks in.
for e2e_lang in es fr it ru; do E2E_PACKAGES+=,asterisk-core-sounds-$e2e_lang,asterisk-core-sounds-$e2e_lang-gsm; done
unset e2e_lang
# The PAM cases (pam.sh): the programs the README's stacks are for, and
# python3 to drive su on a pseudo-terminal.
E2E_PACKAGES+=,libpam-modules,util-linux,openssh-server,openssh-client,python3
# Bump when the build recipe changes, so old caches are not reused.
E2E_RECIPE=1

# Unmounts everything mounted at or below $1 (deepest first).
e2e_unmount_below() {
  local dir mnt
  dir=$(realpath -m "$1")
  awk '{print $2}' /proc/mounts | sed 's/\\040/ /g' | sort -r | while IFS= read -r mnt; do
    case "$mnt" in "$dir" | "$dir"/*) umount -l "$mnt" 2>/dev/null || true ;; esac
  done
}

# Removes a chroot directory without ever following a mount out of it.
e2e_remove_tree() {
  [ -d "$1" ] || return 0
  e2e_unmount_below "$1"
  rm -rf --one-file-system "$1"
}

# Sets E2E_CHROOT to a ready chroot, building it if needed. On failure sets
# E2E_SKIP_REASON and returns 1.
e2e_chroot_ensure() {
  local cache=$1 key tmp log started
  # Root builds the chroot, and only root can enter it.
  [ "$(id -u)" = 0 ] || { E2E_SKIP_REASON="must run as root to build and enter the Asterisk chroot"; return 1; }
  key=$(printf '%s|%s|%s|%s' "$E2E_RECIPE" "$E2E_SUITE" "$E2E_MIRROR" "$E2E_PACKAGES" | sha256sum | cut -c1-12)
  mkdir -p "$cache"
  cache=$(realpath "$cache")
  # Canonical, since processes are matched to it by their /proc/PID/root.
  E2E_CHROOT="$cache/chroot-$E2E_SUITE-$key"
  # Leftovers of interrupted builds and chroots of older recipes. Safe: the
  # caller holds the suite lock, so no other run is using them.
  local old
  for old in "$cache"/debootstrap-*.log; do
    [ "$old" = "$cache/debootstrap-$key.log" ] || rm -f "$old"
  done
  for old in "$cache"/chroot-*; do
    [ -e "$old" ] || continue
    [ "$old" = "$E2E_CHROOT" ] && continue
    echo "e2e: removing stale $old" >&2
    e2e_remove_tree "$old"
  done
  if [ -x "$E2E_CHROOT/usr/sbin/asterisk" ] && [ -f "$E2E_CHROOT/.e2e-complete" ]; then
    echo "e2e: using cached chroot $E2E_CHROOT" >&2
    return 0
  fi
  e2e_remove_tree "$E2E_CHROOT"
  command -v debootstrap >/dev/null || { E2E_SKIP_REASON="debootstrap is not installed (apt-get install -y debootstrap)"; return 1; }
  tmp="$cache/chroot-$E2E_SUITE-$key.tmp.$$"
  log="$cache/debootstrap-$key.log"
  started=$(date +%s)
  echo "e2e: building $E2E_SUITE chroot (debootstrap, a few minutes; log: $log)" >&2
  if ! debootstrap --variant=minbase --include="$E2E_PACKAGES" "$E2E_SUITE" "$tmp" "$E2E_MIRROR" >"$log" 2>&1; then
    E2E_SKIP_REASON="debootstrap $E2E_SUITE from $E2E_MIRROR failed: $(grep -E '^[EW]:' "$log" | tail -n 3 | tr '\n' ' ')(see $log)"
    e2e_remove_tree "$tmp"
    return 1
  fi
  e2e_unmount_below "$tmp"
  if [ ! -x "$tmp/usr/sbin/asterisk" ]; then
    E2E_SKIP_REASON="debootstrap finished but $tmp/usr/sbin/asterisk is missing (see $log)"
    e2e_remove_tree "$tmp"
    return 1
  fi
  date -u +%FT%TZ >"$tmp/.e2e-complete"
  mv -T "$tmp" "$E2E_CHROOT"
  echo "e2e: chroot built in $(($(date +%s) - started)) s" >&2
}
