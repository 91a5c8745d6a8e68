package dev.kiln.engine.actor;

import dev.kiln.engine.actor.Internal.DeletionDone;
import dev.kiln.engine.actor.Internal.ReadDone;
import dev.kiln.engine.actor.Internal.ViewIdle;
import dev.kiln.engine.snapshot.CarLogBlocks;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.protocol.Cid;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;

/**
 * The DatabaseActor's part that keeps files alive for their readers: leases per generation, open
 * views, reads in flight (bounded), and the CARs a compaction replaced, deleted only when no lease
 * on an older generation can reach them (invariant 7). Leases are about files, not the journal, so
 * all of this outlives a journal restart. Used on the actor's thread only.
 */
final class SnapshotLeases {
  /** A read of one snapshot, run on the read dispatcher. */
  interface ReadBody<T> {
    T run(Snapshot snapshot, CarLogBlocks source);
  }

  private record PendingDeletion(long generation, List<Cid> cars) {}

  private final DatabaseContext db;
  private final LongSupplier epoch;
  /** True for a CAR the current CarLog names: such a CAR is never deleted (invariant 9). */
  private final Installed installed;
  private final Leases leases = new Leases();
  private final List<PendingDeletion> pendingDeletions = new ArrayList<>();
  private final Map<Long, Snapshot> views = new HashMap<>();
  private long lastViewId;
  private int readsInFlight;

  /** NONE except in the schedule explorer's tests of the explorer itself. */
  private final InjectedBug bug;

  SnapshotLeases(DatabaseContext db, LongSupplier epoch, Installed installed, InjectedBug bug) {
    this.bug = bug;
    this.db = db;
    this.epoch = epoch;
    this.installed = installed;
  }

  /** Takes a lease on {@code snapshot} for a receiver that will send {@link Internal.ReleaseLease}. */
  Snapshot lease(Snapshot snapshot) {
    leases.acquire(snapshot.generation());
    return snapshot;
  }

  /** The current snapshot with a lease taken on it; the receiver must send {@link Internal.ReleaseLease}. */
  Snapshot leaseCurrent(Events.State state) {
    return lease(installed.current(state));
  }

  void release(long generation) {
    leases.release(generation);
    deleteReplacedCarsWhenUnleased();
  }

  /** A compaction installed at {@code generation} replaced these CARs. */
  void replaced(long generation, List<Cid> cars) {
    pendingDeletions.add(new PendingDeletion(generation, cars));
    deleteReplacedCarsWhenUnleased();
  }

  /** Replaced CARs that a lease may still reach: the start-up sweep must keep them. */
  Set<Cid> replacedButLeasable() {
    Set<Cid> cars = new HashSet<>();
    pendingDeletions.forEach(d -> cars.addAll(d.cars()));
    return cars;
  }

  /**
   * Runs a read on the read dispatcher against a leased snapshot; past {@code max-pending-reads}
   * it is refused with OVERLOADED. The caller is answered at the read timeout; the read itself
   * stops at its next block read and only then gives back its lease (its CARs must stay until it
   * no longer reads them).
   */
  <T> void read(Snapshot snap, ActorRef<StatusReply<T>> replyTo, ReadBody<T> body) {
    if (readsInFlight >= db.settings().maxPendingReads()) {
      replyTo.tell(StatusReply.error(DatabaseContext.overloaded(db.name(),
          readsInFlight + " reads are already running or queued")));
      return;
    }
    lease(snap);
    readsInFlight++;
    AtomicBoolean cancelled = new AtomicBoolean();
    CompletableFuture<T> work = CompletableFuture.supplyAsync(
        () -> body.run(snap, new CarLogBlocks(db.store(), snap, db.cache(), true, cancelled::get)), db.reads());
    work.copy().orTimeout(db.settings().readTimeout().toMillis(), TimeUnit.MILLISECONDS).whenComplete((value, error) -> {
      if (error != null && Errors.unwrap(error) instanceof TimeoutException) {
        cancelled.set(true);
      }
      replyTo.tell(error == null ? StatusReply.success(value) : StatusReply.error(Errors.toKiln(error)));
    });
    db.actor().pipeToSelf(work, (value, error) -> new ReadDone(snap.generation()));
  }

  /** Replaced CARs that could not be deleted stay behind as orphans; start-up removes them. */
  void deletionDone(DeletionDone m) {
    if (m.error() != null) {
      db.actor().getLog().warn("database {}: could not delete replaced CARs {}: {}", db.name(), m.cars(),
          m.error().toString());
    }
  }

  void readDone(long generation) {
    readsInFlight--;
    release(generation);
  }

  /** Opens a view of {@code snap}, leased until it closes or idles out; returns its id. */
  long openView(Snapshot snap) {
    long id = ++lastViewId;
    views.put(id, lease(snap));
    touchView(id);
    return id;
  }

  /** The open view's snapshot (its idle timer starts again), or null. */
  Snapshot view(long id) {
    Snapshot snap = views.get(id);
    if (snap != null) {
      touchView(id);
    }
    return snap;
  }

  void closeView(long id) {
    Snapshot snap = views.remove(id);
    if (snap != null) {
      db.timers().cancel("view-" + id);
      release(snap.generation());
    }
  }

  void touchAllViews() {
    views.keySet().forEach(this::touchView);
  }

  private void touchView(long id) {
    db.timers().startSingleTimer("view-" + id, new ViewIdle(epoch.getAsLong(), id), db.settings().viewIdleTimeout());
  }

  /** Invariant 7: a replaced CAR goes only when no lease on an older generation can reach it. */
  private void deleteReplacedCarsWhenUnleased() {
    Iterator<PendingDeletion> it = pendingDeletions.iterator();
    while (it.hasNext()) {
      PendingDeletion d = it.next();
      if (leases.anyOlderThan(d.generation()) && bug != InjectedBug.DELETE_IGNORES_LEASES) {
        continue;
      }
      it.remove();
      long e = epoch.getAsLong();
      List<Cid> cars = new ArrayList<>();
      for (Cid car : d.cars()) {
        if (!installed.has(car)) {
          cars.add(car);
        }
      }
      // Not null: if the actor has stopped when the work ends, Pekko's dead-letter logging fails on a null result.
      CompletableFuture<Done> work = CompletableFuture.supplyAsync(() -> {
        for (Cid car : cars) {
          db.store().delete(car);
        }
        return Done.getInstance();
      }, db.blocking());
      db.actor().pipeToSelf(work, (ok, error) -> new DeletionDone(e, d.cars(), error));
    }
  }
}
