package dev.kiln.engine.actor;

import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.commit.CommitBuilder;
import dev.kiln.engine.commit.CommitRoots;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.ChangeBatch;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The messages a DatabaseActor gets from its own children, timers and futures, never from a
 * client. They share the database's mailbox, so they are {@link DatabaseProtocol.Command}s; this
 * sealed type is how the actor and its {@link ReplayGate} tell them from requests. Each carries
 * the epoch of the incarnation that caused it where a journal restart makes it stale.
 */
sealed interface Internal extends DatabaseProtocol.Command, org.apache.pekko.actor.NoSerializationVerificationNeeded {

  /** The CommitActor wrote a CAR (or found nothing to commit: {@code car} is null). */
  record Committed(long epoch, CommitBuilder.Result result, CarIndex car) implements Internal {}

  /** A batch failed before anything was appended (a storage error); none of it was stored. */
  record CommitFailed(long epoch, List<Long> writeIds, Throwable error) implements Internal {}

  /** Nothing is queued or in flight in the CommitActor; the last write it was given is {@code lastWriteId}. */
  record Idle(long epoch, long lastWriteId) implements Internal {}

  record ReleaseLease(long epoch, long generation) implements Internal {}

  /** A read ended (answered, failed, or stopped after its timeout): its lease and its slot go back. */
  record ReadDone(long generation) implements Internal {}

  record CompactionDone(long epoch, Snapshot snapshot, CompactorActor.Result result) implements Internal {
    /** A major compaction that wrote {@code car}. */
    CompactionDone(long epoch, Snapshot snapshot, CarIndex car) {
      this(epoch, snapshot, new CompactorActor.Result(car, 0, car.byteSize()));
    }

    CarIndex car() {
      return result.car();
    }
  }

  record CompactionFailed(long epoch, Snapshot snapshot, Throwable error) implements Internal {}

  /**
   * The CarLog is open; {@code migration}, when not null, is a CAR written (not yet in the journal)
   * holding the head in the current commit format, made from an older format's head.
   */
  record Loaded(long epoch, Map<Cid, CarIndex> indexes, CommitRoots roots, Migration migration, Throwable error)
      implements Internal {}

  /** A head migrated to the current commit format: the CAR holding it and its commit block. */
  record Migration(CarIndex car, Cid commit, long seq) {}

  /** A timer's message (the schedule explorer fires it itself). */
  record MaxWaitElapsed(long epoch, long request) implements Internal {}

  /** Open again after a storage failure while opening. */
  record RetryLoad(long epoch) implements Internal {}

  record DeletionDone(long epoch, List<Cid> cars, Throwable error) implements Internal {}

  record SubscriberGone(ActorRef<ChangeBatch> subscriber) implements Internal {}

  record CloseCheck() implements Internal {}

  /** A timer's message (the schedule explorer fires it itself). */
  record ViewIdle(long epoch, long view) implements Internal {}

  record DestroyDone(long epoch, Throwable error) implements Internal {}

  /** Replayed in epoch {@code epoch}: persist {@link Events.Fenced} before opening the files. */
  record Fence(long epoch) implements Internal {}

  /** Stop like a Close, answering nobody: a cluster passivates an idle database or hands it off. */
  record Passivate() implements Internal {}

  /** A client's message (a request, a subscription, a view close), as opposed to an internal one. */
  static boolean isRequest(DatabaseProtocol.Command command) {
    return !(command instanceof Internal);
  }

  /** Answers a request of any kind with an error (for requests that arrive wrapped or too early). */
  static void replyError(DatabaseProtocol.Command command, dev.kiln.protocol.KilnException error) {
    if (command instanceof DatabaseProtocol.InView v) {
      replyError(v.read(), error);
    } else if (command instanceof DatabaseProtocol.Request<?> r) {
      r.fail(error);
    } // subscriptions and view closes: nothing to answer
  }
}
