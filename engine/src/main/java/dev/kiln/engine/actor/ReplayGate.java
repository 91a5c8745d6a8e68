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

  ReplayGate(String name, ActorRef<Command> self) {
    super(Command.class);
    this.name = name;
    this.self = self;
  }

  @Override
  public Behavior<Command> aroundReceive(TypedActorContext<Command> ctx, Command msg, ReceiveTarget<Command> target) {
    if (!DatabaseActor.isExternal(msg)) {
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
    if (replaying) {
      duringReplay.add(msg);
    }
    return target.apply(ctx, msg);
  }

  private static void answer(Command command, KilnException error) {
    DatabaseActor.replyError(command, error);
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
    for (Command c : duringReplay) {
      self.tell(c);
    }
    duringReplay.clear();
  }
}
