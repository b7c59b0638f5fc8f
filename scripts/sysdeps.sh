#!/usr/bin/env bash
# Debian packages kaohe needs outside Python, installed when missing (fresh machines, CI):
#   fonts-noto-cjk  — Chinese text in the PDF notices (通报) and in browser screenshots;
#   chromium        — the browser the web tests drive with Playwright (test only);
#   postgresql      — a throwaway server for the tests' PostgreSQL pass, installed only when no
#                     server answers at PG_URL and none is installed (scripts/pg_for_tests.sh).
# Usage: scripts/sysdeps.sh [demo|test|postgres]
set -euo pipefail
case "${1:-test}" in
  demo) want=(fonts-noto-cjk) ;;
  test) want=(fonts-noto-cjk chromium) ;;
  postgres) want=(postgresql) ;;
  *) echo "usage: $0 [demo|test|postgres]" >&2; exit 2 ;;
esac
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "kaohe: please install ${missing[*]} (Debian/Ubuntu package names)" >&2
  exit 2
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "kaohe: installing ${missing[*]} with apt-get" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
