// Writes the fixtures that Kiln's Java tests read, computed by the reference JavaScript IPLD
// implementation (@ipld/dag-cbor, multiformats, @ipld/car). The output is deterministic: the same
// package versions always give byte-identical files, so `git diff` after a rerun shows real change.
//
//   npm ci && node make-fixtures.mjs
//
// Written (paths relative to the repository root):
//   protocol/src/test/resources/vectors/cid-vectors.json   CIDs the Java Cid must produce or refuse
//   engine/src/test/resources/vectors/dag-cbor-vectors.json value -> bytes -> CID, and bytes to refuse
//   engine/src/test/resources/interop/js-*.car               CAR files written by @ipld/car
//   engine/src/test/resources/interop/js-cars.json           what each of those CARs holds

import { mkdirSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as dagCbor from '@ipld/dag-cbor'
import { CarWriter, CarIndexer } from '@ipld/car'
import { CID } from 'multiformats/cid'
import { sha256, sha512 } from 'multiformats/hashes/sha2'
import { identity } from 'multiformats/hashes/identity'
import { base58btc } from 'multiformats/bases/base58'
import { base32 } from 'multiformats/bases/base32'
import * as raw from 'multiformats/codecs/raw'
import * as Digest from 'multiformats/hashes/digest'
import { IpldFloat, encodeTyped, decodeTyped } from './typed-floats.mjs'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const hex = (bytes) => Buffer.from(bytes).toString('hex')
const fromHex = (h) => new Uint8Array(Buffer.from(h, 'hex'))
const utf8 = (s) => new TextEncoder().encode(s)
const DAG_PB = 0x70

function write (relative, content) {
  const path = join(repo, relative)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, content)
  console.log(`wrote ${relative} (${content.length} bytes)`)
}

const writeJson = (relative, value) => write(relative, JSON.stringify(value, null, 2) + '\n')

async function cidOf (code, bytes) {
  return CID.create(1, code, await sha256.digest(bytes))
}

// ---------------------------------------------------------------------------------------- CIDs

async function cidVectors () {
  const known = []
  const add = async (name, code, content) => {
    const cid = await cidOf(code, content)
    known.push({
      name,
      codec: code,
      contentHex: hex(content),
      digestHex: hex(cid.multihash.digest),
      bytesHex: hex(cid.bytes),
      text: cid.toString()
    })
  }
  await add('dag-cbor empty map {} (0xa0)', dagCbor.code, dagCbor.encode({}))
  await add('raw empty bytes', raw.code, new Uint8Array())
  await add('raw "hello world"', raw.code, utf8('hello world'))
  await add('dag-cbor empty list [] (0x80)', dagCbor.code, dagCbor.encode([]))
  await add('dag-cbor null (0xf6)', dagCbor.code, dagCbor.encode(null))

  // The example in the CID specification's "Human Readable CIDs" section, given there in base58btc:
  // "base58btc - cidv1 - raw - sha2-256-256-6e6ff795…". Kiln reads only base32, so the expectation
  // is the same binary CID in base32.
  const specText = 'zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA'
  const spec = CID.parse(specText, base58btc)
  known.push({
    name: 'CID spec example (raw, sha2-256), given in base58btc',
    codec: spec.code,
    specText,
    digestHex: hex(spec.multihash.digest),
    bytesHex: hex(spec.bytes),
    text: spec.toString(base32)
  })

  // Valid CIDs elsewhere in IPLD that Kiln does not accept: made by the reference implementation so
  // the refusals are tested on real CIDs, not only on hand-broken bytes.
  const content = utf8('hello world')
  const foreign = []
  const addForeign = (name, cid, refusedPart) =>
    foreign.push({ name, bytesHex: hex(cid.bytes), text: cid.toString(base32), refusedPart })
  addForeign('dag-pb codec (0x70)', CID.create(1, DAG_PB, await sha256.digest(content)), 'codec')
  addForeign('sha2-512 multihash', CID.create(1, raw.code, await sha512.digest(content)), 'hash')
  addForeign('identity multihash', CID.create(1, raw.code, identity.digest(content)), 'hash')
  addForeign('sha2-256 code with a 20-byte digest', CID.create(1, raw.code,
    Digest.create(sha256.code, (await sha256.digest(content)).digest.subarray(0, 20))), 'digest length')
  const v0 = CID.create(0, DAG_PB, await sha256.digest(content))
  foreign.push({
    name: 'CIDv0',
    bytesHex: hex(v0.bytes),
    text: v0.toString(), // base58btc "Qm…", the only text form of a CIDv0
    base32Text: 'b' + base32.baseEncode(v0.bytes), // a multibase CIDv0: the CID spec says refuse it
    refusedPart: 'CIDv0'
  })

  return {
    generatedBy: 'tools/interop/make-fixtures.mjs with multiformats (see tools/interop/package.json)',
    known,
    foreign
  }
}

