// Reads CAR files (written by Kiln) with the reference JavaScript implementation and checks them:
// CARv1, every block's bytes hash to its CID (sha2-256 recomputed here), every dag-cbor block
// decodes with @ipld/dag-cbor and re-encodes to the same bytes (canonical), only the codecs and hash
// Kiln writes appear, no block twice, every root present. Prints a summary per file; exits 1 if
// any file fails a check.
//
//   node verify-kiln-car.mjs <file.car> [more.car ...]

import { readFileSync } from 'node:fs'
import { CarReader } from '@ipld/car'
import * as dagCbor from '@ipld/dag-cbor'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { equals } from 'multiformats/bytes'
import { decodeTyped, encodeTyped } from './typed-floats.mjs'

async function verify (path) {
  const problems = []
  const bytes = readFileSync(path)
  let reader
  try {
    reader = await CarReader.fromBytes(bytes)
  } catch (e) {
    return { path, problems: [`not a readable CAR: ${e.message}`] }
  }
  if (reader.version !== 1) problems.push(`CAR version ${reader.version}, Kiln writes version 1`)

  const roots = await reader.getRoots()
  const seen = new Set()
  const counts = { 'dag-cbor': 0, raw: 0 }
  let blockBytes = 0
  try {
    for await (const { cid, bytes: data } of reader.blocks()) {
      const where = `block ${seen.size} ${cid}`
      blockBytes += data.length
      if (seen.has(cid.toString())) problems.push(`${where}: appears more than once`)
      seen.add(cid.toString())
      if (cid.version !== 1) problems.push(`${where}: CID version ${cid.version}, Kiln writes CIDv1`)
      if (cid.multihash.code !== sha256.code) {
        problems.push(`${where}: multihash 0x${cid.multihash.code.toString(16)}, Kiln writes sha2-256`)
        continue
      }
      const digest = await sha256.digest(data)
      if (!equals(digest.digest, cid.multihash.digest)) {
        problems.push(`${where}: bytes hash to ${Buffer.from(digest.digest).toString('hex')}, CID says ` +
          Buffer.from(cid.multihash.digest).toString('hex'))
      }
      if (cid.code === dagCbor.code) {
        counts['dag-cbor']++
        try {
          dagCbor.decode(data) // the reference decoder's own verdict
          // Canonical: decoding and encoding again gives the same bytes. Done with the float kind
          // kept (typed-floats.mjs), since plain JS would write a float 1.0 back as the integer 1.
          if (!equals(encodeTyped(decodeTyped(data)), data)) {
            problems.push(`${where}: decodes, but re-encodes to different bytes (not canonical DAG-CBOR)`)
          }
        } catch (e) {
          problems.push(`${where}: not valid DAG-CBOR: ${e.message}`)
        }
      } else if (cid.code === raw.code) {
        counts.raw++
      } else {
        problems.push(`${where}: codec 0x${cid.code.toString(16)}, Kiln writes dag-cbor and raw`)
      }
    }
  } catch (e) {
    problems.push(`unreadable after ${seen.size} block(s): ${e.message}`)
  }
  const missingRoots = roots.filter((r) => !seen.has(r.toString()))
  for (const r of missingRoots) problems.push(`root ${r} is not a block in this CAR`)

  return {
    path,
    summary: `${bytes.length} bytes, roots [${roots.join(', ')}], ${seen.size} blocks ` +
      `(${counts['dag-cbor']} dag-cbor, ${counts.raw} raw, ${blockBytes} block bytes)`,
    problems
  }
}

const files = process.argv.slice(2)
if (files.length === 0) {
  console.error('usage: node verify-kiln-car.mjs <file.car> [more.car ...]')
  process.exit(2)
}
let failed = 0
for (const file of files) {
  const result = await verify(file)
  if (result.problems.length === 0) {
    console.log(`OK   ${file}: ${result.summary}`)
  } else {
    failed++
    console.log(`FAIL ${file}${result.summary ? ': ' + result.summary : ''}`)
    for (const p of result.problems) console.log(`     - ${p}`)
  }
}
console.log(`${files.length - failed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
