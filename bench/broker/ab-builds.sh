#!/usr/bin/env bash
# Before/after for a broker change: two compiled checkouts of Sluice, each broker started with
# `--durability async` on a fresh data dir, both running at once, measured in alternation (so both see the
# same machine load) with kcat: produce 200,000 x 1 KiB and 1,000,000 x 100 B (`kcat -P -l`, acks=1),
# then read the same records back (`kcat -C -c N`). Each produce is checked against the partition's end
# offset and each consume by the record count and the sum of the value sizes before a figure is printed.
# Prints records/s and the broker's CPU seconds (user + system, /proc/<pid>/stat) per GiB of payload.
#
#   bench/broker/ab-builds.sh <before-checkout> <after-checkout> [reps]
#
# A checkout needs `npx tsc -p tsconfig.build.json` (dist/) and node_modules; e.g. for main:
#   git archive main | tar -x -C /tmp/before && ln -s "$PWD/node_modules" /tmp/before/ && (cd /tmp/before && npx tsc -p tsconfig.build.json)
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 <before-checkout> <after-checkout> [reps]" >&2; exit 2; }
command -v kcat >/dev/null || { echo "kcat is missing: run .ci/run" >&2; exit 1; }
REPS=${3:-3}
WORK=$(mktemp -d)
declare -A DIR=([before]=$(cd "$1" && pwd) [after]=$(cd "$2" && pwd)) PORT PID
trap 'kill ${PID[before]:-} ${PID[after]:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT

payload() { # size count file: printable, no newline inside a value (kcat splits on \n)
  node -e 'const [size,count,file]=process.argv.slice(1).map((v,i)=>i<2?Number(v):v);
    const b=Buffer.alloc(size);for(let i=0;i<size;i++)b[i]=97+((i*7)%26);
    const line=Buffer.concat([b,Buffer.from("\n")]);const chunk=Buffer.concat(Array.from({length:1000},()=>line));
    const fd=require("fs").openSync(file,"w");for(let n=0;n<count;n+=1000)require("fs").writeSync(fd,chunk);' "$@"
}
payload 1024 200000 "$WORK/p1k"
payload 100 1000000 "$WORK/p100"

for v in before after; do
  (cd "${DIR[$v]}" && exec node bin/sluice.js broker --port 0 --data-dir "$WORK/data-$v" --durability async >"$WORK/$v.log" 2>&1) &
  PID[$v]=$!
done
for v in before after; do
  for _ in $(seq 100); do grep -q 'listening on' "$WORK/$v.log" && break; sleep 0.1; done
  PORT[$v]=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$WORK/$v.log" | head -1 | cut -d: -f2)
  [ -n "${PORT[$v]}" ] || { echo "the $v broker did not start:"; cat "$WORK/$v.log"; exit 1; }
done

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
k() { local port=$1; shift; kcat -b "127.0.0.1:$port" -X broker.address.family=v4 -q "$@"; }
perGib() { echo "scale=2; ($1) / 100 / ($2 * $3 / 1073741824)" | bc; }

for v in before after; do # warm-up: JIT, pools, page cache
  k "${PORT[$v]}" -P -t warm -p 0 -X acks=1 -l "$WORK/p1k"
  k "${PORT[$v]}" -C -t warm -p 0 -o beginning -c 200000 -f '%S\n' >/dev/null
done
echo "$(date -u '+%Y-%m-%d %H:%M') UTC, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for rep in $(seq "$REPS"); do
  for v in before after; do
    for c in "1k 200000 1024" "100 1000000 100"; do
      read -r name n size <<<"$c"
      t="t$name-$rep" p=${PID[$v]}
      c0=$(cpu "$p") s=$(date +%s%N)
      k "${PORT[$v]}" -P -t "$t" -p 0 -X acks=1 -l "$WORK/p$name"
      e=$(date +%s%N) c1=$(cpu "$p")
      end=$(k "${PORT[$v]}" -Q -t "$t:0:-1" | grep -o 'offset [0-9]*' | cut -d' ' -f2)
      [ "$end" = "$n" ] || { echo "$v: $t ends at offset $end after producing $n"; exit 1; }
      echo "$v produce $name rep $rep: $((n * 1000000000 / (e - s))) rec/s, $(perGib "$c1 - $c0" "$n" "$size") s/GiB"
      c0=$(cpu "$p") s=$(date +%s%N)
      got=$(k "${PORT[$v]}" -C -t "$t" -p 0 -o beginning -c "$n" -f '%S\n' | awk '{s += $1} END {print NR, s}')
      e=$(date +%s%N) c1=$(cpu "$p")
      [ "$got" = "$n $((n * size))" ] || { echo "$v: read back '$got' (records, bytes) from $t"; exit 1; }
      echo "$v consume $name rep $rep: $((n * 1000000000 / (e - s))) rec/s, $(perGib "$c1 - $c0" "$n" "$size") s/GiB"
    done
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
