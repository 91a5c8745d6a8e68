package dev.kiln.engine.verify;

import dev.kiln.engine.block.BlockGraph;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.CorruptBlockException;
import dev.kiln.engine.block.MissingBlockException;
import dev.kiln.engine.car.CarException;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.snapshot.CarLogBlocks;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.protocol.Cid;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks one database's CARs (in whatever store holds them: files, PostgreSQL) in two passes, collecting every problem instead of stopping
 * at the first: {@link #checkFiles} reads every CAR whole (each block and the file hashed against
 * their CIDs) and compares each stored index (an index file, a PostgreSQL row) with the index rebuilt from its CAR; {@link #checkGraph}
 * walks from the head and reports every link that no CAR holds. The walk keeps CIDs, not blocks.
 */
public final class DatabaseVerifier {
  /** Progress of a pass: {@code done} of {@code total} (bytes for the files, blocks for the walk, 0 = unknown). */
  public interface Progress {
    void update(String pass, long done, long total);
  }

  private final CarStore store;
  private final Progress progress;
  private final Map<Cid, CarIndex> good = new LinkedHashMap<>();
  private final List<String> problems = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private int cars;
  private long carBytes;
  private long blocks;
  private long reachable;

  public DatabaseVerifier(CarStore store, Progress progress) {
    this.store = store;
    this.progress = progress;
  }

  /** What was found. {@code problems} empty means healthy; {@code notes} are harmless (a missing index file is rebuilt on open). */
  public record Report(int cars, long carBytes, long blocks, long reachable, List<String> problems, List<String> notes) {
    public boolean healthy() {
      return problems.isEmpty();
    }
  }

  /** Every CAR of the store, whole, and its stored index. */
  public DatabaseVerifier checkFiles() {
    List<Cid> all = store.list();
    long total = 0;
    for (Cid car : all) {
      total += store.size(car);
    }
    long done = 0;
    progress.update("CARs", 0, total);
    for (Cid car : all) {
      long size = store.size(car);
      try {
        CarIndex index = store.check(car);
        good.put(car, index);
        blocks += index.blockCount();
        String indexProblem = store.storedIndexProblem(car, index);
        if ("missing".equals(indexProblem)) {
          notes.add("index file of CAR " + car + " is missing (the next open rebuilds it from the CAR)");
        } else if (indexProblem != null) {
          problems.add(indexProblem + " (the next open rebuilds it from the CAR)");
        }
      } catch (CarException | CorruptBlockException e) {
        problems.add("CAR " + car + " is damaged: " + e.getMessage());
        try {
          // Its index file may still locate its good blocks, so the walk names only what is lost.
          good.put(car, store.open(car));
        } catch (CarException | CorruptBlockException unreadable) {
          // The walk then reports its blocks as missing.
        }
      }
      cars++;
      carBytes += size;
      done += size;
      progress.update("CARs", done, total);
    }
    return this;
  }

  /**
   * Walks from {@code head} over the CARs that checked out, reporting each block that none holds
   * (naming the block that links to it). A null head (an empty database) has nothing to walk.
   */
  public DatabaseVerifier checkGraph(Cid head) {
    if (head == null) {
      return this;
    }
    // Only CARs still there: opening the database in between removes CARs no CarLog names.
    List<CarIndex> present = good.values().stream().filter(index -> store.exists(index.car())).toList();
    Snapshot snapshot = new Snapshot(0, present, head, null);
    // A small cache of its own: the walk reads each block once and must not keep them.
    CarLogBlocks source = new CarLogBlocks(store, snapshot, Caffeine.newBuilder().maximumSize(1).build(), false);
    Set<Cid> seen = new HashSet<>();
    seen.add(head);
    Map<Cid, Cid> linkedFrom = new HashMap<>();
    List<Cid> level = List.of(head);
    while (!level.isEmpty()) {
      List<Cid> next = new ArrayList<>();
      for (Block block : read(source, level, linkedFrom)) {
        reachable++;
        if (BlockGraph.mayHaveLinks(block)) {
          List<Cid> links = new ArrayList<>();
          BlockGraph.collectLinks(block.decode(), links);
          for (Cid link : links) {
            if (seen.add(link)) {
              next.add(link);
              linkedFrom.put(link, block.cid());
            }
          }
        }
      }
      progress.update("blocks reachable from the head", reachable, 0);
      for (Cid cid : level) {
        linkedFrom.remove(cid);
      }
      level = next;
    }
    return this;
  }

  /** The level's blocks, in batches; a block that is missing or damaged is reported and left out. */
  private List<Block> read(CarLogBlocks source, List<Cid> level, Map<Cid, Cid> linkedFrom) {
    List<Block> out = new ArrayList<>(level.size());
    for (int from = 0; from < level.size(); from += 4096) {
      List<Cid> batch = level.subList(from, Math.min(level.size(), from + 4096));
      try {
        out.addAll(source.getAll(batch));
      } catch (MissingBlockException | CarException | CorruptBlockException e) {
        for (Cid cid : batch) {
          try {
            out.add(source.get(cid));
          } catch (MissingBlockException missing) {
            problems.add("block " + cid + " is in no CAR, but " + namedBy(cid, linkedFrom));
          } catch (CarException | CorruptBlockException bad) {
            problems.add("block " + cid + " (" + namedBy(cid, linkedFrom) + ") cannot be read: " + bad.getMessage());
          }
        }
      }
    }
    return out;
  }

  private static String namedBy(Cid cid, Map<Cid, Cid> linkedFrom) {
    Cid parent = linkedFrom.get(cid);
    return parent == null ? "the head names it" : "block " + parent + " links to it";
  }

  public Report report() {
    return new Report(cars, carBytes, blocks, reachable, List.copyOf(problems), List.copyOf(notes));
  }

  /** For the caller's own findings (the database would not open, say). */
  public DatabaseVerifier problem(String problem) {
    problems.add(problem);
    return this;
  }
}