// ---------------------------------------------------------------------------------- DAG-CBOR

// Typed description of an IPLD value, so Java can build exactly the same value:
//   {null:true} {bool:b} {int:"decimal"} {float:n, bits:"hex of IEEE-754 binary64"} {string:s}
//   {bytes:"hex"} {list:[…]} {map:[[key, value], …]} (keys in the order given to the encoder)
//   {link:"bafy…"}
const V = {
  null: () => ({ null: true }),
  bool: (b) => ({ bool: b }),
  int: (i) => ({ int: BigInt(i).toString() }),
  float: (f) => {
    const view = new DataView(new ArrayBuffer(8))
    view.setFloat64(0, f)
    return { float: f, bits: hex(new Uint8Array(view.buffer)) }
  },
  string: (s) => ({ string: s }),
  bytes: (h) => ({ bytes: h }),
  list: (...items) => ({ list: items }),
  map: (...pairs) => ({ map: pairs }),
  link: (cid) => ({ link: cid.toString() })
}

// JavaScript has one number type, so dagCbor.encode(0.0) writes the integer 0. To encode the IPLD
// float kind for integral values the vectors go through typed-floats.mjs (cborg with dag-cbor's
// own options, floats carried as IpldFloat). For every value plain JS can express, the result is
// checked against dagCbor.encode below.
function toJs (desc, floats) {
  if ('null' in desc) return null
  if ('bool' in desc) return desc.bool
  if ('int' in desc) return BigInt(desc.int)
  if ('float' in desc) {
    const f = new DataView(fromHex(desc.bits).buffer).getFloat64(0)
    return floats === 'typed' ? new IpldFloat(f) : f
  }
  if ('string' in desc) return desc.string
  if ('bytes' in desc) return fromHex(desc.bytes)
  if ('list' in desc) return desc.list.map((d) => toJs(d, floats))
  if ('map' in desc) {
    const obj = {}
    for (const [k, v] of desc.map) obj[k] = toJs(v, floats)
    return obj
  }
  if ('link' in desc) return CID.parse(desc.link)
  throw new Error('unknown description ' + JSON.stringify(desc))
}

const isIntegralFloat = (desc) => 'float' in desc && Number.isInteger(desc.float)
const hasIntegralFloat = (desc) =>
  isIntegralFloat(desc) ||
  ('list' in desc && desc.list.some(hasIntegralFloat)) ||
  ('map' in desc && desc.map.some(([, v]) => hasIntegralFloat(v)))

const floatName = (f) => Object.is(f, -0) ? '-0.0' : Number.isInteger(f) && Math.abs(f) < 1e21 ? f.toFixed(1) : String(f)

