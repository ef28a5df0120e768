#!/bin/sh
# Install what the test suite needs from the system, beyond the Python packages:
#   - an OpenSSH server, so tests/test_transport_ssh.py can run against a real sshd;
#   - Debian's chromium, so tests/test_html_browser.py can load the HTML report in a
#     real headless browser.
#
# Idempotent: installs only what is missing. Run as root (the Makefile does, in CI); as
# another user it says what to run and exits 0, and those tests then skip with the reason
# (unless BENCHBOT_REQUIRE_SSHD=1 / BENCHBOT_REQUIRE_BROWSER=1 make them fail, as .ci/run).
set -eu

missing=""
if ! [ -x /usr/sbin/sshd ] && ! command -v sshd >/dev/null 2>&1; then
    missing="$missing openssh-server"
fi
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
    missing="$missing chromium"
fi
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-deps: missing:$missing, and we are not root;" \
         "the SSH transport / browser tests will be skipped." \
         "To run them: sudo apt-get install -y$missing" >&2
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-test-deps: missing:$missing, and apt-get is not available;" \
         "install them with this system's package manager to run their tests." >&2
    exit 0
fi

echo "install-test-deps: installing$missing (for the SSH transport and browser tests)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086  # one word per package
apt-get install -y -qq --no-install-recommends $missing >/dev/null
# openssh-server's postinst may start a system sshd on port 22 where an init system
# runs; the tests start their own server on a free loopback port and do not need it.
echo "install-test-deps: installed$missing" >&2
