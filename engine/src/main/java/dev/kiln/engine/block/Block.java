package dev.kiln.engine.block;

import dev.kiln.protocol.Cid;
import java.util.Arrays;

/**
 * Immutable bytes and the CID that addresses them. A block read from storage is made with
 * {@link #verified}, which checks the bytes against the CID, so a corrupt block never passes as a
 * good one.
 */
public final class Block {
  private final Cid cid;
  private final byte[] bytes;

  private Block(Cid cid, byte[] bytes) {
    this.cid = cid;
    this.bytes = bytes;
  }

  /** Encodes an IPLD data model value as DAG-CBOR and addresses it. */
  public static Block encode(Object value) {
    byte[] bytes = DagCbor.encode(value);
    return new Block(Cid.dagCbor(bytes), bytes);
  }

  /** A raw-codec block over the given bytes. */
  public static Block raw(byte[] bytes) {
    byte[] copy = bytes.clone();
    return new Block(Cid.raw(copy), copy);
  }

  /**
   * A block from storage: the bytes must hash to the CID.
   *
   * @param where names the place the bytes came from (a file and offset), for the error
   * @throws CorruptBlockException if they do not
   */
  public static Block verified(Cid cid, byte[] bytes, String where) {
    if (!cid.matches(bytes)) {
      throw new CorruptBlockException(cid, where);
    }
    return new Block(cid, bytes);
  }

  public Cid cid() {
    return cid;
  }

  /** The stored bytes; callers must not change them. */
  public byte[] bytes() {
    return bytes;
  }

  public int size() {
    return bytes.length;
  }

  /**
   * The IPLD value in this block: decoded DAG-CBOR, or the bytes themselves for raw blocks.
   *
   * @throws DagCborException if a dag-cbor block's bytes are not valid DAG-CBOR; the message names
   *     this block's CID and the offset within the block
   */
  public Object decode() {
    if (cid.codec() != Cid.DAG_CBOR) {
      return bytes.clone();
    }
    try {
      return DagCbor.decode(bytes);
    } catch (DagCborException e) {
      throw new DagCborException("block " + cid + ": " + e.getMessage(), e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Block b && cid.equals(b.cid) && Arrays.equals(bytes, b.bytes);
  }

  @Override
  public int hashCode() {
    return cid.hashCode();
  }

  @Override
  public String toString() {
    return "Block[" + cid + ", " + bytes.length + " bytes]";
  }
}
