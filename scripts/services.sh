#!/usr/bin/env bash
# Local services and system tools for development, tests and CI (Debian).
#
#   bash scripts/services.sh [ensure]     PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 answer,
#                                         and the database named in DATABASE_URL exists (default: bodycam)
#   bash scripts/services.sh ffmpeg       ffmpeg and ffprobe (Debian package ffmpeg)
#   bash scripts/services.sh chromium     /usr/bin/chromium for the browser tests (Debian package chromium)
#   bash scripts/services.sh fonts        fonts-wqy-zenhei and poppler-utils (pdftotext, pdftoppm)
#   Several subcommands may be given at once: bash scripts/services.sh ffmpeg chromium fonts
#
# `ensure` runs before every `npm start` and `npm test`: when both services answer it takes a few tens of
# milliseconds and prints one line. Anything missing is installed with apt-get when running as root;
# otherwise the script says what to install and exits 1. Nothing here touches an existing pg_hba.conf.
#
# Overrides (mainly for trying this script without disturbing the running services):
#   SERVICES_PG_PORT (5432), SERVICES_PG_CLUSTER (main), SERVICES_REDIS_PORT (6379),
#   SERVICES_REDIS_DIR, SERVICES_REDIS_LOG, SERVICES_WAIT_SECONDS (60)
set -euo pipefail

readonly LOOPBACK=127.0.0.1
readonly PG_PORT="${SERVICES_PG_PORT:-5432}"
readonly PG_CLUSTER="${SERVICES_PG_CLUSTER:-main}"
readonly REDIS_PORT="${SERVICES_REDIS_PORT:-6379}"
readonly WAIT_SECONDS="${SERVICES_WAIT_SECONDS:-60}"
readonly HBA_MARKER='# bodycam scripts/services.sh:'

if [[ $EUID -eq 0 ]]; then
  REDIS_DIR="${SERVICES_REDIS_DIR:-/var/lib/redis}"
  REDIS_LOG="${SERVICES_REDIS_LOG:-/var/log/redis/ci.log}"
else
  REDIS_DIR="${SERVICES_REDIS_DIR:-${TMPDIR:-/tmp}/bodycam-redis-$(id -u)}"
  REDIS_LOG="${SERVICES_REDIS_LOG:-$REDIS_DIR/redis.log}"
fi

say() { printf 'services: %s\n' "$*"; }
die() {
  printf 'services: ERROR: %s\n' "$*" >&2
  exit 1
}
is_root() { [[ $EUID -eq 0 ]]; }

# ---------------------------------------------------------------------------------------------- apt

APT_UPDATED=0
apt_install() { # apt_install PACKAGE... (root only; callers check)
  local apt=(apt-get -q -y -o DPkg::Lock::Timeout=300)
  export DEBIAN_FRONTEND=noninteractive
  # A cluster created by the postgresql package's postinst takes its encoding from the locale: make it UTF-8.
  export LANG=C.UTF-8 LC_ALL=C.UTF-8
  if [[ $APT_UPDATED -eq 0 ]]; then
    say "apt-get update"
    "${apt[@]}" update >/dev/null || die "apt-get update failed"
    APT_UPDATED=1
  fi
  say "apt-get install $*"
  "${apt[@]}" install "$@" || die "apt-get install $* failed"
}

# need_packages WHAT PACKAGE...: install PACKAGEs as root, or explain and exit 1.
need_packages() {
  local what="$1"
  shift
  if is_root; then
    apt_install "$@"
  else
    die "$what is not installed. As root run: apt-get update && apt-get install -y $*"
  fi
}

# --------------------------------------------------------------------------------------- PostgreSQL

pg_answers() {
  if command -v pg_isready >/dev/null; then
    pg_isready -q -h "$LOOPBACK" -p "$PG_PORT" -t 2
  else
    tcp_open "$PG_PORT"
  fi
}

# shellcheck disable=SC2016 # expanded by the inner bash
tcp_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$LOOPBACK" "$1" 2>/dev/null; }

