#!/bin/sh
# Install the Debian packages the statement exporters need, only when missing:
#   chromium          prints statement HTML to PDF (workbench.nbexport, via Playwright)
#   poppler-utils     pdftotext, used by the PDF tests
#   fonts-dejavu-core system sans-serif glyphs for the statement (no web fonts)
#   openssl           makes the test certificate of the SMTP (STARTTLS) tests
# Idempotent, non-interactive; runs apt-get update at most once. Needs root (or sudo).
set -eu

export DEBIAN_FRONTEND=noninteractive

# package name, then a command that proves it is present (empty: check dpkg only)
WANTED="chromium:chromium poppler-utils:pdftotext fonts-dejavu-core: openssl:openssl"

missing=""
for entry in $WANTED; do
    pkg=${entry%%:*}
    cmd=${entry#*:}
    if [ -n "$cmd" ] && command -v "$cmd" >/dev/null 2>&1; then
        echo "install-system-deps: $pkg present ($(command -v "$cmd"))"
    elif dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed'; then
        echo "install-system-deps: $pkg present (dpkg)"
    else
        missing="$missing $pkg"
    fi
done

if [ -z "$missing" ]; then
    echo "install-system-deps: nothing to install"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system-deps: missing:$missing, and apt-get is not available" >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo -E"
    else
        echo "install-system-deps: missing:$missing; run as root to install" >&2
        exit 1
    fi
fi

echo "install-system-deps: installing:$missing"
$SUDO apt-get update -q
# shellcheck disable=SC2086  # word splitting of the package list is intended
$SUDO apt-get install -y -q --no-install-recommends $missing
echo "install-system-deps: installed:$missing"
