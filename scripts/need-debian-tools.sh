#!/usr/bin/env bash
# Installs the Debian tools the test suites use, if they are missing:
# oathtool (an independent TOTP implementation to check ours against),
# pamtester (a PAM application to drive the pbotp PAM steps through a real
# Linux-PAM stack) and, with --e2e, debootstrap for the real-Asterisk suite.
set -euo pipefail
want=(oathtool:oathtool pamtester:pamtester)
[[ "${1:-}" == "--e2e" ]] && want+=(debootstrap:debootstrap)
missing=()
for pair in "${want[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || [[ -x "/usr/sbin/${pair%%:*}" ]] || missing+=("${pair#*:}")
done
((${#missing[@]} == 0)) && exit 0
if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=(sudo)
  command -v sudo >/dev/null 2>&1 || { echo "need Debian packages: ${missing[*]} (run as root: apt-get install ${missing[*]})" >&2; exit 1; }
else
  sudo_cmd=()
fi
echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq >&2
"${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >&2
