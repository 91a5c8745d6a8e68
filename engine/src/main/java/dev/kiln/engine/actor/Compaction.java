package dev.kiln.engine.actor;

import dev.kiln.engine.actor.Events.State;
import dev.kiln.engine.actor.Internal.CompactionDone;
import dev.kiln.engine.actor.Internal.MaxWaitElapsed;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol.CompactResult;
import dev.kiln.protocol.DatabaseProtocol.CompactionKind;
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
 * the actor's; this part decides whether there is one, and which kind runs: major on an explicit
 * major request or when the CAR bytes exceed {@code kiln.compaction.max-space-amplification} times
 * the live bytes, minor otherwise. Used on the actor's thread only.
 */
final class Compaction {
  /** What the waiting request asks for; a later request can only raise it (AUTO &lt; MINOR &lt; MAJOR). */
  private enum Want { AUTO, MINOR, MAJOR }

  /** A finished compaction to persist: the CARs it replaces, and the {@code Compacted} event's fields. */
  record Install(List<Cid> replaced, int appended, int baseKept, long liveBytes, boolean minor, long bytesBefore) {}

  private final DatabaseContext db;
  private final WriteAdmission writes;
  private final LongSupplier epoch;
  private final BooleanSupplier open;
  private final Function<State, Snapshot> leasedSnapshot;
  private final Function<State, Snapshot> currentSnapshot;
  private final ActorRef<CompactorActor.Command> compactor;

  private boolean requested;
  private Want want = Want.AUTO;
  private long request;
  private Snapshot running;
  private boolean runningMinor;
  /** Answered by the compaction running (or, when none runs, by the next one to start). */
  private final List<ActorRef<StatusReply<CompactResult>>> waiters = new ArrayList<>();
  /** Asked for a major compaction while a minor one ran: answered by the next one. */
  private final List<ActorRef<StatusReply<CompactResult>>> next = new ArrayList<>();

  Compaction(DatabaseContext db, WriteAdmission writes, LongSupplier epoch, BooleanSupplier open,
      Function<State, Snapshot> leasedSnapshot, Function<State, Snapshot> currentSnapshot,
      ActorRef<CompactorActor.Command> compactor) {
    this.db = db;
    this.writes = writes;
    this.epoch = epoch;
    this.open = open;
    this.leasedSnapshot = leasedSnapshot;
    this.currentSnapshot = currentSnapshot;
    this.compactor = compactor;
  }

  /** A client's Compact: answered when the compaction it starts or joins ends. */
  void ask(State state, ActorRef<StatusReply<CompactResult>> replyTo, CompactionKind kind) {
    Want asked = kind == CompactionKind.MINOR ? Want.MINOR : Want.MAJOR;
    if (running != null && asked == Want.MAJOR && runningMinor) {
      next.add(replyTo); // a minor compaction does not do what a major request asks: the next one will
      request(state, asked);
      return;
    }
    waiters.add(replyTo);
    request(state, asked);
  }

  /**
   * After a commit or an install: a major compaction when the compacted CARs exceed the space
   * amplification allowed, else one (of the kind the bytes call for) when more than
   * {@code kiln.auto-compact} CARs were appended since the last one.
   */
  void autoIfDue(State state) {
    if (db.settings().autoCompact() <= 0) {
      return;
    }
    if (state.base() > 0 && compactedBytes(currentSnapshot.apply(state), state.base()) > allowed(state)) {
      request(state, Want.MAJOR);
    } else if (state.recent() > db.settings().autoCompact()) {
      request(state, Want.AUTO);
    }
  }

  private double allowed(State state) {
    return db.settings().maxSpaceAmplification() * state.liveBytes();
  }

  private void request(State state, Want asked) {
    if (running != null) {
      if (!next.isEmpty()) {
        requested = true; // a major one, started when the running minor one ends
        want = Want.MAJOR;
      }
      return; // joins the one running (invariant 5)
    }
    if (asked.compareTo(want) > 0) {
      want = asked;
    }
    if (requested) {
      return; // joins the one waiting (invariant 5)
    }
    if (nothingToDo(state)) {
      want = Want.AUTO;
      answer(state, state.carLog().size(), 0, 0, CompactionKind.MAJOR);
      return;
    }
    requested = true;
    armMaxWait();
    startIfIdle(state);
  }

  private boolean nothingToDo(State state) {
    return state.carLog().size() <= 1 || (want == Want.MINOR && state.base() > 0 && state.recent() == 0);
  }

  private void armMaxWait() {
    request++;
    db.timers().startSingleTimer(new MaxWaitElapsed(epoch.getAsLong(), request), db.settings().compactionMaxWait());
  }

