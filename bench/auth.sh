#!/usr/bin/env bash
# Failure recognition per sshd/PAM/dropbear/su family, syslog and journal
# forms. With no arguments, vigil's own labelled lines and SSHGuard's parser
# tests (tests/fixtures); pass fail2ban's test
# logs (fail2ban/tests/files/logs/sshd, sshd-journal, dropbear, pam-generic)
# to compare with fail2ban's labels. VERBOSE=1 lists every mismatch.
set -euo pipefail
cd "$(dirname "$0")/.."
files=("$@")
[ ${#files[@]} -eq 0 ] && files=(tests/fixtures/auth-families.log tests/fixtures/sshguard-ssh-tests.txt)
cargo run --quiet --release --example auth-families -- "${files[@]}"
