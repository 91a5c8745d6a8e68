package dev.kiln.engine.car;

import dev.kiln.engine.block.Block;
import dev.kiln.protocol.Cid;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * How a store's {@code readMany} reads many blocks of one CAR: sorted by offset, blocks that lie
 * close together are read with one read (a span), since a compaction reads most blocks of a CAR and
 * one read per block costs more than the gaps. {@link #plan} is pure; {@link #readMany} runs a plan
 * with the store's own reads and verifies every block against its CID as a single read does.
 */
final class SpanPlanner {
  /** Two blocks share a read when at most this many bytes lie between them... */
  static final long GAP = 16 * 1024;
  /** ...and each read stays at most this long, so a batch never needs one huge buffer. */
  static final long MAX = 1024 * 1024;

  private SpanPlanner() {}

  /**
   * One read: bytes {@code start} (inclusive) to {@code end} (exclusive) holding the blocks
   * {@code blocks} (indexes into the caller's list, in offset order).
   */
  record Span(long start, long end, int[] blocks) {}

  /** The store's read of a byte range; throws {@link CarFormatException} when the CAR ends inside it. */
  interface RangeRead {
    byte[] read(long offset, int length, Cid firstBlock);
  }

  /** The store's read of one block, verified. */
  interface BlockRead {
    Block read(Cid block, BlockLocation at);
  }

  /**
   * The spans covering {@code at}, in offset order. A block starts a new span when more than
   * {@code gap} bytes lie between it and the span so far, or when the span would grow past
   * {@code max} bytes (a single block longer than that is a span of its own).
   */
  static List<Span> plan(List<BlockLocation> at, long gap, long max) {
    Integer[] order = new Integer[at.size()];
    Arrays.setAll(order, i -> i);
    Arrays.sort(order, Comparator.comparingLong(i -> at.get(i).offset()));
    List<Span> spans = new ArrayList<>();
    for (int first = 0, last; first < order.length; first = last + 1) {
      long start = at.get(order[first]).offset();
      long end = start + at.get(order[first]).length();
      last = first;
      while (last + 1 < order.length) {
        BlockLocation next = at.get(order[last + 1]);
        long nextEnd = Math.max(end, next.offset() + next.length());
        if (next.offset() - end > gap || nextEnd - start > max) {
          break;
        }
        end = nextEnd;
        last++;
      }
      int[] members = new int[last - first + 1];
      for (int k = first; k <= last; k++) {
        members[k - first] = order[k];
      }
      spans.add(new Span(start, end, members));
    }
    return spans;
  }

  /**
   * Reads {@code blocks} at {@code at} along {@link #plan}'s spans, in the order asked. A span of one
   * block, or one the CAR ends inside, is read block by block, so an error names the block that runs
   * past the end. {@code where} names the CAR in a verification error.
   */
  static List<Block> readMany(List<Cid> blocks, List<BlockLocation> at, RangeRead range, BlockRead one,
      String where) {
    if (blocks.size() != at.size()) {
      throw new IllegalArgumentException(blocks.size() + " blocks but " + at.size() + " locations");
    }
    Block[] out = new Block[blocks.size()];
    for (Span span : plan(at, GAP, MAX)) {
      byte[] bytes = null;
      if (span.blocks().length > 1) {
        try {
          bytes = range.read(span.start(), (int) (span.end() - span.start()), blocks.get(span.blocks()[0]));
        } catch (CarFormatException e) {
          // the CAR ends inside the span: read one by one below
        }
      }
      for (int i : span.blocks()) {
        BlockLocation loc = at.get(i);
        if (bytes == null) {
          out[i] = one.read(blocks.get(i), loc);
        } else {
          int from = (int) (loc.offset() - span.start());
          out[i] = Block.verified(blocks.get(i), Arrays.copyOfRange(bytes, from, from + loc.length()),
              where + ", block bytes at offset " + loc.offset());
        }
      }
    }
    return Arrays.asList(out);
  }
}
