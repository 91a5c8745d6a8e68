package dev.kiln.engine.actor;

import dev.kiln.engine.commit.CommitBuilder;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;

/**
 * The DatabaseActor's part that admits writes: it numbers each write and sends it to the
 * CommitActor, keeps how to answer it until its fate is known, refuses writes past
 * {@code max-pending-writes} (or {@code max-held-writes} while held) with OVERLOADED, holds new
 * writes while a waiting compaction lets the queue drain (invariant 3), and knows whether the
 * CommitActor's last Idle covers the newest write sent (invariant 2). Used on the actor's thread only.
 */
final class WriteAdmission {
  /** How to answer one write request once its fate is known. */
  interface Replier {
    void ok(List<CommitBuilder.Applied> applied, String clock);

    void fail(KilnException error);

    /** Answers {@code replyTo} with what {@code ok} makes of the writes' results and clock, or with the error. */
    static <T> Replier of(ActorRef<StatusReply<T>> replyTo, BiFunction<List<CommitBuilder.Applied>, String, T> ok) {
      return new Replier() {
        @Override
        public void ok(List<CommitBuilder.Applied> applied, String clock) {
          replyTo.tell(StatusReply.success(ok.apply(applied, clock)));
        }

        @Override
        public void fail(KilnException error) {
          replyTo.tell(StatusReply.error(error));
        }
      };
    }

    /** Answers {@code replyTo} with what {@code ok} makes of the commit's clock, or with the error. */
    static <T> Replier answering(ActorRef<StatusReply<T>> replyTo, Function<String, T> ok) {
      return of(replyTo, (applied, clock) -> ok.apply(clock));
    }
  }

  private record HeldWrite(List<CommitBuilder.Op> ops, Replier replier) {}

  /**
   * Everyone waiting for one request id: the write sent first and the same id sent again while it
   * is in flight. Each is answered once, with the one outcome.
   */
  private final class SameRequest implements Replier {
    final String request;
    final List<Replier> waiting = new ArrayList<>(1);

    SameRequest(String request, Replier first) {
      this.request = request;
      waiting.add(first);
    }

    @Override
    public void ok(List<CommitBuilder.Applied> applied, String clock) {
      inFlight.remove(request);
      waiting.forEach(r -> r.ok(applied, clock));
    }

    @Override
    public void fail(KilnException error) {
      inFlight.remove(request);
      waiting.forEach(r -> r.fail(error));
    }
  }

  private final DatabaseContext db;
  private final Consumer<CommitBuilder.Unit> commit;
  private final Map<Long, Replier> pending = new HashMap<>();
  private final ArrayDeque<HeldWrite> held = new ArrayDeque<>();
  /** Requests with an id that are pending or held, by id. */
  private final Map<String, SameRequest> inFlight = new HashMap<>();
  private boolean holding;
  private long lastSent;
  private long lastIdle;

  WriteAdmission(DatabaseContext db, Consumer<CommitBuilder.Unit> commit) {
    this.db = db;
    this.commit = commit;
  }

  void admit(List<CommitBuilder.Op> ops, Replier replier) {
    if (pending.size() >= db.settings().maxPendingWrites()) {
      replier.fail(DatabaseContext.overloaded(db.name(), pending.size() + " writes are already waiting for their commit"));
    } else if (holding) {
      if (held.size() >= db.settings().maxHeldWrites()) {
        replier.fail(DatabaseContext.overloaded(db.name(), held.size()
            + " writes are held while a compaction takes its snapshot"));
      } else {
        held.add(new HeldWrite(ops, replier));
      }
    } else {
      submit(ops, replier);
    }
  }

  /**
   * A write with a request id ({@code request}; null: as {@link #admit(List, Replier)}): one whose id
   * {@code window} remembers is answered as it was and sends nothing; one whose id is in flight is
   * answered with that write's outcome.
   */
  void admit(List<CommitBuilder.Op> ops, Replier replier, String request, RequestWindow window) {
    if (request == null) {
      admit(ops, replier);
      return;
    }
    RequestWindow.Remembered done = window.find(request);
    if (done != null) {
      replier.ok(done.answered().applied(), done.commit().toString());
      return;
    }
    SameRequest same = inFlight.get(request);
    if (same != null) {
      same.waiting.add(replier);
      return;
    }
    same = new SameRequest(request, replier);
    inFlight.put(request, same);
    admit(ops, same);
  }