async function dagCborVectors () {
  const rawHello = await cidOf(raw.code, utf8('hello world'))
  const emptyMap = await cidOf(dagCbor.code, dagCbor.encode({}))
  const cases = [
    ['null', V.null()],
    ['true', V.bool(true)],
    ['false', V.bool(false)],
    // integers at every width boundary of the CBOR head
    ...[0n, 1n, 23n, 24n, 255n, 256n, 65535n, 65536n, 2n ** 32n - 1n, 2n ** 32n,
      2n ** 53n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n,
      -1n, -24n, -25n, -256n, -257n, -65536n, -65537n, -(2n ** 32n), -(2n ** 32n) - 1n,
      -(2n ** 63n), -(2n ** 63n) - 1n, -(2n ** 64n)].map((i) => [`int ${i}`, V.int(i)]),
    // floats: always 64-bit
    ...[0.0, -0.0, 1.0, 1.5, -1.5, 0.1, 1e300, -1e-300, 5e-324, 2 ** 53, 1.7976931348623157e308]
      .map((f) => [`float ${floatName(f)}`, V.float(f)]),
    ['string empty', V.string('')],
    ['string ascii', V.string('hello')],
    ['string 23 bytes', V.string('a'.repeat(23))],
    ['string 24 bytes', V.string('a'.repeat(24))],
    ['string 256 bytes', V.string('x'.repeat(256))],
    ['string non-ASCII', V.string('é∑😀 ü')],
    ['string with NUL', V.string('a\u0000b')],
    ['bytes empty', V.bytes('')],
    ['bytes', V.bytes('00ff7f80')],
    ['bytes 24', V.bytes('ab'.repeat(24))],
    ['list empty', V.list()],
    ['list mixed', V.list(V.int(1), V.string('two'), V.float(3.5), V.null(), V.bool(true), V.bytes('01'))],
    ['list 24 items', V.list(...Array.from({ length: 24 }, (_, i) => V.int(i)))],
    ['list nested', V.list(V.list(V.list()), V.list(V.int(1), V.list(V.int(2))))],
    ['map empty', V.map()],
    ['map one key', V.map(['a', V.int(1)])],
    // DAG-CBOR orders map keys by encoded length first, then bytewise: "é" is 2 bytes in UTF-8
    ['map key order length-first', V.map(['é', V.int(4)], ['aa', V.int(3)], ['b', V.int(2)], ['a', V.int(1)])],
    ['map key order bytewise', V.map(['ba', V.int(1)], ['ab', V.int(2)], ['aB', V.int(3)], ['Ab', V.int(4)])],
    ['map key order longer keys last', V.map(['zzz', V.int(1)], ['', V.int(0)], ['y', V.int(2)], ['xx', V.int(3)])],
    ['map nested', V.map(['outer', V.map(['inner', V.list(V.map(['k', V.string('v')]))])], ['n', V.null()])],
    ['link raw', V.link(rawHello)],
    ['link dag-cbor', V.link(emptyMap)],
    ['map with links', V.map(['self', V.link(emptyMap)], ['data', V.link(rawHello)], ['list', V.list(V.link(rawHello), V.link(emptyMap))])],
    ['document-like', V.map(
      ['_id', V.string('doc-1')], ['title', V.string('Kiln')], ['count', V.int(42)],
      ['ratio', V.float(0.25)], ['tags', V.list(V.string('a'), V.string('b'))],
      ['deleted', V.bool(false)], ['parent', V.null()], ['blob', V.link(rawHello)])]
  ]

  const vectors = []
  for (const [name, value] of cases) {
    const bytes = encodeTyped(toJs(value, 'typed'))
    if (hex(encodeTyped(decodeTyped(bytes))) !== hex(bytes)) throw new Error(`${name}: typed decode does not re-encode`)
    const entry = { name, value, hex: hex(bytes), cid: (await cidOf(dagCbor.code, bytes)).toString() }
    // The reference decoder must accept every vector, and plain dagCbor.encode must agree with it
    // wherever a JS number can say what the value is.
    const decoded = dagCbor.decode(bytes)
    const plain = hex(dagCbor.encode(toJs(value, 'plain')))
    if (hex(dagCbor.encode(decoded)) !== plain) throw new Error(`${name}: does not re-encode`)
    if (plain !== entry.hex) {
      if (!hasIntegralFloat(value)) throw new Error(`${name}: dagCbor.encode gives ${plain}, not ${entry.hex}`)
      // JS has one number type: dagCbor.encode writes an integral float such as 0.0 as an integer.
      entry.note = `float kind kept by typed encoding; plain JS dagCbor.encode of the number gives ${plain}`
    }
    vectors.push(entry)
  }

  // Bytes a strict DAG-CBOR decoder must refuse, with what the reference decoder does with them.
  const link = hex(emptyMap.bytes)
  const invalid = [
    ['non-minimal int (1 in 1 byte ext)', '1801'],
    ['non-minimal int (255 in 2 bytes)', '1900ff'],
    ['non-minimal int (65535 in 4 bytes)', '1a0000ffff'],
    ['non-minimal int (2^32-1 in 8 bytes)', '1b00000000ffffffff'],
    ['non-minimal negative int', '3800'],
    ['non-minimal string length', '780161'],
    ['non-minimal list length', '980100'],
    ['non-minimal map length', 'b90001616101'],
    ['indefinite-length list', '9f01ff'],
    ['indefinite-length map', 'bf616101ff'],
    ['indefinite-length string', '7f6161ff'],
    ['indefinite-length bytes', '5f4101ff'],
    ['break outside indefinite item', 'ff'],
    ['tag 0 (date string)', 'c074323031332d30332d32315432303a30343a30305a'],
    ['tag 2 (bignum)', 'c249010000000000000000'],
    ['tag 42 over a text string', 'd82a6161'],
    ['tag 42 without the 0x00 prefix', 'd82a5824' + link],
    ['tag 42 with a broken CID', 'd82a4400017112'],
    ['undefined', 'f7'],
    ['simple value 16', 'f0'],
    ['simple value in 1-byte extension', 'f820'],
    ['half float', 'f93c00'],
    ['single float', 'fa3fc00000'],
    ['float64 NaN', 'fb7ff8000000000000'],
    ['float64 +Infinity', 'fb7ff0000000000000'],
    ['float64 -Infinity', 'fbfff0000000000000'],
    ['map keys unsorted (b before a)', 'a2616201616101'],
    ['map keys unsorted (long before short)', 'a262616101616202'],
    ['map duplicate key', 'a2616101616102'],
    ['map integer key', 'a10101'],
    ['map bytes key', 'a1416101'],
    ['invalid UTF-8 (lone continuation byte)', '6180'],
    ['invalid UTF-8 (overlong NUL)', '62c080'],
    ['invalid UTF-8 (encoded surrogate)', '63eda080'],
    ['invalid UTF-8 in a map key', 'a162c32801'],
    ['trailing bytes', 'a000'],
    ['two values', '0101'],
    ['empty input', ''],
    ['truncated int', '1a0001'],
    ['truncated string', '6361'],
    ['truncated list', '8201'],
    ['truncated map value', 'a16161'],
    ['truncated float', 'fb3ff8'],
    ['reserved additional info 28', '1c'],
    ['length beyond the input', '5bffffffffffffffff']
  ]
  const refusals = []
  for (const [name, h] of invalid) {
    const bytes = fromHex(h)
    let js
    try {
      const decoded = dagCbor.decode(bytes)
      js = { rejects: false, decodedAs: describeJs(decoded) }
    } catch (e) {
      js = { rejects: true, error: e.message }
    }
    refusals.push({ name, hex: h, js })
  }

  // Values the encoder must refuse, with what the reference encoder does with them.
  const encodeRefusals = []
  const tryEncode = (name, make) => {
    let js
    try {
      const bytes = dagCbor.encode(make())
      js = { rejects: false, encodedAs: hex(bytes) }
    } catch (e) {
      js = { rejects: true, error: e.message }
    }
    encodeRefusals.push({ name, js })
  }
  tryEncode('NaN', () => NaN)
  tryEncode('+Infinity', () => Infinity)
  tryEncode('-Infinity', () => -Infinity)
  tryEncode('lone surrogate', () => '\ud800')
  tryEncode('integer 2^64', () => 2n ** 64n)
  tryEncode('integer -2^64-1', () => -(2n ** 64n) - 1n)
  tryEncode('non-string map key', () => new Map([[1, 'one']]))

  // JSON documents as a JS application hands them to dag-cbor (JSON.parse, then encode). Only numbers
  // that JSON.parse reads exactly: JS turns 1.0 into the integer 1 and rounds integers past 2^53.
  const jsonTexts = [
    ['empty object', '{}'],
    ['flat document', '{"_id":"doc-1","title":"Kiln","count":42,"ratio":0.25,"done":false,"parent":null}'],
    ['keys in JSON order are sorted', '{"zeta":1,"b":2,"aa":3,"a":4,"é":5,"":6}'],
    ['nested', '{"_id":"n","a":{"b":{"c":[1,[2,[3,{}]],[]]}},"list":[{"x":-1},{"y":-9007199254740991}]}'],
    ['numbers', '{"small":-24,"edge":-25,"big":9007199254740991,"neg":-257,"f":-0.5,"e":1.5e300,"tiny":5e-324}'],
    ['unicode', '{"text":"héllo wörld ∑ 😀","escaped":"line\\nbreak \\u0000 tab\\t","ключ":"значение"}']
  ]
  const jsonDocuments = []
  for (const [name, json] of jsonTexts) {
    const bytes = dagCbor.encode(JSON.parse(json))
    jsonDocuments.push({ name, json, hex: hex(bytes), cid: (await cidOf(dagCbor.code, bytes)).toString() })
  }

  return {
    generatedBy: 'tools/interop/make-fixtures.mjs with @ipld/dag-cbor and cborg (see tools/interop/package.json)',
    valueForm: 'value: {null:true} {bool} {int:"decimal"} {float, bits:"IEEE-754 binary64 hex"} {string} {bytes:"hex"} {list:[…]} {map:[[key, value], …]} {link:"bafy…"}',
    vectors,
    refusals,
    encodeRefusals,
    jsonDocuments
  }
}

