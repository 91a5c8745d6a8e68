package dev.kiln.engine.car;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.engine.block.Block;
import dev.kiln.protocol.Cid;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * {@link SpanPlanner}, the grouping of nearby blocks into one read that the file and PostgreSQL
 * stores share. Its plan puts every block in exactly one span, in offset order, keeps the blocks of
 * a span within the gap of each other and the span within its maximum (unless one block is longer),
 * and starts a new span only where one of those would break. Reading along it returns the blocks
 * one-by-one reads return, also when the CAR ends inside a span. jqwik prints the seed of a failing
 * try.
 */
class SpanPlannerPropertiesTest {

  @Property(tries = 300)
  void everyBlockIsInOneSpanAndSpansBreakOnlyWhereTheyMust(@ForAll @IntRange(min = 0, max = 200) int count,
      @ForAll @LongRange(min = 0, max = 300) long gap, @ForAll @LongRange(min = 1, max = 3000) long max,
      @ForAll long seed) {
    List<BlockLocation> at = locations(new Random(seed), count);
    List<SpanPlanner.Span> spans = SpanPlanner.plan(at, gap, max);
    int[] seen = new int[count];
    long previousOffset = Long.MIN_VALUE;
    SpanPlanner.Span previous = null;
    for (SpanPlanner.Span span : spans) {
      assertThat(span.blocks()).isNotEmpty();
      long end = at.get(span.blocks()[0]).offset();
      for (int i : span.blocks()) {
        seen[i]++;
        BlockLocation loc = at.get(i);
        assertThat(loc.offset()).as("offset order").isGreaterThanOrEqualTo(previousOffset);
        assertThat(loc.offset() - end).as("gap inside a span").isLessThanOrEqualTo(gap);
        assertThat(loc.offset()).isGreaterThanOrEqualTo(span.start());
        assertThat(loc.offset() + loc.length()).isLessThanOrEqualTo(span.end());
        previousOffset = loc.offset();
        end = Math.max(end, loc.offset() + loc.length());
      }
      assertThat(span.start()).isEqualTo(at.get(span.blocks()[0]).offset());
      assertThat(span.end()).isEqualTo(end);
      if (span.blocks().length > 1) {
        assertThat(span.end() - span.start()).as("span length").isLessThanOrEqualTo(max);
      }
      if (previous != null) {
        BlockLocation first = at.get(span.blocks()[0]);
        boolean farApart = first.offset() - previous.end() > gap;
        boolean tooLong = Math.max(previous.end(), first.offset() + first.length()) - previous.start() > max;
        assertThat(farApart || tooLong).as("a new span starts only where the last could not grow").isTrue();
      }
      previous = span;
    }
    if (count == 0) {
      assertThat(spans).isEmpty();
    } else {
      assertThat(seen).as("every block in exactly one span").containsOnly(1);
    }
  }

  @Property(tries = 100)
  void readingAlongThePlanEqualsReadingOneByOne(@ForAll @IntRange(min = 1, max = 120) int count,
      @ForAll boolean truncated, @ForAll long seed) {
    Random random = new Random(seed);
    // A CAR's bytes: blocks at random places among filler, some far apart, some overlapping none.
    List<Cid> cids = new ArrayList<>();
    List<BlockLocation> at = new ArrayList<>();
    byte[] file = new byte[(count + 1) * 40_000];
    random.nextBytes(file);
    long offset = 0;
    for (int i = 0; i < count; i++) {
      offset += random.nextInt(4) == 0 ? random.nextInt(40_000) : random.nextInt(20);
      int length = 1 + random.nextInt(300);
      if (offset + length > file.length) {
        break;
      }
      byte[] content = Arrays.copyOfRange(file, (int) offset, (int) offset + length);
      cids.add(Cid.raw(content));
      at.add(new BlockLocation(offset, length));
      offset += length;
    }
    long size = truncated ? offset - 1 : offset; // the last block runs past the end of a truncated CAR
    List<Cid> asked = new ArrayList<>(cids);
    List<BlockLocation> askedAt = new ArrayList<>(at);
    long shuffle = random.nextLong();
    Collections.shuffle(asked, new Random(shuffle));
    Collections.shuffle(askedAt, new Random(shuffle));
    int[] rangeReads = {0};
    SpanPlanner.RangeRead range = (from, length, first) -> {
      rangeReads[0]++;
      if (from + length > size) {
        throw new CarFormatException("test", from, first, "past the end");
      }
      return Arrays.copyOfRange(file, (int) from, (int) from + length);
    };
    SpanPlanner.BlockRead one = (block, loc) -> {
      if (loc.offset() + loc.length() > size) {
        throw new CarFormatException("test", loc.offset(), block, "past the end");
      }
      return Block.verified(block, Arrays.copyOfRange(file, (int) loc.offset(), (int) loc.offset() + loc.length()),
          "test");
    };
    if (truncated) {
      assertThatThrownBy(() -> SpanPlanner.readMany(asked, askedAt, range, one, "test"))
          .isInstanceOf(CarFormatException.class).hasMessageContaining(cids.get(cids.size() - 1).toString());
      return;
    }
    List<Block> read = SpanPlanner.readMany(asked, askedAt, range, one, "test");
    for (int i = 0; i < asked.size(); i++) {
      assertThat(read.get(i).cid()).isEqualTo(asked.get(i));
      assertThat(read.get(i).bytes()).isEqualTo(one.read(asked.get(i), askedAt.get(i)).bytes());
    }
    assertThat(rangeReads[0]).as("nearby blocks share reads")
        .isEqualTo(SpanPlanner.plan(askedAt, SpanPlanner.GAP, SpanPlanner.MAX).stream()
            .filter(s -> s.blocks().length > 1).count());
  }

  private static List<BlockLocation> locations(Random random, int count) {
    List<BlockLocation> at = new ArrayList<>();
    long offset = 0;
    for (int i = 0; i < count; i++) {
      offset += random.nextInt(3) == 0 ? random.nextInt(600) : random.nextInt(40);
      int length = 1 + random.nextInt(random.nextInt(20) == 0 ? 5000 : 200);
      at.add(new BlockLocation(offset, length));
      offset += length;
    }
    Collections.shuffle(at, random);
    return at;
  }
}