  /** Invariant 2: only an Idle for the newest write sent means the commit queue is empty. */
  void startIfIdle(State state) {
    if (!requested || running != null || !open.getAsBoolean() || !writes.queueEmpty()) {
      return;
    }
    requested = false;
    db.timers().cancel(new MaxWaitElapsed(epoch.getAsLong(), request));
    running = leasedSnapshot.apply(state);
    int keep = major(state, running) ? 0 : state.base();
    runningMinor = keep > 0;
    want = Want.AUTO;
    compactor.tell(new CompactorActor.Compact(epoch.getAsLong(), running, keep, state.liveBytes()));
    writes.releaseHeld(); // the snapshot is taken: held writes flow again, in order
  }

  /**
   * Major when asked for, when nothing was compacted before (or the journal predates minor
   * compactions: no live bytes known), or when the compacted CARs plus those to merge would exceed
   * the space amplification allowed (the merged CAR is at most the CARs it merges).
   */
  private boolean major(State state, Snapshot snap) {
    if (want == Want.MAJOR || state.base() == 0 || state.liveBytes() <= 0) {
      return true;
    }
    return want == Want.AUTO && snap.carBytes() > allowed(state);
  }

  /** Bytes of the oldest {@code base} CARs of the snapshot: those compactions wrote. */
  static long compactedBytes(Snapshot snap, int base) {
    long n = 0;
    List<CarIndex> log = snap.carLog();
    for (CarIndex c : log.subList(log.size() - base, log.size())) {
      n += c.byteSize();
    }
    return n;
  }

  void maxWaitElapsed(MaxWaitElapsed m) {
    if (m.epoch() == epoch.getAsLong() && m.request() == request && requested && running == null) {
      writes.hold(); // invariant 3: let the queue drain so compaction can take its snapshot
      db.actor().getLog().debug("database {}: compaction waited {}, holding new writes", db.name(),
          db.settings().compactionMaxWait());
    }
  }

  /**
   * The compaction of this epoch ended with {@code m.car()}: what to install, or null when its
   * waiters are already answered (nothing to install, or the CarLog changed under it other than
   * by appends).
   */
  Install finished(State state, CompactionDone m) {
    running = null;
    Snapshot snap = m.snapshot();
    List<Cid> logged = new ArrayList<>();
    for (CarIndex c : snap.carLog()) {
      logged.add(c.car());
    }
    int appended = state.carLog().size() - logged.size();
    if (appended < 0 || !state.carLog().subList(appended, state.carLog().size()).equals(logged)) {
      fail(new KilnException(ErrorCode.INTERNAL, "bug: the CarLog changed under a compaction in a way "
          + "other than appends; compaction not installed"));
      return null;
    }
    int keep = m.result().keep();
    List<Cid> replaced = logged.subList(0, logged.size() - keep);
    long bytesBefore = 0;
    for (CarIndex c : snap.carLog().subList(0, replaced.size())) {
      bytesBefore += c.byteSize();
    }
    if (keep == 0 && replaced.size() == 1 && replaced.get(0).equals(m.car().car())) {
      answer(state, state.carLog().size(), bytesBefore, bytesBefore, CompactionKind.MAJOR);
      return null;
    }
    return new Install(List.copyOf(replaced), appended, keep, m.result().liveBytes(), keep > 0, bytesBefore);
  }

  void failed(Throwable error) {
    running = null;
    KilnException e = Errors.toKiln(error);
    db.actor().getLog().error("database {}: compaction failed: {}", db.name(), e.getMessage());
    fail(e);
  }

  /** Answers the waiters of the compaction that ended, then starts one asked for meanwhile. */
  void answer(State state, int logBefore, long bytesBefore, long bytesAfter, CompactionKind kind) {
    CompactResult r = new CompactResult(logBefore, state.carLog().size(), state.generation(), bytesBefore, bytesAfter,
        kind);
    for (ActorRef<StatusReply<CompactResult>> w : waiters) {
      w.tell(StatusReply.success(r));
    }
    waiters.clear();
    if (!next.isEmpty()) {
      waiters.addAll(next);
      next.clear();
    }
    if (requested && running == null) {
      if (nothingToDo(state)) {
        requested = false;
        want = Want.AUTO;
        answer(state, state.carLog().size(), 0, 0, CompactionKind.MAJOR);
        return;
      }
      armMaxWait(); // its wait for an idle queue starts now
      startIfIdle(state);
    }
  }

  void fail(KilnException error) {
    for (ActorRef<StatusReply<CompactResult>> w : waiters) {
      w.tell(StatusReply.error(error));
    }
    waiters.clear();
    for (ActorRef<StatusReply<CompactResult>> w : next) {
      w.tell(StatusReply.error(error));
    }
    next.clear();
    requested = false;
    want = Want.AUTO;
  }

  /** After a journal restart: the waiters got {@code failure}, and nothing is requested or running. */
  void restarted(KilnException failure) {
    fail(failure);
    running = null;
  }
}
