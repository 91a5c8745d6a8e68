package dev.kiln.engine.actor;

import dev.kiln.protocol.DatabaseProtocol.Close;
import dev.kiln.protocol.DatabaseProtocol.Command;
import dev.kiln.protocol.DatabaseProtocol.Destroy;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;

/**
 * Answers requests while a database's journal cannot be replayed (a damaged event, say). Pekko
 * then restarts the actor with backoff again and again, and every request would wait, unanswered,
 * in a stash that each failed replay discards. The gate sits outside that restart: after a failed
 * replay it answers each request at once with a JOURNAL error naming the cause (a close stops the
 * database), until a replay succeeds. It only ever runs on the actor's own thread.
 */
final class ReplayGate extends BehaviorInterceptor<Command, Command> {
  private final String name;
  private final ActorRef<Command> self;
  private final List<Command> duringReplay = new ArrayList<>();
  private boolean replaying = true;
  private KilnException failure;
  /** Bound on requests received and not yet handled; past it a request gets OVERLOADED here. */
  private final int maxWaiting;
  private int waiting;

  /**
   * Pekko's stash capacity for the actor behind the gate: larger than every bound of our own
   * (requests waiting, reads, writes, held writes, and room for internal messages), so the stash
   * never drops a request the gate let in (Pekko's default of 1,000 would drop the rest).
   */
  static int stashCapacity(dev.kiln.engine.config.DatabaseSettings s) {
    return s.maxWaitingRequests() + s.maxPendingReads() + s.maxPendingWrites() * 2 + s.maxHeldWrites() + 4096;
  }

  ReplayGate(String name, ActorRef<Command> self, int maxWaiting) {
    super(Command.class);
    this.name = name;
    this.self = self;
    this.maxWaiting = maxWaiting;
  }

  /** The actor's command handler took a request (rather than stashing it). */
  void handled() {
    waiting = Math.max(0, waiting - 1);
  }

  @Override
  public Behavior<Command> aroundReceive(TypedActorContext<Command> ctx, Command msg, ReceiveTarget<Command> target) {
    if (!Internal.isRequest(msg)) {
      return target.apply(ctx, msg);
    }
    if (failure != null) {
      if (msg instanceof Close c) {
        c.replyTo().tell(StatusReply.ack());
        return Behaviors.stopped();
      }
      if (msg instanceof Destroy d) {
        d.replyTo().tell(StatusReply.error(failure));
        return Behaviors.stopped();
      }
      answer(msg, failure);
      return Behaviors.same();
    }
    if (waiting >= maxWaiting && !(msg instanceof Close) && !(msg instanceof Destroy)) {
      // Stashed past this, Pekko would drop requests without an answer (while opening, persisting,
      // or during the backoff restart after a journal failure).
      answer(msg, new KilnException(ErrorCode.OVERLOADED, "database " + name + " is overloaded: " + waiting
          + " requests are waiting to be handled (kiln.max-waiting-requests); nothing of this request was done, retry later"));
      return Behaviors.same();
    }
    waiting++;
    if (replaying) {
      duringReplay.add(msg);
    }
    return target.apply(ctx, msg);
  }

  private static void answer(Command command, KilnException error) {
    Internal.replyError(command, error);
  }

  /** The actor restarts and replays its journal again. */
  void replayStarted() {
    replaying = true;
  }

  void replayed() {
    replaying = false;
    failure = null;
    duringReplay.clear();
  }

  /** Requests that came during the failed replay were lost with its stash: they come round again and get the error. */
  void replayFailed(Throwable cause) {
    Throwable root = cause;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    failure = new KilnException(ErrorCode.JOURNAL, "database " + name + " cannot be opened: its journal cannot be "
        + "replayed (" + cause.getMessage() + (root != cause ? "; " + root.getMessage() : "") + "); nothing was changed, "
        + "requests fail until a replay succeeds", cause);
    replaying = false;
    waiting = 0; // from now on every request is answered here, until a replay succeeds
    for (Command c : duringReplay) {
      self.tell(c);
    }
    duringReplay.clear();
  }
}
