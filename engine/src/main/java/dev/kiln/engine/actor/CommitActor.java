package dev.kiln.engine.actor;

import dev.kiln.engine.config.DatabaseSettings;
import com.github.benmanes.caffeine.cache.Cache;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.commit.CommitBuilder;
import dev.kiln.engine.index.IndexMaintenance;
import dev.kiln.engine.snapshot.CarLogBlocks;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Turns queued writes into commits with group commit: whatever is queued when it is free becomes
 * one batch, one CAR, one fsync. It builds each commit on the snapshot the DatabaseActor handed
 * it last, and starts the next batch only after the DatabaseActor says the previous CAR is in the
 * journal ({@link Appended}), so commits never build on a CAR the journal does not hold.
 *
 * <p>When nothing is queued or in flight it reports {@link Internal.Idle} with the id of the
 * last write it was given; the DatabaseActor compares that id with the newest it sent.
 */
public final class CommitActor extends AbstractBehavior<CommitActor.Command> {

  /** Local only: sent among Kiln's actors of one system, never serialized. */
  public interface Command extends NoSerializationVerificationNeeded {}

  /** A write request, numbered by the Internal. */
  public record Submit(long epoch, CommitBuilder.Unit unit) implements Command {}

  /** The previous commit is in the journal; build the next one on {@code snapshot} (leased for us). */
  public record Appended(long epoch, Snapshot snapshot) implements Command {}

  /** A new snapshot with the same head (after a compaction or a recovery); leased for us. */
  public record Rebase(long epoch, Snapshot snapshot) implements Command {}

  /** The DatabaseActor restarted from the journal: forget everything of older epochs. */
  public record Reset(long epoch, long lastWriteId) implements Command {}

  private record BatchDone(long epoch, List<CommitBuilder.Unit> units, CommitBuilder.Result result, CarIndex car, Throwable error)
      implements Command {}

  private final ActorContext<Command> context;
  private final ActorRef<DatabaseProtocol.Command> database;
  private final CarStore store;
  private final Cache<Cid, Block> cache;
  private final Executor blocking;
  private final DatabaseSettings settings;
  private final IndexMaintenance indexes;

  private final ArrayDeque<CommitBuilder.Unit> queue = new ArrayDeque<>();
  private long epoch;
  private Snapshot base;
  private Snapshot pendingRebase;
  private boolean inFlight;
  private boolean awaitingAppend;
  private long lastWriteId;

  public static Behavior<Command> create(ActorRef<DatabaseProtocol.Command> database, CarStore store,
      Cache<Cid, Block> cache, Executor blocking, DatabaseSettings settings) {
    return Behaviors.setup(ctx -> new CommitActor(ctx, database, store, cache, blocking, settings));
  }