pg_server_installed() {
  compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null && command -v pg_ctlcluster >/dev/null &&
    command -v pg_isready >/dev/null && command -v psql >/dev/null
}

# Newest version that has the cluster, or nothing.
pg_cluster_version() {
  local dir best=''
  for dir in /etc/postgresql/*/"$PG_CLUSTER"; do
    [[ -f $dir/postgresql.conf ]] || continue
    dir="${dir%/*}"
    best="$(printf '%s\n%s\n' "$best" "${dir##*/}" | sed '/^$/d' | sort -V | tail -n 1)"
  done
  printf '%s' "$best"
}

pg_newest_installed_version() {
  local bin best=''
  for bin in /usr/lib/postgresql/*/bin/postgres; do
    [[ -x $bin ]] || continue
    bin="${bin%/bin/postgres}"
    best="$(printf '%s\n%s\n' "$best" "${bin##*/}" | sed '/^$/d' | sort -V | tail -n 1)"
  done
  printf '%s' "$best"
}

# Let the postgres user connect over loopback TCP without a password. Only for a cluster this script
# installed or created: a cluster an operator set up keeps its own pg_hba.conf.
pg_trust_loopback() {
  local hba="/etc/postgresql/$1/$PG_CLUSTER/pg_hba.conf" tmp
  grep -qF "$HBA_MARKER" "$hba" && return 0
  tmp="$(mktemp)"
  {
    printf '%s loopback TCP as postgres without a password (development and tests only)\n' "$HBA_MARKER"
    printf 'host all postgres 127.0.0.1/32 trust\n'
    printf 'host all postgres ::1/128 trust\n\n'
    cat "$hba"
  } >"$tmp"
  cat "$tmp" >"$hba" # keeps the file's owner and mode
  rm -f "$tmp"
  say "pg_hba.conf of cluster $1/$PG_CLUSTER: loopback connections as postgres are trusted"
}

pg_ctl() { pg_ctlcluster --skip-systemctl-redirect "$1" "$PG_CLUSTER" "$2"; }

pg_running() { pg_ctlcluster --skip-systemctl-redirect "$1" "$PG_CLUSTER" status >/dev/null 2>&1; }

PG_OURS=0 # 1 when this run installed the server or created the cluster
pg_start() {
  if ! pg_server_installed; then
    need_packages "The PostgreSQL server" postgresql
    pg_server_installed || die "PostgreSQL is still missing after apt-get install postgresql"
    PG_OURS=1
  fi

  local version dir
  version="$(pg_cluster_version)"
  if [[ -z $version ]]; then
    version="$(pg_newest_installed_version)"
    [[ -n $version ]] || die "no PostgreSQL server binaries under /usr/lib/postgresql"
    is_root || [[ $(id -un) == postgres ]] ||
      die "no PostgreSQL cluster exists. As root run: bash scripts/services.sh ensure"
    for dir in /etc/postgresql /var/lib/postgresql /var/log/postgresql /var/run/postgresql; do
      if [[ ! -d $dir ]] && is_root; then install -d -o postgres -g postgres "$dir"; fi
    done
    say "creating PostgreSQL cluster $version/$PG_CLUSTER on port $PG_PORT"
    # initdb refuses to run as root. pg_createcluster started by root makes the directories (whose parents
    # may be root's, as /var/lib/postgresql/<version> is on these machines) and runs initdb as the cluster's
    # owner, postgres; started by postgres itself it needs those parents to be writable by postgres.
    pg_createcluster --user=postgres --port="$PG_PORT" --locale=C.UTF-8 --encoding=UTF8 \
      "$version" "$PG_CLUSTER" >/dev/null || die "pg_createcluster $version $PG_CLUSTER failed"
    PG_OURS=1
  fi

  if [[ $PG_OURS -eq 1 ]]; then
    pg_trust_loopback "$version"
    if pg_running "$version"; then
      pg_ctl "$version" reload >/dev/null
    fi
  fi

  if ! pg_running "$version"; then
    if ! is_root && [[ $(id -un) != postgres ]]; then
      die "PostgreSQL $version/$PG_CLUSTER is not running. As root run:" \
        "pg_ctlcluster --skip-systemctl-redirect $version $PG_CLUSTER start"
    fi
    if is_root && [[ ! -d /var/run/postgresql ]]; then
      install -d -m 2775 -o postgres -g postgres /var/run/postgresql
    fi
    say "starting PostgreSQL $version/$PG_CLUSTER"
    pg_ctl "$version" start ||
      die "pg_ctlcluster $version $PG_CLUSTER start failed (see /var/log/postgresql/postgresql-$version-$PG_CLUSTER.log)"
  fi

  wait_for pg_answers ||
    die "PostgreSQL $version/$PG_CLUSTER does not answer on $LOOPBACK:$PG_PORT after ${WAIT_SECONDS}s" \
      "(check port and listen_addresses in /etc/postgresql/$version/$PG_CLUSTER/postgresql.conf" \
      "and /var/log/postgresql/postgresql-$version-$PG_CLUSTER.log)"
}

