#!/bin/sh
# demo.sh: the main job end to end on loopback: builds pxpd, makes a test
# CA, starts the bundled test PCP broker and pxpd (PCP v1, embedded defaults plus
# the test certificates), sends an echo and a ping through the test (v2)
# controller, prints the replies as JSON lines, and stops everything.
set -eu
cd "$(dirname "$0")/.."
sh tests/setup-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" \
	--target pxpd pcp-broker pcp-controller >/dev/null

demo=$(mktemp -d /tmp/pxpd-demo.XXXXXX)
ca=$demo/ca
sh tests/ca/make-ca.sh "$ca" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

cleanup() {
	[ -n "${agent:-}" ] && kill "$agent" 2>/dev/null
	[ -n "${broker:-}" ] && kill "$broker" 2>/dev/null
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

build/tests/broker/pcp-broker --host 127.0.0.1 --port "$port" \
	--cert "$ca/broker.pem" --key "$ca/broker_key.pem" --ca "$ca/ca.pem" \
	--crl "$ca/crl.pem" 2>"$demo/broker.log" &
broker=$!

cat >"$demo/pxpd.conf" <<CONF
{
  "broker-ws-uris": ["wss://localhost:$port/pcp/"],
  "ssl-ca-cert": "$ca/ca.pem",
  "ssl-cert": "$ca/agent01.pem",
  "ssl-key": "$ca/agent01_key.pem",
  "ssl-crl": "$ca/crl.pem",
  "logfile": "$demo/pxpd.log",
  "spool-dir": "$demo/spool",
  "task-cache-dir": "$demo/tasks-cache",
  "modules-dir": "$demo/modules",
  "modules-config-dir": "$demo/modules.d",
  "pidfile": "$demo/pxpd.pid",
  "connect-splay": 0
}
CONF
mkdir -p "$demo/modules"
sleep 0.3
build/agent/pxpd --config-file "$demo/pxpd.conf" --foreground &
agent=$!

i=0
until grep -q "associated with" "$demo/pxpd.log" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		echo "pxpd did not connect; its log:" >&2
		cat "$demo/pxpd.log" >&2
		exit 1
	fi
	sleep 0.1
done

ctl() {
	build/tests/controller/pcp-controller --broker "wss://localhost:$port" \
		--cert "$ca/controller.pem" --key "$ca/controller_key.pem" \
		--ca "$ca/ca.pem" --pcp-version 2 \
		--target pcp://agent01.example/agent "$@"
}
echo "== echo"
ctl --module echo --action echo --params '{"argument":"hello from pxpd"}'
echo "== ping"
ctl --module ping --action ping --params '{"sender_timestamp":"1"}'
echo "== pxpd log: $demo/pxpd.log"
