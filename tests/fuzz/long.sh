#!/bin/sh
# long.sh: the long fuzz run of issue 13: every harness of build-fuzz/ for
# RUNS executions (default 10 million) from its seed corpus, one after the
# other; per harness it prints and appends to tests/bench/RESULTS.md the
# executions, the seconds, the coverage (libFuzzer's cov: edges and ft:
# features) and whether it crashed. A crash leaves its input in
# build-fuzz/long/<harness>/ (crash-*) and makes the exit code 1.
#   sh tests/fuzz/long.sh [RUNS] [harness...]
set -eu
cd "$(dirname "$0")/../.."
runs=${1:-10000000}
[ $# -gt 0 ] && shift
bin=build-fuzz/tests/fuzz
[ -d "$bin" ] || { echo "long.sh: build the fuzz tree first (tests/README.md)" >&2; exit 2; }
names=${*:-$( (cd "$bin" && ls *_fuzz; ls ../../modules/puppet 2>/dev/null | grep '_fuzz$') | sed 's/_fuzz$//')}
out=build-fuzz/long
rc=0
for n in $names; do
	mkdir -p "$out/$n/corpus"
	cp -r tests/fuzz/corpus/"$n"/. "$out/$n/corpus/" 2>/dev/null || true
	dict=
	case $n in
	codec_v1|codec_v2|pxp_request) dict=-dict=tests/fuzz/pcp.dict ;;
	schema) dict=-dict=tests/fuzz/schema.dict ;;
	esac
	exe=$bin/${n}_fuzz
	[ -x "$exe" ] || exe=build-fuzz/modules/puppet/${n}_fuzz   # built beside its module
	start=$(date +%s)
	set +e
	"$exe" -runs="$runs" -timeout=10 -print_final_stats=1 \
	    -artifact_prefix="$out/$n/" $dict "$out/$n/corpus" \
	    > "$out/$n/log" 2>&1
	st=$?
	set -e
	secs=$(( $(date +%s) - start ))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$n/log" | tail -1)
	cov=$(grep -E '^#[0-9]+' "$out/$n/log" | tail -1 | sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/cov \1 ft \2 corpus \3/p')
	if [ $st -eq 0 ]; then verdict="no crash"; else verdict="CRASH (exit $st, see $out/$n/)"; rc=1; fi
	python3 - "$n" "${execs:-?}" "$secs" "${cov:-?}" "$verdict" <<'PY'
import sys
sys.path.insert(0, "tests/bench")
import benchlog
n, execs, secs, cov, verdict = sys.argv[1:]
benchlog.report("fuzz %s: %s executions in %s s, %s; %s [tests/fuzz/long.sh]"
                % (n, execs, secs, cov, verdict), source="fuzz")
PY
done
exit $rc
