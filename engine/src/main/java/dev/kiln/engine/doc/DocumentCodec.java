package dev.kiln.engine.doc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.DagCborException;
import dev.kiln.engine.block.JsonIpld;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How documents become blocks. A live document's block is the JSON object itself (with its
 * {@code _id}) as DAG-CBOR; a deleted one's is the tombstone {@code {"_id": id, "_deleted": true}}.
 * Top-level fields starting with {@code _} other than {@code _id} are reserved, as in CouchDB, so a
 * document can never be mistaken for a tombstone.
 */
public final class DocumentCodec {
  public static final String ID = "_id";
  public static final String DELETED = "_deleted";

  private DocumentCodec() {}

  /** A validated document ready to store: its id (generated when missing) and its block. */
  public record Prepared(String id, ObjectNode doc, Block block) {}

  /**
   * Checks and encodes a document; never changes {@code doc}.
   *
   * @throws KilnException INVALID_DOCUMENT, INVALID_ID or DOCUMENT_TOO_LARGE, saying what was wrong
   */
  public static Prepared prepare(JsonNode doc, int maxDocBytes) {
    if (doc == null || !doc.isObject()) {
      throw new KilnException(ErrorCode.INVALID_DOCUMENT, "a document must be a JSON object, got "
          + (doc == null ? "nothing" : doc.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
    }
    ObjectNode copy = ((ObjectNode) doc).deepCopy();
    JsonNode idNode = copy.get(ID);
    String id;
    if (idNode == null || idNode.isNull()) {
      id = DocumentIds.generate();
    } else if (!idNode.isTextual()) {
      throw new KilnException(ErrorCode.INVALID_ID, "_id must be a string, got "
          + idNode.getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
    } else {
      id = DocumentIds.validate(idNode.textValue());
    }
    Iterator<String> names = copy.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (name.startsWith("_") && !name.equals(ID)) {
        throw new KilnException(ErrorCode.INVALID_DOCUMENT,
            "top-level field '" + name + "' is reserved: names starting with '_' other than _id are not allowed");
      }
    }
    copy.put(ID, id);
    Block block;
    try {
      block = Block.encode(JsonIpld.toIpld(copy));
    } catch (DagCborException e) {
      throw new KilnException(ErrorCode.INVALID_DOCUMENT, "document " + id + " cannot be stored: " + e.getMessage(), e);
    }
    if (block.size() > maxDocBytes) {
      throw new KilnException(ErrorCode.DOCUMENT_TOO_LARGE, "document " + id + " is " + block.size()
          + " bytes as DAG-CBOR, over the limit kiln.max-doc-bytes = " + maxDocBytes);
    }
    return new Prepared(id, copy, block);
  }

  /** The tombstone block of a deleted document. */
  public static Block tombstone(String id) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(ID, id);
    m.put(DELETED, Boolean.TRUE);
    return Block.encode(m);
  }

  /** True when {@code block} is the tombstone of {@code id}; compares CIDs, reads nothing. */
  public static boolean isTombstone(String id, dev.kiln.protocol.Cid block) {
    return tombstone(id).cid().equals(block);
  }

  /** The JSON document in a block, or null for a tombstone. */
  public static ObjectNode toJson(Block block) {
    JsonNode node = JsonIpld.toJson(block.decode());
    if (!node.isObject()) {
      throw new dev.kiln.engine.block.CorruptBlockException(block.cid(),
          "block " + block.cid() + " is not a document", null);
    }
    if (node.path(DELETED).asBoolean(false)) {
      return null;
    }
    return (ObjectNode) node;
  }
}
