package dev.kiln.engine.tree;

import dev.kiln.engine.block.CorruptBlockException;
import dev.kiln.protocol.Cid;

/**
 * A block reached as a tree node is not one: it is not DAG-CBOR, does not have the node shape, has
 * keys out of order, or does not fit where its parent put it (wrong level, wrong first key). The
 * message names the CID and where it was reached from. A root CID that names some other kind of
 * block (a document, a commit) gives this too.
 */
public final class CorruptTreeException extends CorruptBlockException {
  private static final long serialVersionUID = 1L;

  public CorruptTreeException(Cid cid, String message) {
    super(cid, message, null);
  }

  public CorruptTreeException(Cid cid, String message, Throwable cause) {
    super(cid, message, cause);
  }
}
