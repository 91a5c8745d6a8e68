// DAG-CBOR with the IPLD float kind kept, on the reference implementation's own pieces.
//
// JavaScript has one number type, so @ipld/dag-cbor decodes the float 0xfb 0000000000000000 to 0
// and encodes 0 as the integer 0x00: a block holding an integral float (0.0, -0.0, 1.0) does not
// re-encode to its own bytes in JS. Kiln, like every language with a float type, keeps the kind.
// These helpers let the scripts decode and encode such blocks exactly, using cborg (the CBOR layer
// @ipld/dag-cbor is built on) with dag-cbor's own decode and encode options; the only change is that
// a float is carried as an IpldFloat instead of a bare number.

import * as cborg from 'cborg'
import * as dagCbor from '@ipld/dag-cbor'

export class IpldFloat {
  constructor (value) { this.value = value }
}

const encodeOptions = {
  ...dagCbor.encodeOptions,
  typeEncoders: {
    ...dagCbor.encodeOptions.typeEncoders,
    // dag-cbor's encodeOptions use float64: true, so a float token is always 0xfb + 8 bytes
    Object: (obj, ...rest) => obj instanceof IpldFloat
      ? [new cborg.Token(cborg.Type.float, obj.value)]
      : dagCbor.encodeOptions.typeEncoders.Object(obj, ...rest)
  }
}

/** Encodes like dagCbor.encode, writing every IpldFloat as a 64-bit float. */
export function encodeTyped (value) {
  return cborg.encode(value, encodeOptions)
}

/** A tokenizer that hands every float on as an IpldFloat; everything else as cborg reads it. */
class FloatKeepingTokenizer {
  constructor (data, options) {
    this.inner = new cborg.Tokenizer(data, options)
  }

  pos () { return this.inner.pos() }
  done () { return this.inner.done() }

  next () {
    const token = this.inner.next()
    // major type 7 holds true/false/null/undefined as well; only numbers are floats
    if (cborg.Type.equals(token.type, cborg.Type.float) && typeof token.value === 'number') {
      return new cborg.Token(cborg.Type.float, new IpldFloat(token.value), token.encodedLength)
    }
    return token
  }
}

/** Decodes like dagCbor.decode (same strictness), keeping floats as IpldFloat. */
export function decodeTyped (bytes) {
  const options = { ...dagCbor.decodeOptions }
  options.tokenizer = new FloatKeepingTokenizer(bytes, options)
  return cborg.decode(bytes, options)
}