function describeJs (v) {
  return JSON.stringify(v, (_, x) => {
    if (typeof x === 'bigint') return x.toString()
    if (x instanceof Uint8Array) return { bytes: hex(x) }
    if (typeof x === 'number' && Object.is(x, -0)) return '-0'
    return x
  })
}

// ----------------------------------------------------------------------------------------- CARs

async function block (value) {
  const bytes = dagCbor.encode(value)
  return { cid: await cidOf(dagCbor.code, bytes), bytes }
}

async function rawBlock (bytes) {
  return { cid: await cidOf(raw.code, bytes), bytes }
}

async function writeCar (file, roots, blocks) {
  const { writer, out } = CarWriter.create(roots)
  const chunks = []
  const collected = (async () => { for await (const c of out) chunks.push(c) })()
  for (const b of blocks) await writer.put(b)
  await writer.close()
  await collected
  const bytes = Buffer.concat(chunks)
  write(`engine/src/test/resources/interop/${file}`, bytes)

  // Where each block sits, as @ipld/car's own indexer reports it.
  const indexer = await CarIndexer.fromBytes(bytes)
  const locations = []
  for await (const i of indexer) locations.push(i)
  return {
    file,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    size: bytes.length,
    roots: roots.map((r) => r.toString()),
    blocks: blocks.map((b, n) => ({
      cid: b.cid.toString(),
      hex: hex(b.bytes),
      sectionOffset: locations[n].offset, // the section's varint length prefix
      sectionLength: locations[n].length,
      blockOffset: locations[n].blockOffset, // the block's bytes, after the CID
      blockLength: locations[n].blockLength
    }))
  }
}

