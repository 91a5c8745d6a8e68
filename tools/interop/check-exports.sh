#!/usr/bin/env bash
# Checks what Kiln exports with the reference JavaScript IPLD reader, end to end through the CLI:
# builds a database (bulk puts in several commits, an index, deletes, updates, a compaction, a late
# write), exports it, and verifies with verify-kiln-car.mjs both the export and the CAR the
# compaction wrote (the CarLog as Kiln keeps it). Then imports the export into a fresh database and
# compares documents, all-docs and head CID, and checks that a truncated and a tampered copy are
# refused with nothing stored. Needs Node 20+ and the npm registry (npm ci installs the pinned
# reader); exits non-zero on any difference. Run from anywhere: tools/interop/check-exports.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

kiln() { "$root/bin/kiln" "$@" --data-dir "$work/data"; }
fail() { echo "check-exports: $*" >&2; exit 1; }

(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)

# 400 documents in 4 commits, an array index, 5 deletes, 60 updates, then a compaction.
node -e '
  for (let i = 0; i < 400; i++) {
    console.log(JSON.stringify({_id: "d" + i, n: i, f: i + 0.5, tags: ["t" + (i % 7), "x"], nested: {ok: i % 2 === 0}}))
  }' > "$work/docs.ndjson"
kiln put-all src "$work/docs.ndjson" --batch 100 > /dev/null
kiln index src tags --each > /dev/null
for i in 3 17 42 99 256; do kiln del src "d$i" > /dev/null; done
node -e 'for (let i = 0; i < 60; i++) console.log(JSON.stringify({_id: "d" + (i * 5 + 1), n: -i, note: "updated"}))' \
  > "$work/updates.ndjson"
kiln put-all src "$work/updates.ndjson" > /dev/null
kiln compact src > /dev/null
mkdir "$work/carlog"
cp "$work"/data/src/cars/*.car "$work/carlog/"
[ "$(kiln stats src | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).carLogLength))')" = 1 ] \
  || fail "the compaction did not leave a CarLog of one CAR"
echo '{"_id":"late","tags":["t1"]}' | kiln put src - > /dev/null   # a CarLog of two CARs again

kiln export src --out "$work/src.car" > /dev/null
(cd "$here" && node verify-kiln-car.mjs "$work/src.car" "$work"/carlog/*.car)

# export, then import into a fresh database: the same documents, all-docs and head CID
kiln import copy "$work/src.car" > /dev/null
for what in "stats" "all-docs --include-deleted" "changes"; do
  # shellcheck disable=SC2086
  kiln $what src > "$work/a.json"
  # shellcheck disable=SC2086
  kiln $what copy > "$work/b.json"
  node -e '
    const fs = require("fs")
    let [a, b] = [process.argv[1], process.argv[2]].map(f => JSON.parse(fs.readFileSync(f, "utf8")))
    // stats: what the data is (documents, sequence, head, index progress), not how it is stored
    // (CAR files and bytes, compactions, live bytes and heap differ between a log and an import)
    const data = s => ({ documents: s.documents, lastSeq: s.lastSeq, clock: s.clock, indexedSeqs: s.indexedSeqs })
    if (a.name !== undefined) { [a, b] = [data(a), data(b)] }
    if (JSON.stringify(a) !== JSON.stringify(b)) { console.error("differs:\n" + JSON.stringify(a).slice(0, 400) + "\n" + JSON.stringify(b).slice(0, 400)); process.exit(1) }
  ' "$work/a.json" "$work/b.json" || fail "kiln $what differs between the source and its imported copy"
done

# a truncated and a tampered export are refused, and nothing is stored
size=$(wc -c < "$work/src.car")
head -c $((size - 100)) "$work/src.car" > "$work/cut.car"
cp "$work/src.car" "$work/tampered.car"
printf '\x00\x01\x02\x03' | dd of="$work/tampered.car" bs=1 seek=$((size / 2)) conv=notrunc status=none
for bad in cut tampered; do
  if kiln import "$bad" "$work/$bad.car" > /dev/null 2> "$work/err.txt"; then fail "the $bad CAR was imported"; fi
  grep -q "nothing was stored" "$work/err.txt" || fail "the $bad CAR's refusal does not say nothing was stored: $(cat "$work/err.txt")"
  [ -z "$(ls -A "$work/data/$bad/cars" 2>/dev/null)" ] || fail "the refused $bad CAR left files: $(ls "$work/data/$bad/cars")"
done
echo "check-exports: the export and the compacted CarLog verify with the JS reader; import gives the same state; bad CARs are refused"
