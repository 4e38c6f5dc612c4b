# shellcheck shell=bash
# Helpers shared by webfarm's scripts: one progress line per step, with the
# time elapsed since the script started.
WEBFARM_T0=${WEBFARM_T0:-${EPOCHREALTIME//[!0-9]/}}
export WEBFARM_T0

elapsed() {
  local us=$(( ${EPOCHREALTIME//[!0-9]/} - WEBFARM_T0 ))
  printf '%4d.%ds' $((us / 1000000)) $(((us / 100000) % 10))
}
say() { printf '[%s] %s\n' "$(elapsed)" "$*"; }
die() { printf 'webfarm: %s\n' "$*" >&2; exit 1; }