async function cars () {
  const rawData = await rawBlock(utf8('kiln interop: a raw block'))
  const docA = await block({ _id: 'a', n: 1, tags: ['x', 'y'] })
  const docB = await block({ _id: 'b', n: -2, ratio: 0.5, body: 'é😀', bin: fromHex('00ff'), none: null })
  const node = await block({ entries: [['a', docA.cid], ['b', docB.cid]], attachment: rawData.cid, count: 2 })
  const commit = await block({ docs: node.cid, seq: 3, big: 2n ** 64n - 1n, neg: -(2n ** 64n) })

  const files = [
    // a commit-shaped CAR: root first, then the tree below it, one raw block
    await writeCar('js-written.car', [commit.cid], [commit, node, docA, docB, rawData]),
    // the same blocks in the order Kiln's CarWriter uses (roots last): Kiln must write these bytes
    await writeCar('js-roots-last.car', [commit.cid], [node, docA, docB, rawData, commit]),
    // several roots, and a block that no root reaches
    await writeCar('js-multi-root.car', [docA.cid, docB.cid], [docA, docB, rawData]),
    // no roots at all (the JS implementation allows it; the CARv1 spec leaves it open)
    await writeCar('js-empty-roots.car', [], [rawData])
  ]
  return {
    generatedBy: 'tools/interop/make-fixtures.mjs with @ipld/car (see tools/interop/package.json)',
    files
  }
}

writeJson('protocol/src/test/resources/vectors/cid-vectors.json', await cidVectors())
writeJson('engine/src/test/resources/vectors/dag-cbor-vectors.json', await dagCborVectors())
writeJson('engine/src/test/resources/interop/js-cars.json', await cars())