  private CommitActor(ActorContext<Command> context, ActorRef<DatabaseProtocol.Command> database, CarStore store,
      Cache<Cid, Block> cache, Executor blocking, DatabaseSettings settings) {
    super(context);
    this.context = context;
    this.database = database;
    this.store = store;
    this.cache = cache;
    this.blocking = blocking;
    this.settings = settings;
    this.indexes = new IndexMaintenance(settings.indexes(), settings.indexCatchUpBatch());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Submit.class, this::onSubmit)
        .onMessage(Appended.class, this::onAppended)
        .onMessage(Rebase.class, this::onRebase)
        .onMessage(Reset.class, this::onReset)
        .onMessage(BatchDone.class, this::onBatchDone)
        .build();
  }

  private Behavior<Command> onSubmit(Submit m) {
    if (m.epoch() != epoch) {
      return this; // sent before a reset; the DatabaseActor has already failed it
    }
    queue.add(m.unit());
    lastWriteId = Math.max(lastWriteId, m.unit().writeId());
    startBatchIfFree();
    return this;
  }

  private Behavior<Command> onAppended(Appended m) {
    if (m.epoch() != epoch) {
      release(m.snapshot()); // for an incarnation that no longer exists; leases outlive it
      return this;
    }
    awaitingAppend = false;
    adopt(m.snapshot());
    startBatchIfFree();
    reportIdleIfIdle();
    return this;
  }

  private Behavior<Command> onRebase(Rebase m) {
    if (m.epoch() != epoch) {
      release(m.snapshot());
      return this;
    }
    if (inFlight) {
      if (pendingRebase != null) {
        release(pendingRebase);
      }
      pendingRebase = m.snapshot(); // the batch in flight still reads the old one
    } else {
      adopt(m.snapshot());
      startBatchIfFree();
      reportIdleIfIdle();
    }
    return this;
  }

  private Behavior<Command> onReset(Reset m) {
    epoch = m.epoch();
    lastWriteId = m.lastWriteId(); // writes sent before the reset were failed by the DatabaseActor
    queue.clear();
    // Leases outlive the DatabaseActor's restart (they are about files): give ours back.
    if (base != null) {
      release(base);
    }
    if (pendingRebase != null) {
      release(pendingRebase);
    }
    base = null;
    pendingRebase = null;
    awaitingAppend = false;
    // A batch still running belongs to the old epoch: its BatchDone is ignored when it comes, so it
    // must not keep this actor busy (a Compacted persist can fail while a commit is in flight).
    inFlight = false;
    return this;
  }

  private Behavior<Command> onBatchDone(BatchDone m) {
    if (m.epoch() != epoch) {
      return this; // finished after a reset: its CAR is an orphan, removed at the next start
    }
    inFlight = false;
    if (pendingRebase != null) {
      adopt(pendingRebase);
      pendingRebase = null;
    }
    if (m.error() != null) {
      database.tell(new Internal.CommitFailed(epoch, writeIds(m.units()), m.error()));
    } else {
      for (String warning : m.result().warnings()) {
        context.getLog().warn(warning);
      }
      database.tell(new Internal.Committed(epoch, m.result(), m.car()));
      awaitingAppend = m.result().hasCommit();
    }
    startBatchIfFree();
    reportIdleIfIdle();
    return this;
  }

  private void startBatchIfFree() {
    if (inFlight || awaitingAppend || base == null || queue.isEmpty()) {
      return;
    }
    List<CommitBuilder.Unit> units = new ArrayList<>();
    int ops = 0;
    while (!queue.isEmpty() && (units.isEmpty() || ops + queue.peek().ops().size() <= settings.maxBatchWrites())) {
      CommitBuilder.Unit u = queue.poll();
      units.add(u);
      ops += u.ops().size();
    }
    inFlight = true;
    Snapshot on = base;
    long batchEpoch = epoch;
    CompletableFuture<BatchDone> work = CompletableFuture.supplyAsync(() -> {
      CommitBuilder.Result result = CommitBuilder.build(
          new CarLogBlocks(store, on, cache, true), on.roots(), units, settings.maxDocBytes(), indexes);
      if (!result.hasCommit()) {
        return new BatchDone(batchEpoch, units, result, null, null);
      }
      CarIndex car = store.write(List.of(result.commit().cid()), result.blocks());
      if (result.blocks() instanceof java.util.RandomAccess) { // not an import's blocks, streamed from its file
        for (Block b : result.blocks()) {
          cache.put(b.cid(), b); // the next batch reads these paths again
        }
      }
      return new BatchDone(batchEpoch, units, result, car, null);
    }, blocking);
    context.pipeToSelf(work, (done, error) -> error == null ? done : new BatchDone(batchEpoch, units, null, null, Errors.unwrap(error)));
  }

  private void reportIdleIfIdle() {
    if (!inFlight && !awaitingAppend && queue.isEmpty() && base != null) {
      database.tell(new Internal.Idle(epoch, lastWriteId));
    }
  }

  private void adopt(Snapshot snapshot) {
    if (base != null) {
      release(base);
    }
    base = snapshot;
  }

  private void release(Snapshot snapshot) {
    database.tell(new Internal.ReleaseLease(epoch, snapshot.generation()));
  }

  private static List<Long> writeIds(List<CommitBuilder.Unit> units) {
    List<Long> ids = new ArrayList<>(units.size());
    for (CommitBuilder.Unit u : units) {
      ids.add(u.writeId());
    }
    return ids;
  }
}
