#!/bin/sh
# Debian's chromium draws the PDF briefing's charts (kaleido) and runs the browser tests (Playwright; never
# `playwright install`, which downloads a browser). poppler-utils (pdftotext, pdfinfo) checks the PDFs in tests.
set -e
need=""
[ -x /usr/bin/chromium ] || need="$need chromium"
if [ "${1:-}" = "--tests" ]; then
  command -v pdftotext >/dev/null 2>&1 || need="$need poppler-utils"
fi
[ -n "$need" ] || exit 0
echo "Installing Debian packages:$need"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need >/dev/null
