package dev.kiln.engine.car;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.IpldValues;
import dev.kiln.engine.block.JsonIpld;
import dev.kiln.protocol.Cid;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CAR Kiln writes for tools/interop/verify-kiln-car.mjs to check with the JS reference: every
 * DAG-CBOR vector value and JSON document of the fixtures as a block (so JS decodes each of
 * Kiln's encodings), a few raw blocks, a small commit-shaped tree, and one root linking them all.
 * Deterministic: built only from constants and the committed fixtures, in fixture order.
 */
final class KilnWrittenCar {
  private KilnWrittenCar() {}

  static EncodedCar encode() {
    JsonNode vectors = IpldValues.fixture("/vectors/dag-cbor-vectors.json");
    List<Block> blocks = new ArrayList<>();

    List<Object> vectorLinks = new ArrayList<>();
    for (JsonNode v : vectors.get("vectors")) {
      Block block = Block.encode(IpldValues.fromDescription(v.get("value")));
      blocks.add(block);
      vectorLinks.add(block.cid());
    }
    List<Object> documentLinks = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (JsonNode d : vectors.get("jsonDocuments")) {
      Block block;
      try {
        block = Block.encode(JsonIpld.toIpld(json.readTree(d.get("json").asText())));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      blocks.add(block);
      documentLinks.add(block.cid());
    }
    List<Object> rawLinks = new ArrayList<>();
    byte[] allBytes = new byte[256];
    for (int i = 0; i < allBytes.length; i++) {
      allBytes[i] = (byte) i;
    }
    for (byte[] content : List.of(new byte[0], "hello world".getBytes(StandardCharsets.US_ASCII), allBytes)) {
      Block block = Block.raw(content);
      blocks.add(block);
      rawLinks.add(block.cid());
    }
    CommitTree tree = CommitTree.build();
    blocks.addAll(tree.blocks());

    Map<String, Object> root = new LinkedHashMap<>();
    root.put("kind", "kiln interop fixture");
    root.put("vectors", vectorLinks);
    root.put("documents", documentLinks);
    root.put("raw", rawLinks);
    root.put("commit", tree.commit().cid());
    Block rootBlock = Block.encode(root);
    blocks.add(rootBlock);
    return CarWriter.encode(List.of(rootBlock.cid()), blocks);
  }

  /**
   * The tree of js-written.car, built here from Java values: two documents, a node linking them
   * and a raw attachment, and a commit block naming the node, with integers at the 64-bit edges.
   */
  record CommitTree(Block docA, Block docB, Block attachment, Block node, Block commit) {
    static CommitTree build() {
      Block attachment = Block.raw("kiln interop: a raw block".getBytes(StandardCharsets.UTF_8));
      Map<String, Object> a = new LinkedHashMap<>();
      a.put("_id", "a");
      a.put("n", 1L);
      a.put("tags", List.of("x", "y"));
      Map<String, Object> b = new LinkedHashMap<>();
      b.put("_id", "b");
      b.put("n", -2L);
      b.put("ratio", 0.5);
      b.put("body", "é😀");
      b.put("bin", new byte[] {0x00, (byte) 0xff});
      b.put("none", null);
      Block docA = Block.encode(a);
      Block docB = Block.encode(b);
      Block node = Block.encode(Map.of(
          "entries", List.of(List.of("a", docA.cid()), List.of("b", docB.cid())),
          "attachment", attachment.cid(),
          "count", 2L));
      BigInteger twoTo64 = BigInteger.ONE.shiftLeft(64);
      Block commit = Block.encode(Map.of(
          "docs", node.cid(),
          "seq", 3L,
          "big", twoTo64.subtract(BigInteger.ONE),
          "neg", twoTo64.negate()));
      return new CommitTree(docA, docB, attachment, node, commit);
    }

    /** In the order js-written.car holds them: the commit (its root) first. */
    List<Block> blocks() {
      return List.of(commit, node, docA, docB, attachment);
    }

    List<Cid> cids() {
      return blocks().stream().map(Block::cid).toList();
    }
  }
}