# ------------------------------------------------------------------------------------------- Redis

redis_reply() {
  if command -v redis-cli >/dev/null; then
    timeout 3 redis-cli -h "$LOOPBACK" -p "$REDIS_PORT" ping 2>/dev/null || true
  else
    # shellcheck disable=SC2016 # expanded by the inner bash
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "PING\r\n" >&3 && IFS= read -r line <&3 && printf "%s" "$line"' \
      "$LOOPBACK" "$REDIS_PORT" 2>/dev/null || true
  fi
}

redis_answers() { [[ $(redis_reply) == *PONG* ]]; }

redis_start() {
  if ! command -v redis-server >/dev/null; then
    need_packages "The Redis server" redis-server
    command -v redis-server >/dev/null || die "redis-server is still missing after apt-get install redis-server"
    # The package's own init script may have started one on the default port.
    if redis_answers; then return 0; fi
  fi
  mkdir -p "$REDIS_DIR" "$(dirname "$REDIS_LOG")"
  say "starting Redis on $LOOPBACK:$REDIS_PORT (data dir $REDIS_DIR, log $REDIS_LOG)"
  # Append-only file on, as in docker-compose.yml: a job already relayed from the outbox lives only in Redis,
  # and a Redis restarted without it would forget the job (test/faults/redis-outage.test.ts).
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly yes --appendfsync everysec \
    --dir "$REDIS_DIR" --logfile "$REDIS_LOG" ||
    die "redis-server failed to start (see $REDIS_LOG)"
  wait_for redis_answers ||
    die "Redis does not answer PING on $LOOPBACK:$REDIS_PORT after ${WAIT_SECONDS}s" \
      "(last reply: '$(redis_reply)'; see $REDIS_LOG)"
}

# ---------------------------------------------------------------------------------------- database

wait_for() { # wait_for PROBE: run PROBE every 0.2 s until it succeeds; fail after WAIT_SECONDS
  local deadline=$((SECONDS + WAIT_SECONDS))
  until "$1"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# Sets DB_HOST DB_PORT DB_NAME DB_USER DB_PASSWORD from DATABASE_URL (or the default).
parse_database_url() {
  local url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bodycam}"
  local re='^postgres(ql)?://(([^:@/]*)(:([^@/]*))?@)?(\[[^]]*\]|[^:/?]*)(:([0-9]+))?(/([^?]*))?'
  [[ $url =~ $re ]] || die "DATABASE_URL is not a postgres:// URL"
  DB_USER="${BASH_REMATCH[3]:-postgres}"
  DB_PASSWORD="${BASH_REMATCH[5]:-}"
  DB_HOST="${BASH_REMATCH[6]:-$LOOPBACK}"
  DB_PORT="${BASH_REMATCH[8]:-5432}"
  DB_NAME="${BASH_REMATCH[10]:-$DB_USER}"
  DB_HOST="${DB_HOST#[}"
  DB_HOST="${DB_HOST%]}"
}

