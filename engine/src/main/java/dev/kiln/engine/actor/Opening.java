package dev.kiln.engine.actor;

import dev.kiln.engine.actor.Events.State;
import dev.kiln.engine.actor.Internal.Loaded;
import dev.kiln.engine.actor.Internal.RetryLoad;
import dev.kiln.engine.block.CorruptBlockException;
import dev.kiln.engine.block.MissingBlockException;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarNotFoundException;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.commit.CommitRoots;
import dev.kiln.engine.commit.FormatMigration;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.snapshot.CarLogBlocks;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The DatabaseActor's part that opens the database's files, at start and after every journal restart:
 * it opens each CAR the CarLog names (reusing the indexes of CARs opened before a restart),
 * checks that the head's trees are stored, removes orphans (invariant 9), has {@link HeadMigration}
 * migrate a head of an older commit format, and after a disk error
 * tries again with a growing delay. Used on the actor's thread only; the work runs on the blocking
 * dispatcher and comes back as {@link Loaded}. It also removes them all when the database is destroyed.
 */
final class Opening {
  private static final Duration RETRY_MIN = Duration.ofMillis(100);
  private static final Duration RETRY_MAX = Duration.ofSeconds(5);

  private final DatabaseContext db;
  private int attempts;

  Opening(DatabaseContext db) {
    this.db = db;
  }

  /**
   * Loads what {@code state} names in epoch {@code epoch}; {@code known} are indexes opened
   * before (not read again), {@code leased} CARs that are replaced but may still be read.
   */
  void load(long epoch, State state, Map<Cid, CarIndex> known, Set<Cid> leased) {
    List<Cid> log = state.carLog();
    Cid head = state.head();
    CarStore store = db.store();
    CompletableFuture<Loaded> load = CompletableFuture.supplyAsync(() -> {
      store.removeTempFiles();
      Map<Cid, CarIndex> opened = new LinkedHashMap<>();
      for (Cid car : log) {
        CarIndex index = known.get(car);
        opened.put(car, index != null ? index : store.open(car));
      }
      CarLogBlocks blocks = head == null ? null : new CarLogBlocks(store,
          new Snapshot(0, new ArrayList<>(opened.values()), head, null), db.cache(), true);
      Block headBlock = head == null ? null : blocks.get(head);
      FormatMigration.Migrated migrated = head == null ? null : HeadMigration.of(blocks, headBlock);
      // a migrated head's trees were just built from the stored ones, which the migration read whole
      CommitRoots headRoots = head == null ? CommitRoots.empty()
          : migrated != null ? migrated.roots() : headRoots(head, CommitRoots.fromBlock(headBlock), blocks);
      Set<Cid> named = new HashSet<>(log);
      named.addAll(leased);
      for (Cid car : store.list()) {
        if (!named.contains(car)) {
          store.delete(car);
        }
      }
      // written after the orphans went: until its event is persisted it is one of them
      Internal.Migration migration = migrated == null ? null : HeadMigration.write(store, migrated);
      if (migration != null) {
        opened.put(migration.car().car(), migration.car());
      }
      return new Loaded(epoch, opened, headRoots, migration, null);
    }, db.blocking());
    db.actor().pipeToSelf(load, (ok, error) -> error == null ? ok : new Loaded(epoch, Map.of(), null, null, error));
  }

  private CommitRoots headRoots(Cid head, CommitRoots roots, CarLogBlocks blocks) {
    // A head whose trees are not stored is damaged data, not a race: say so now, naming them.
    List<Cid> trees = new ArrayList<>(List.of(roots.docs(), roots.bySeq()));
    roots.indexes().values().forEach(ix -> trees.addAll(List.of(ix.entries(), ix.back())));
    for (Cid tree : trees) {
      try {
        blocks.get(tree);
      } catch (MissingBlockException e) {
        throw new CorruptBlockException(head, "commit " + head + " links to tree " + tree
            + ", which no CAR of the CarLog holds", e);
      }
    }
    return roots;
  }

  /** Destroyed is persisted: every CAR file goes, and {@link Internal.DestroyDone} says when. */
  void deleteAll(long epoch) {
    CarStore store = db.store();
    CompletableFuture<org.apache.pekko.Done> work = CompletableFuture.supplyAsync(() -> {
      for (Cid car : store.list()) {
        store.delete(car);
      }
      return org.apache.pekko.Done.getInstance();
    }, db.blocking());
    db.actor().pipeToSelf(work, (ok, error) -> new Internal.DestroyDone(epoch, error));
  }

  /** Opened: the next failure starts again with the shortest delay. */
  void opened() {
    attempts = 0;
  }

  /**
   * Opening failed: what requests are answered with meanwhile. A disk failure (nothing known to be
   * damaged) is STORAGE and a {@link RetryLoad} is scheduled; a fenced store (a newer owner claimed the
   * database) is FENCED, for good; anything else is CORRUPT, for good.
   */
  KilnException failed(long epoch, Throwable error) {
    KilnException cause = Errors.toKiln(error);
    if (cause.code() == ErrorCode.FENCED) {
      // A newer owner claimed the database while this one opened (its sweep or migration was refused):
      // the store stays fenced, so trying again cannot help and nothing is damaged.
      db.actor().getLog().warn("database {}: opening refused, {}", db.name(), cause.getMessage());
      return cause;
    }
    if (cause.code() == ErrorCode.STORAGE && !(Errors.unwrap(error) instanceof CarNotFoundException)) {
      // The disk failed while opening (a read error, say): callers get STORAGE meanwhile, and the
      // database opens once the disk works again.
      Duration delay = RETRY_MIN.multipliedBy(1L << Math.min(attempts, 5));
      attempts++;
      db.actor().getLog().warn("database {}: opening failed (attempt {}), trying again in {} ms: {}", db.name(),
          attempts, delay.toMillis(), cause.getMessage());
      db.timers().startSingleTimer(new RetryLoad(epoch), delay.compareTo(RETRY_MAX) > 0 ? RETRY_MAX : delay);
      return new KilnException(ErrorCode.STORAGE, "database " + db.name() + " is not open yet, the disk failed while"
          + " opening it (" + cause.getMessage() + "); trying again in " + delay.toMillis() + " ms", error);
    }
    db.actor().getLog().error("database {} cannot be opened", db.name(), error);
    return new KilnException(ErrorCode.CORRUPT, "database " + db.name() + " cannot be opened: "
        + cause.getMessage(), error);
  }
}