  /** A single put or delete, answered with its WriteResult. */
  private void admit(CommitBuilder.Op op, ActorRef<StatusReply<DatabaseProtocol.WriteResult>> replyTo, String request,
      RequestWindow window) {
    admit(List.of(op), Replier.of(replyTo, (applied, clock) -> applied.get(0).toResult(clock)), request, window);
  }

  void admit(DatabaseProtocol.Put put, RequestWindow window) {
    admit(new CommitBuilder.Put(put.doc(), put.expected()), put.replyTo(), put.requestId(), window);
  }

  void admit(DatabaseProtocol.Delete delete, RequestWindow window) {
    admit(new CommitBuilder.Delete(delete.id(), delete.expected()), delete.replyTo(), delete.requestId(), window);
  }

  /** A bulk put: one write of all its documents, answered with one result each. */
  void admit(DatabaseProtocol.PutAll cmd, RequestWindow window) {
    if (cmd.docs() == null || cmd.docs().isEmpty()) {
      cmd.fail(new KilnException(ErrorCode.INVALID_DOCUMENT, "a bulk write needs at least one document"));
      return;
    }
    List<CommitBuilder.Op> ops = new ArrayList<>(cmd.docs().size());
    for (var doc : cmd.docs()) {
      ops.add(new CommitBuilder.Put(doc));
    }
    admit(ops, Replier.of(cmd.replyTo(), (applied, clock) ->
        new DatabaseProtocol.BulkResult(applied.stream().map(a -> a.toResult(clock)).toList(), clock)),
        cmd.requestId(), window);
  }

  /** The requests with an id that {@code result} commits, for its event; before they are answered. */
  List<Events.Answered> answered(CommitBuilder.Result result) {
    List<Events.Answered> answered = new ArrayList<>();
    for (CommitBuilder.Outcome o : result.outcomes()) {
      if (!o.failed() && pending.get(o.writeId()) instanceof SameRequest same) {
        answered.add(new Events.Answered(same.request, o.applied()));
      }
    }
    return answered;
  }

  private void submit(List<CommitBuilder.Op> ops, Replier replier) {
    long id = ++lastSent;
    pending.put(id, replier);
    commit.accept(new CommitBuilder.Unit(id, ops));
  }

  /** From now on new writes wait until {@link #releaseHeld}. */
  void hold() {
    holding = true;
  }

  void releaseHeld() {
    if (holding) {
      holding = false;
      while (!held.isEmpty()) {
        HeldWrite h = held.poll();
        submit(h.ops(), h.replier());
      }
    }
  }

  /** The CommitActor had nothing queued or in flight after write {@code lastWriteId}. */
  void idle(long lastWriteId) {
    lastIdle = Math.max(lastIdle, lastWriteId);
  }

  /** Only an Idle for the newest write sent means the commit queue is empty; a stale one does not count. */
  boolean queueEmpty() {
    return lastIdle == lastSent;
  }

  boolean noneWaiting() {
    return pending.isEmpty() && held.isEmpty();
  }

  void answerFailed(CommitBuilder.Result result) {
    for (CommitBuilder.Outcome o : result.outcomes()) {
      if (o.failed()) {
        Replier r = pending.remove(o.writeId());
        if (r != null) {
          r.fail(o.error());
        }
      }
    }
  }

  void answerSucceeded(CommitBuilder.Result result, String clock) {
    for (CommitBuilder.Outcome o : result.outcomes()) {
      if (!o.failed()) {
        Replier r = pending.remove(o.writeId());
        if (r != null) {
          r.ok(o.applied(), clock);
        }
      }
    }
  }

  /** A batch the CommitActor could not store: its writes are answered with the error. */
  void commitFailed(Internal.CommitFailed m) {
    KilnException error = Errors.toKiln(m.error());
    db.actor().getLog().warn("database {}: a commit failed, {} writes not stored: {}", db.name(), m.writeIds().size(),
        error.getMessage());
    fail(m.writeIds(), error);
  }

  void fail(List<Long> writeIds, KilnException error) {
    for (long id : writeIds) {
      Replier r = pending.remove(id);
      if (r != null) {
        r.fail(error);
      }
    }
  }

  /** Fails every write sent or held (none was acknowledged). */
  void failAll(KilnException error) {
    pending.values().forEach(r -> r.fail(error));
    pending.clear();
    held.forEach(h -> h.replier().fail(error));
    held.clear();
  }

  /** After a journal restart: nothing is held, and the queue starts again after the last id sent; returns it. */
  long restarted() {
    holding = false;
    lastIdle = lastSent;
    return lastSent;
  }
}
