package dev.kiln.engine.block;

import dev.kiln.protocol.Cid;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The graph that links make of blocks: what a block links to, and every block reachable from a
 * root. Pure functions over a {@link BlockSource}; the compactor, its tests and the benchmarks use
 * them. They follow every link without knowing the blocks' shapes, so a compaction keeps whatever
 * a later format links in (invariant 6).
 */
public final class BlockGraph {
  private BlockGraph() {}

  /**
   * Every block reachable from {@code root} by following links, each once, in depth-first order
   * from the root (a block's links pushed on a stack when first seen). It reads level by level,
   * so each level's blocks are read together ({@link BlockSource#getAll}), then lists them in
   * that order from the links it noted.
   */
  public static List<Block> reachable(BlockSource source, Cid root) {
    Map<Cid, Block> blocks = new HashMap<>();
    Map<Cid, List<Cid>> linksOf = new HashMap<>();
    Set<Cid> seen = new HashSet<>();
    seen.add(root);
    List<Cid> level = List.of(root);
    while (!level.isEmpty()) {
      List<Cid> next = new ArrayList<>();
      for (Block block : source.getAll(level)) {
        blocks.put(block.cid(), block);
        if (mayHaveLinks(block)) {
          List<Cid> links = new ArrayList<>();
          collectLinks(block.decode(), links);
          linksOf.put(block.cid(), links);
          for (Cid link : links) {
            if (seen.add(link)) {
              next.add(link);
            }
          }
        }
      }
      level = next;
    }
    List<Block> out = new ArrayList<>(blocks.size());
    Set<Cid> pushed = new HashSet<>();
    ArrayDeque<Cid> todo = new ArrayDeque<>();
    todo.push(root);
    pushed.add(root);
    while (!todo.isEmpty()) {
      Cid cid = todo.pop();
      out.add(blocks.get(cid));
      for (Cid link : linksOf.getOrDefault(cid, List.of())) {
        if (pushed.add(link)) {
          todo.push(link);
        }
      }
    }
    return out;
  }

  /**
   * False only for a block that cannot link: a raw block, or a dag-cbor block without the bytes
   * 0xD8 0x2A, which start every DAG-CBOR link (tag 42). Most blocks of a database are documents
   * without links, so this skips decoding them. A pair that happens to sit inside a string or
   * number only costs a decode.
   */
  public static boolean mayHaveLinks(Block block) {
    if (block.cid().codec() != Cid.DAG_CBOR) {
      return false;
    }
    byte[] bytes = block.bytes();
    for (int i = 0, end = bytes.length - 1; i < end; i++) {
      if (bytes[i] == (byte) 0xD8 && bytes[i + 1] == 0x2A) {
        return true;
      }
    }
    return false;
  }

  /** The links in {@code value}, in the order they appear (lists in order, maps by value order). */
  public static void collectLinks(Object value, List<Cid> into) {
    if (value instanceof Cid cid) {
      into.add(cid);
    } else if (value instanceof List<?> list) {
      for (Object item : list) {
        collectLinks(item, into);
      }
    } else if (value instanceof Map<?, ?> map) {
      for (Object item : map.values()) {
        collectLinks(item, into);
      }
    }
  }
}
