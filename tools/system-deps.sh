#!/usr/bin/env bash
# Installs what the browser and team-mode tests need from Debian's packages:
# Chromium and PostgreSQL. Does nothing for what is already there; where it
# cannot install (not root, no apt-get) it says so and the tests skip, unless
# WORKBENCH_REQUIRE_BROWSER / WORKBENCH_REQUIRE_POSTGRES make them fail.
set -u

have_chromium() { command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; }
have_postgres() {
  command -v pg_ctl >/dev/null 2>&1 && return 0
  ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1
}

wanted=()
have_chromium || wanted+=(chromium)
have_postgres || wanted+=(postgresql)
[ ${#wanted[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  echo "system-deps: cannot install ${wanted[*]} (not root, no sudo); their tests will skip" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: no apt-get; install ${wanted[*]} yourself; their tests will skip" >&2
  exit 0
fi
echo "system-deps: installing ${wanted[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${wanted[@]}" >/dev/null
