#!/bin/sh
# Install what the test suite needs from the system, beyond the Python packages:
# an OpenSSH server, so tests/test_transport_ssh.py can run against a real sshd.
#
# Idempotent: does nothing when sshd is already installed. Run as root (the
# Makefile does, in CI); as another user it says what to run and exits 0, and
# the SSH tests then skip with the reason.
set -eu

if [ -x /usr/sbin/sshd ] || command -v sshd >/dev/null 2>&1; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-deps: openssh-server is missing and we are not root;" \
         "the SSH transport tests will be skipped." \
         "To run them: sudo apt-get install -y openssh-server" >&2
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-test-deps: openssh-server is missing and apt-get is not available;" \
         "install an OpenSSH server with this system's package manager to run the SSH tests." >&2
    exit 0
fi

echo "install-test-deps: installing openssh-server (for the SSH transport tests)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends openssh-server >/dev/null
# The package's postinst may start a system sshd on port 22 where an init system
# runs; the tests start their own server on a free loopback port and do not need it.
echo "install-test-deps: openssh-server installed" >&2
