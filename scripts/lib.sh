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

# ansible_env ROOT: the project's Ansible settings for the lab and the tests.
# WEBFARM_STRATEGY picks the strategy: mitogen_linear (the default here, the
# same as in .config/molecule/config.yml) or linear (stock Ansible).
ansible_env() {
  export ANSIBLE_CONFIG="$1/ansible.cfg"
  export WEBFARM_STRATEGY=${WEBFARM_STRATEGY:-mitogen_linear}
  case "$WEBFARM_STRATEGY" in
    linear|mitogen_linear) export ANSIBLE_STRATEGY=$WEBFARM_STRATEGY ;;
    *) die "WEBFARM_STRATEGY=$WEBFARM_STRATEGY: use mitogen_linear (the default) or linear (stock Ansible)" ;;
  esac
}
