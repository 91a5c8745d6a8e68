package dev.kiln.engine.actor;

import dev.kiln.engine.actor.Events.State;
import dev.kiln.engine.actor.Internal.CompactionDone;
import dev.kiln.engine.actor.Internal.MaxWaitElapsed;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol.CompactResult;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;

/**
 * The DatabaseActor's part that coordinates compaction: a request waits until the CommitActor's
 * queue is empty (invariant 2), past {@code kiln.compaction.max-wait} it has new writes held so the
 * queue drains (3), one compaction runs at a time and further requests join it (5), and the result
 * is installed only if the CarLog changed under it by appends alone (4). Persisting the install is
 * the actor's; this part decides whether there is one. Used on the actor's thread only.
 */
final class Compaction {
  private final DatabaseContext db;
  private final WriteAdmission writes;
  private final LongSupplier epoch;
  private final BooleanSupplier open;
  private final Function<State, Snapshot> leasedSnapshot;
  private final ActorRef<CompactorActor.Command> compactor;

  private boolean requested;
  private long request;
  private Snapshot running;
  private final List<ActorRef<StatusReply<CompactResult>>> waiters = new ArrayList<>();

  Compaction(DatabaseContext db, WriteAdmission writes, LongSupplier epoch, BooleanSupplier open,
      Function<State, Snapshot> leasedSnapshot, ActorRef<CompactorActor.Command> compactor) {
    this.db = db;
    this.writes = writes;
    this.epoch = epoch;
    this.open = open;
    this.leasedSnapshot = leasedSnapshot;
    this.compactor = compactor;
  }

  /** A client's Compact: answered when the compaction it starts or joins ends. */
  void ask(State state, ActorRef<StatusReply<CompactResult>> replyTo) {
    waiters.add(replyTo);
    request(state);
  }

  void autoIfDue(State state) {
    if (db.settings().autoCompact() > 0 && state.carLog().size() > db.settings().autoCompact()) {
      request(state);
    }
  }

  private void request(State state) {
    if (running != null || requested) {
      return; // joins the one running or waiting (invariant 5)
    }
    if (state.carLog().size() <= 1) {
      answer(state, state.carLog().size(), 0, 0);
      return;
    }
    requested = true;
    request++;
    db.timers().startSingleTimer(new MaxWaitElapsed(epoch.getAsLong(), request), db.settings().compactionMaxWait());
    startIfIdle(state);
  }

  /** Invariant 2: only an Idle for the newest write sent means the commit queue is empty. */
  void startIfIdle(State state) {
    if (!requested || running != null || !open.getAsBoolean() || !writes.queueEmpty()) {
      return;
    }
    requested = false;
    db.timers().cancel(new MaxWaitElapsed(epoch.getAsLong(), request));
    running = leasedSnapshot.apply(state);
    compactor.tell(new CompactorActor.Compact(epoch.getAsLong(), running));
    writes.releaseHeld(); // the snapshot is taken: held writes flow again, in order
  }

  void maxWaitElapsed(MaxWaitElapsed m) {
    if (m.epoch() == epoch.getAsLong() && m.request() == request && requested && running == null) {
      writes.hold(); // invariant 3: let the queue drain so compaction can take its snapshot
      db.actor().getLog().debug("database {}: compaction waited {}, holding new writes", db.name(),
          db.settings().compactionMaxWait());
    }
  }

  /**
   * The compaction of this epoch ended with {@code m.car()}: the CARs it replaces if it is to be
   * installed, or null when its waiters are already answered (nothing to install, or the CarLog
   * changed under it other than by appends).
   */
  List<Cid> finished(State state, CompactionDone m) {
    running = null;
    Snapshot snap = m.snapshot();
    List<Cid> replaced = new ArrayList<>();
    for (CarIndex c : snap.carLog()) {
      replaced.add(c.car());
    }
    int kept = state.carLog().size() - replaced.size();
    if (kept < 0 || !state.carLog().subList(kept, state.carLog().size()).equals(replaced)) {
      fail(new KilnException(ErrorCode.INTERNAL, "bug: the CarLog changed under a compaction in a way "
          + "other than appends; compaction not installed"));
      return null;
    }
    if (replaced.size() == 1 && replaced.get(0).equals(m.car().car())) {
      answer(state, state.carLog().size(), snap.carBytes(), snap.carBytes());
      return null;
    }
    return replaced;
  }

  void failed(Throwable error) {
    running = null;
    KilnException e = Errors.toKiln(error);
    db.actor().getLog().error("database {}: compaction failed: {}", db.name(), e.getMessage());
    fail(e);
  }

  void answer(State state, int logBefore, long bytesBefore, long bytesAfter) {
    CompactResult r = new CompactResult(logBefore, state.carLog().size(), state.generation(), bytesBefore, bytesAfter);
    for (ActorRef<StatusReply<CompactResult>> w : waiters) {
      w.tell(StatusReply.success(r));
    }
    waiters.clear();
  }

  void fail(KilnException error) {
    for (ActorRef<StatusReply<CompactResult>> w : waiters) {
      w.tell(StatusReply.error(error));
    }
    waiters.clear();
  }

  /** After a journal restart: the waiters got {@code failure}, and nothing is requested or running. */
  void restarted(KilnException failure) {
    fail(failure);
    requested = false;
    running = null;
  }
}
