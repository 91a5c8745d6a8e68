package dev.kiln.engine.block;

import dev.kiln.protocol.Cid;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.Predicate;

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

  /** Blocks a {@link #walk} reads with one {@link BlockSource#getAll}. */
  static final int WALK_BATCH = 256;

  /**
   * Every block reachable from {@code root}, each once, without descending into a block for which
   * {@code stopAt} is true (that block is neither read nor listed). Lazy: blocks are read as the
   * iterator is consumed, {@value #WALK_BATCH} at a time from a stack of CIDs still to read, so
   * at any moment the walk holds one batch of blocks and the CIDs it has met ({@code seen}, the
   * caller's, which ends up holding every CID met, stopped ones included), never the graph's
   * bytes. Parents come before their children; the order among siblings is not promised.
   */
  public static Iterable<Block> walk(BlockSource source, Cid root, Predicate<Cid> stopAt, CidSet seen) {
    return () -> new Iterator<>() {
      private final ArrayDeque<Cid> todo = new ArrayDeque<>();
      private final ArrayDeque<Block> ready = new ArrayDeque<>();

      {
        if (seen.add(root) && !stopAt.test(root)) {
          todo.push(root);
        }
      }

      @Override
      public boolean hasNext() {
        if (ready.isEmpty() && !todo.isEmpty()) {
          List<Cid> batch = new ArrayList<>(Math.min(WALK_BATCH, todo.size()));
          while (batch.size() < WALK_BATCH && !todo.isEmpty()) {
            batch.add(todo.pop());
          }
          List<Cid> links = new ArrayList<>();
          for (Block block : source.getAll(batch)) {
            ready.add(block);
            if (mayHaveLinks(block)) {
              links.clear();
              collectLinks(block.decode(), links);
              for (Cid link : links) {
                if (seen.add(link) && !stopAt.test(link)) {
                  todo.push(link);
                }
              }
            }
          }
        }
        return !ready.isEmpty();
      }

      @Override
      public Block next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return ready.poll();
      }
    };
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
