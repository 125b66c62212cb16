#!/usr/bin/env bash
# hack/fuzz.sh: `make fuzz`. Finds every fuzz target of the module (`go test -list '^Fuzz'`),
# runs each alone for FUZZTIME, one after another, and prints a table: package, target,
# executions, crashers, note. Exits 1 when a target found a crasher or failed otherwise
# (its seeds fail, it does not build), 2 when there is no target to run.
#
# A crasher's input is written by go test to <package>/testdata/fuzz/<Target>/<id>; fix the
# bug and commit the file: it is then a seed, run by every plain `go test` like a unit test.
#
# Environment:
#   FUZZTIME   go test -fuzztime for each target: a duration (default 60s) or a count (1000000x)
#   FUZZ_PKGS  packages to search (default ./...)
#   FUZZ_RUN   extended regexp: run only the targets whose name matches (default: all)
#   FUZZFLAGS  more go test flags, e.g. "-parallel=1 -fuzzminimizetime=10s"
#   FUZZ_DIR   module directory (default: this repository)
#   FUZZ_LOGS  directory for each target's full output (default: a new temporary directory)
#   FUZZ_FORMAT md: print the table in Markdown (for README.md)
#   GO         the go command (default go)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "${FUZZ_DIR:-$ROOT}"
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-60s}
FUZZ_RUN=${FUZZ_RUN:-.}
LOGS=${FUZZ_LOGS:-$(mktemp -d "${TMPDIR:-/tmp}/mcpbuild-fuzz.XXXXXX")}
mkdir -p "$LOGS"
read -r -a pkgs <<<"${FUZZ_PKGS:-./...}"
read -r -a flags <<<"${FUZZFLAGS:-}"

# go test -list prints, per package with tests, the matching names and then
# "ok  <import path>  <time>"; a package that does not build makes it fail.
list=$LOGS/list.txt
if ! "$GO" test -list '^Fuzz' "${pkgs[@]}" >"$list" 2>&1; then
  echo "fuzz: go test -list failed:" >&2
  cat "$list" >&2
  exit 1
fi
targets=()
names=()
while IFS= read -r line; do
  case $line in
    Fuzz*) names+=("$line") ;;
    ok*)
      pkg=$(awk '{print $2}' <<<"$line")
      for n in "${names[@]}"; do
        if grep -Eq -- "$FUZZ_RUN" <<<"$n"; then targets+=("$pkg $n"); fi
      done
      names=()
      ;;
  esac
done <"$list"
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no fuzz targets found in ${pkgs[*]} (matching '$FUZZ_RUN')" >&2
  exit 2
fi
echo "fuzz: ${#targets[@]} targets, $FUZZTIME each; logs in $LOGS" >&2

rows=()
failed=0
for t in "${targets[@]}"; do
  pkg=${t% *}
  name=${t#* }
  log=$LOGS/$(tr '/' '_' <<<"$pkg").$name.log
  echo "fuzz: $pkg $name" >&2
  rc=0
  "$GO" test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "${flags[@]}" "$pkg" >"$log" 2>&1 || rc=$?
  # "fuzz: elapsed: 1m0s, execs: 900381 (15006/sec), new interesting: 12 (total: 155)"
  execs=$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' "$log" | tail -n 1)
  execs=${execs:-0}
  crashers=0
  note=ok
  if [ "$rc" -ne 0 ]; then
    failed=1
    input=$(sed -nE 's/.*Failing input written to ([^ ]+).*/\1/p' "$log" | tail -n 1)
    if [ -n "$input" ]; then
      crashers=1
      dir=$("$GO" list -f '{{.Dir}}' "$pkg" 2>/dev/null || echo "$pkg")
      note="crasher: ${dir#"$PWD"/}/$input"
    elif grep -q 'failure while testing seed corpus entry' "$log"; then
      note="a seed fails: $(sed -nE 's/.*failure while testing seed corpus entry: ([^ ]+).*/\1/p' "$log" | head -n 1)"
    else
      note="failed (exit $rc), see $log"
    fi
  fi
  rows+=("$pkg|$name|$execs|$crashers|$note")
done

# The table, columns aligned (numbers to the right), or in Markdown with FUZZ_FORMAT=md.
{
  echo "package|target|executions|crashers|note"
  printf '%s\n' "${rows[@]}"
} | awk -F'|' -v md="${FUZZ_FORMAT:-}" '
  { n = NR; for (i = 1; i <= NF; i++) { cell[n, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
  END {
    for (r = 1; r <= n; r++) {
      line = md == "md" ? "| " : ""
      for (i = 1; i <= 5; i++) {
        f = (i == 3 || i == 4) ? "%" w[i] "s" : "%-" w[i] "s"
        line = line sprintf(f, cell[r, i]) (i < 5 ? (md == "md" ? " | " : "  ") : (md == "md" ? " |" : ""))
      }
      sub(/ +$/, "", line)
      print line
      if (md == "md" && r == 1) {
        sep = "|"
        for (i = 1; i <= 5; i++) { d = ""; for (j = 0; j < w[i] + 2; j++) d = d "-"; if (i == 3 || i == 4) d = substr(d, 2) ":"; sep = sep d "|" }
        print sep
      }
    }
  }'
exit "$failed"