db_psql() { # db_psql < SQL, as postgres over loopback TCP to the maintenance database
  local password=''
  [[ $DB_USER == postgres ]] && password="$DB_PASSWORD"
  PGPASSWORD="$password" PGCONNECT_TIMEOUT=5 psql -X -q -w -At -v ON_ERROR_STOP=1 \
    -h "$DB_HOST" -p "$DB_PORT" -U postgres -d postgres -v dbname="$DB_NAME" -v owner="$DB_USER"
}

DB_NOTE=''
ensure_database() {
  parse_database_url
  case "$DB_HOST" in
    127.0.0.1 | localhost | ::1) ;;
    *)
      DB_NOTE="; DATABASE_URL points at $DB_HOST: database not checked"
      return 0
      ;;
  esac
  local out
  if ! out="$(db_psql 2>&1 <<<"SELECT 1 FROM pg_database WHERE datname = :'dbname'")"; then
    if [[ $out == *password* || $out == *authentication* ]]; then
      die "PostgreSQL on $DB_HOST:$DB_PORT wants a password for user postgres ($out)." \
        "Give it in the URL, e.g. DATABASE_URL=postgres://postgres:PASSWORD@127.0.0.1:$DB_PORT/$DB_NAME," \
        "or let loopback connections as postgres in with a line 'host all postgres 127.0.0.1/32 trust'" \
        "at the top of pg_hba.conf (the tests connect as postgres without a password)"
    fi
    die "cannot query PostgreSQL on $DB_HOST:$DB_PORT as postgres: $out"
  fi
  if [[ $out == 1 ]]; then
    DB_NOTE="; database $DB_NAME present"
    return 0
  fi
  local create='CREATE DATABASE :"dbname"'
  [[ $DB_USER != postgres ]] && create+=' OWNER :"owner"'
  if ! out="$(db_psql 2>&1 <<<"$create")"; then
    # Another run may have created it in the meantime.
    [[ $(db_psql 2>/dev/null <<<"SELECT 1 FROM pg_database WHERE datname = :'dbname'") == 1 ]] ||
      die "could not create database $DB_NAME: $out" \
        "$([[ $DB_USER != postgres ]] && echo "(it is made owned by $DB_USER from DATABASE_URL: create that role first)")"
  fi
  DB_NOTE="; database $DB_NAME created"
}

ensure() {
  local started=''
  if ! pg_answers; then
    pg_start
    started+=' (started PostgreSQL)'
  fi
  if ! redis_answers; then
    redis_start
    started+=' (started Redis)'
  fi
  ensure_database
  say "PostgreSQL $LOOPBACK:$PG_PORT and Redis $LOOPBACK:$REDIS_PORT answer$started$DB_NOTE"
}

# ------------------------------------------------------------------------------------ system tools

ensure_ffmpeg() {
  command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null && return 0
  need_packages "ffmpeg" ffmpeg
}

ensure_chromium() {
  [[ -x /usr/bin/chromium ]] && return 0
  need_packages "Chromium (/usr/bin/chromium)" chromium
}

ensure_fonts() {
  local missing=()
  [[ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ]] || missing+=(fonts-wqy-zenhei)
  if ! command -v pdftotext >/dev/null || ! command -v pdftoppm >/dev/null; then missing+=(poppler-utils); fi
  ((${#missing[@]} == 0)) && return 0
  need_packages "${missing[*]}" "${missing[@]}"
}

main() {
  (($# > 0)) || set -- ensure
  local cmd
  for cmd in "$@"; do
    case "$cmd" in
      ensure) ensure ;;
      ffmpeg) ensure_ffmpeg ;;
      chromium) ensure_chromium ;;
      fonts) ensure_fonts ;;
      -h | --help | help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" ;;
      *) die "unknown subcommand '$cmd' (ensure, ffmpeg, chromium, fonts)" ;;
    esac
  done
}

main "$@"
