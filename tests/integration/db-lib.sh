# db-lib.sh - a PostgreSQL 15 cluster of the test's own for the t6NNN-db
# tests: initdb in $TMP/pg, a Unix socket in $TMP/pg/sock (no TCP), run as
# the postgres user when the tests run as root (the server refuses root),
# stopped when the test exits. Source after lib.sh; then db_start.
# Sets DSN (a libpq connection string) and PSQL (psql on it).
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
W=${PINCH_WORKLOADS:?}
export W

db_need() {	# db_need TOOL...: skip unless present (a failure under CI=true)
	local t
	for t in "$@"; do
		[ -x "$t" ] || command -v "$t" >/dev/null 2>&1 && continue
		if [ "${CI:-}" = true ]; then
			echo "1..1"; echo "not ok 1 - $t is missing (CI installs it: scripts/deps.sh test)"
			exit 1
		fi
		skip_all "$t is not installed"
	done
}

db_stop() {
	[ -n "${PGD:-}" ] && [ -f "$PGD/data/postmaster.pid" ] &&
		$AS "$PGBIN/pg_ctl" -D "$PGD/data" -m immediate -w stop >/dev/null 2>&1
	rm -rf "$TMP"
}

db_start() {	# db_start [extra postgresql.conf lines...]
	local port=55432 l
	db_need "$PGBIN/initdb" "$PGBIN/pg_ctl" psql
	PGD=$TMP/pg
	mkdir -p "$PGD/data" "$PGD/sock"
	AS=
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || { echo "1..0 # SKIP no postgres user"; exit 0; }
		chmod 755 "$TMP"
		chown -R postgres "$PGD"
		AS="runuser -u postgres --"
	fi
	trap db_stop EXIT
	$AS "$PGBIN/initdb" -D "$PGD/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
		>"$TMP/initdb.log" 2>&1 || { cat "$TMP/initdb.log" >&2; echo "1..1"; echo "not ok 1 - initdb"; exit 1; }
	{
		echo "fsync = off"
		echo "shared_buffers = 16MB"
		echo "max_connections = 20"
		echo "jit = off"
		for l in "$@"; do echo "$l"; done
	} >>"$PGD/data/postgresql.conf"
	$AS "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/server.log" \
		-o "-k $PGD/sock -p $port -c listen_addresses=''" -w start >/dev/null 2>&1 ||
		{ cat "$PGD/server.log" >&2; echo "1..1"; echo "not ok 1 - pg_ctl start"; exit 1; }
	DSN="host=$PGD/sock port=$port user=postgres dbname=postgres"
	export DSN
	PSQL="psql -X -q -v ON_ERROR_STOP=1 -h $PGD/sock -p $port -U postgres -d postgres"
}
