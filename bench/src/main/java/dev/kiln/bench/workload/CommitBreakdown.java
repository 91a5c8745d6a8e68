package dev.kiln.bench.workload;

import static dev.kiln.bench.workload.Workloads.join;

import dev.kiln.engine.api.Database;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.FileCarStore;
import dev.kiln.engine.commit.CommitRoots;
import dev.kiln.engine.commit.IndexRoot;
import dev.kiln.protocol.Cid;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Where the bytes of a one-document commit go (issue 12, "Smaller commits"). For each size: a
 * database bulk loaded and compacted (auto-compaction off), then single-document puts (updates of
 * random documents), each commit's new CAR taken apart: per tree the nodes it rewrote (by level)
 * and their bytes, the document and commit blocks, and the CAR framing. Also the bytes the
 * process wrote per put ({@code /proc/self/io}) beside the CAR's own size.
 *
 * <pre>
 * CommitBreakdown [--tmp DIR] [--puts N] [--index] size…      default sizes 10000 100000
 * </pre>
 * {@code --index} defines a field index on {@code n} first, so its two trees show too.
 */
public final class CommitBreakdown {
  private CommitBreakdown() {}

  public static void main(String[] args) {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    int puts = 50;
    boolean index = false;
    List<Integer> sizes = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--tmp" -> tmp = Path.of(args[++i]);
        case "--puts" -> puts = Integer.parseInt(args[++i]);
        case "--index" -> index = true;
        default -> sizes.add(Integer.parseInt(args[i]));
      }
    }
    if (sizes.isEmpty()) {
      sizes = List.of(10_000, 100_000);
    }
    for (int docs : sizes) {
      System.out.println(run(tmp, docs, puts, index));
    }
    System.exit(0);
  }

  /** Totals over the puts, per part of the commit. */
  private static final class Part {
    long blocks;
    long bytes;
    final Map<Integer, Long> nodesByLevel = new HashMap<>();
  }

  static String run(Path tmp, int docs, int puts, boolean withIndex) {
    String w = "commit-breakdown@" + docs;
    try (Fixture f = new Fixture(w, tmp, Map.of("kiln.auto-compact", 0))) {
      Database db = f.db();
      Workloads.writeInBulks(w, db, docs, Math.min(10_000, docs));
      if (withIndex) {
        join(db.defineIndex("n"));
      }
      join(db.compact());
      Path cars = f.dir.resolve(Fixture.DB).resolve("cars");
      Map<String, Part> parts = new LinkedHashMap<>();
      long carBytes = 0;
      Random rnd = new Random(3);
      ProcIo io0 = ProcIo.now();
      long perPutWrites = 0;
      try (FileCarStore store = new FileCarStore(cars, false);
          Progress p = Progress.start(w, "single-document puts, each commit taken apart", puts)) {
        Set<Cid> before = new HashSet<>(store.list());
        for (int i = 0; i < puts; i++) {
          ProcIo a = ProcIo.now();
          join(db.put(Docs.doc(rnd.nextInt(docs), 1 + i)));
          perPutWrites += ProcIo.now().since(a).writeBytes();
          List<Cid> now = store.list();
          Cid fresh = null;
          for (Cid car : now) {
            if (!before.contains(car)) {
              fresh = car;
            }
          }
          before = new HashSet<>(now);
          if (fresh == null) {
            throw new IllegalStateException("no new CAR after a put");
          }
          Cid car = fresh;
          CarIndex index = store.check(car);
          carBytes += index.byteSize();
          Map<Cid, Block> blocks = new HashMap<>();
          index.forEachBlock((cid, at) -> blocks.put(cid, store.read(car, cid, at)));
          Block commit = blocks.remove(index.roots().get(0));
          add(parts, "commit block", commit, -1);
          CommitRoots roots = CommitRoots.fromBlock(commit);
          walk(parts, "id tree (id -> [doc, seq, del?])", roots.docs(), blocks);
          walk(parts, "bySeq tree (sequence -> id)", roots.bySeq(), blocks);
          for (Map.Entry<String, IndexRoot> e : roots.indexes().entrySet()) {
            walk(parts, "index " + e.getKey() + " entries tree", e.getValue().entries(), blocks);
            walk(parts, "index " + e.getKey() + " back tree", e.getValue().back(), blocks);
          }
          for (Block rest : blocks.values()) {
            add(parts, "document blocks", rest, -1);
          }
          p.add(1);
        }
      }
      long journalEtc = ProcIo.now().since(io0).writeBytes();
      StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
          "commit-breakdown docs=%d puts=%d index=%s | CAR per commit: %.0f B (framing and header %.0f B) | write_bytes per put: %.0f B (all files, auto-compaction off)",
          docs, puts, withIndex, (double) carBytes / puts, (double) (carBytes - parts.values().stream().mapToLong(x -> x.bytes).sum()) / puts,
          (double) perPutWrites / puts));
      for (Map.Entry<String, Part> e : parts.entrySet()) {
        Part part = e.getValue();
        out.append(String.format(Locale.ROOT, "%n  %-34s %6.1f blocks %8.0f B", e.getKey(),
            (double) part.blocks / puts, (double) part.bytes / puts));
        if (!part.nodesByLevel.isEmpty()) {
          out.append("  nodes by level:");
          part.nodesByLevel.entrySet().stream().sorted(Map.Entry.comparingByKey())
              .forEach(l -> out.append(String.format(Locale.ROOT, " L%d=%.1f", l.getKey(), (double) l.getValue() / puts)));
          out.append(String.format(Locale.ROOT, "  (%.0f B a node)", (double) part.bytes / part.blocks));
        }
      }
      if (journalEtc < 0) {
        out.append("\n  (no /proc/self/io here)");
      }
      return out.toString();
    }
  }

  /** Counts the tree's nodes that this commit wrote: those in its CAR, from the root down. */
  private static void walk(Map<String, Part> parts, String name, Cid root, Map<Cid, Block> fresh) {
    List<Cid> level = List.of(root);
    while (!level.isEmpty()) {
      List<Cid> next = new ArrayList<>();
      for (Cid cid : level) {
        Block node = fresh.remove(cid);
        if (node == null) {
          continue; // an unchanged subtree: an older CAR holds it
        }
        Map<?, ?> m = (Map<?, ?>) node.decode();
        int l = ((Long) m.get("l")).intValue();
        add(parts, name, node, l);
        if (l > 0) {
          for (Object child : (List<?>) m.get("v")) {
            next.add((Cid) child);
          }
        }
      }
      level = next;
    }
  }

  private static void add(Map<String, Part> parts, String name, Block block, int level) {
    Part part = parts.computeIfAbsent(name, k -> new Part());
    part.blocks++;
    part.bytes += block.size();
    if (level >= 0) {
      part.nodesByLevel.merge(level, 1L, Long::sum);
    }
  }
}
