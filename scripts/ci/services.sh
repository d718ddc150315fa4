#!/usr/bin/env bash
# Installs (from Debian's packages) and starts the services the test suites need on loopback:
# PostgreSQL on 127.0.0.1:5432 with trust auth and a database `test`, NATS with JetStream on
# 127.0.0.1:4222, and Chromium for the web UI's browser tests. Idempotent: what is installed and
# running is left as it is. Each step that fails says so; its suites then skip with the reason.
set -uo pipefail
export DEBIAN_FRONTEND=noninteractive

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || { echo "services: no apt-get to install ${missing[*]}"; return 1; }
  if [ $apt_updated -eq 0 ]; then apt-get update >/dev/null 2>&1; apt_updated=1; fi
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { echo "services: could not install ${missing[*]}"; return 1; }
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- PostgreSQL -----------------------------------------------------------------------------
if apt_install postgresql; then
  version=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)
  if [ -n "$version" ]; then
    hba=/etc/postgresql/$version/main/pg_hba.conf
    if ! grep -q '^# decision-trace tests' "$hba"; then
      # Tests connect as postgres over TCP on loopback without a password.
      { echo '# decision-trace tests: trust on loopback'
        echo 'host all all 127.0.0.1/32 trust'
        echo 'host all all ::1/128 trust'
        cat "$hba"; } > "$hba.new" && mv "$hba.new" "$hba"
      chown postgres:postgres "$hba"
      pg_ctlcluster --skip-systemctl-redirect "$version" main stop >/dev/null 2>&1 || true
    fi
    if ! pg_isready -q -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || echo "services: PostgreSQL did not start"
    fi
    for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.1; done
    psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" 2>/dev/null | grep -q 1 \
      || psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE test' >/dev/null 2>&1 \
      || echo "services: could not create database test"
  fi
fi

# --- NATS with JetStream ---------------------------------------------------------------------
if apt_install nats-server && ! port_open 4222; then
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log || true
  for _ in $(seq 1 50); do port_open 4222 && break; sleep 0.1; done
fi

# --- Chromium for the web UI's tests ---------------------------------------------------------
apt_install chromium || true

pg_isready -q -h 127.0.0.1 -p 5432 && echo "services: PostgreSQL ready on 127.0.0.1:5432" || echo "services: PostgreSQL not available"
port_open 4222 && echo "services: NATS ready on 127.0.0.1:4222" || echo "services: NATS not available"
[ -x /usr/bin/chromium ] && echo "services: Chromium at /usr/bin/chromium" || echo "services: Chromium not available"
exit 0
