package dev.kiln.bench.workload;

import dev.kiln.engine.block.BlockGraph;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.kiln.engine.actor.CompactorActor;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.FileCarStore;
import dev.kiln.engine.snapshot.CarLogBlocks;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.protocol.Cid;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a compaction's time goes, done by hand on a database's CAR files with the engine's own
 * parts: the walk the CompactorActor does (block lookups across the CarLog, reads with CID checks,
 * decoding for links) and the write of the compacted CAR, each timed alone. What the compaction
 * takes beyond their sum is the actors and the journal.
 */
final class CompactionBreakdown {
  /** Milliseconds of each step, best of {@code runs} (so the JIT is warm and noise is least). */
  record Steps(double walk, double reads, double decode, double write, int blocks, int cars) {
    /** What the walk spends beyond reading and decoding: finding blocks in the CarLog, bookkeeping. */
    double lookups() {
      return walk - reads - decode;
    }
  }

  private CompactionBreakdown() {}

  /**
   * @param cars the database's CAR directory, not compacted yet (its files are the CarLog; newest
   *     first is taken from their modification times)
   * @param head the database's newest commit
   * @param scratch where the compacted CAR is written (then removed)
   */
  static Steps measure(Path cars, Cid head, Path scratch, int runs) {
    try (FileCarStore store = new FileCarStore(cars, true);
        FileCarStore out = new FileCarStore(scratch, true)) {
      List<Cid> log = new ArrayList<>(store.list());
      log.sort(Comparator.comparing((Cid c) -> modified(store.pathOf(c))).reversed());
      List<CarIndex> indexes = new ArrayList<>();
      for (Cid c : log) {
        indexes.add(store.open(c));
      }
      Snapshot snap = new Snapshot(0, indexes, head, null);
      double walk = Double.MAX_VALUE;
      double reads = Double.MAX_VALUE;
      double decode = Double.MAX_VALUE;
      double write = Double.MAX_VALUE;
      List<Block> blocks = List.of();
      for (int r = 0; r < runs; r++) {
        var cache = Caffeine.newBuilder().maximumSize(1).<Cid, Block>build();
        long t0 = System.nanoTime();
        blocks = BlockGraph.reachable(new CarLogBlocks(store, snap, cache, false), head);
        walk = Math.min(walk, ms(t0));

        // The walk's reads and decoding, each alone over the same blocks (where each block is
        // comes from the CARs' indexes, looked up before the clock starts).
        List<CarIndex> where = new ArrayList<>(blocks.size());
        List<dev.kiln.engine.car.BlockLocation> at = new ArrayList<>(blocks.size());
        for (Block b : blocks) {
          for (CarIndex c : indexes) {
            var loc = c.find(b.cid());
            if (loc != null) {
              where.add(c);
              at.add(loc);
              break;
            }
          }
        }
        // As the walk reads: one readMany per CAR (the walk makes one per CAR per tree level).
        Map<CarIndex, List<Integer>> byCar = new LinkedHashMap<>();
        for (int i = 0; i < blocks.size(); i++) {
          byCar.computeIfAbsent(where.get(i), c -> new ArrayList<>()).add(i);
        }
        t0 = System.nanoTime();
        for (Map.Entry<CarIndex, List<Integer>> e : byCar.entrySet()) {
          List<Cid> cids = new ArrayList<>(e.getValue().size());
          List<dev.kiln.engine.car.BlockLocation> locs = new ArrayList<>(e.getValue().size());
          for (int i : e.getValue()) {
            cids.add(blocks.get(i).cid());
            locs.add(at.get(i));
          }
          store.readMany(e.getKey().car(), cids, locs);
        }
        reads = Math.min(reads, ms(t0));
        t0 = System.nanoTime();
        for (Block b : blocks) {
          if (BlockGraph.mayHaveLinks(b)) {
            b.decode();
          }
        }
        decode = Math.min(decode, ms(t0));

        t0 = System.nanoTime();
        CarIndex written = out.write(List.of(head), blocks);
        write = Math.min(write, ms(t0));
        out.delete(written.car());
      }
      return new Steps(walk, reads, decode, write, blocks.size(), indexes.size());
    }
  }

  private static double ms(long t0) {
    return (System.nanoTime() - t0) / 1e6;
  }

  private static long modified(Path p) {
    try {
      return Files.getLastModifiedTime(p).toMillis();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
