package dev.kiln.engine.actor;

import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.Command;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;

/**
 * Where a DatabaseActor stands, in one value instead of flags. It starts {@link Opening}, and opens
 * again after every journal restart; opening ends {@link Running} or {@link Failed}, and a failure
 * of the disk goes back to Opening when it is retried. Close and Destroy make it {@link Closing},
 * which keeps the opening phase it came from: a journal restart while closing opens again, and the
 * close completes after that. The actor stops from Closing; there is no phase after it.
 */
sealed interface Phase {

  /** Loading the CarLog: requests wait in the stash. */
  record Opening() implements Phase {}

  /** Open: requests are handled. */
  record Running() implements Phase {}

  /** Opening failed: requests are answered with {@code error} (a disk failure is retried). */
  record Failed(KilnException error) implements Phase {}

  /**
   * Close ({@code destroy} false) or Destroy asked by {@code replyTo}: requests get CLOSED, and the
   * actor stops once every write sent has its answer. {@code open} is Opening, Running or Failed.
   */
  record Closing(ActorRef<StatusReply<Done>> replyTo, boolean destroy, Phase open) implements Phase {}

  Phase OPENING = new Opening();
  Phase RUNNING = new Running();

  /** The opening phase, inside a Closing or not. */
  default Phase open() {
    return this instanceof Closing c ? c.open() : this;
  }

  /** This phase with its opening phase now {@code next} (kept inside a Closing). */
  default Phase opened(Phase next) {
    return this instanceof Closing c ? new Closing(c.replyTo(), c.destroy(), next) : next;
  }

  /** Requests wait in the stash until the database is loaded. */
  default boolean loading() {
    return open() instanceof Opening;
  }

  /** Loaded, with the CarLog's CARs open: a compaction may take its snapshot. */
  default boolean loaded() {
    return open() instanceof Running;
  }

  default boolean closing() {
    return this instanceof Closing;
  }

  /**
   * The one place requests are refused: CLOSED once Close or Destroy was asked, the opening's error
   * after opening failed (a Close or Destroy is still taken then). Subscriptions and view closes
   * are never refused. Null when {@code command} is taken.
   */
  default KilnException refusal(String name, Command command) {
    boolean request = command instanceof DatabaseProtocol.Request<?> || command instanceof DatabaseProtocol.InView;
    boolean close = command instanceof DatabaseProtocol.Close || command instanceof DatabaseProtocol.Destroy;
    if (!request || (close && !closing())) {
      return null;
    }
    return refusal(name);
  }

  /**
   * The phase once the journal failed and the actor restarts from it. A Destroy whose Destroyed
   * event (or a write it waited for) failed destroyed nothing: it is answered so, and the database
   * opens again from its journal.
   */
  default Phase afterJournalFailure(String name) {
    if (this instanceof Closing c && c.destroy()) {
      c.replyTo().tell(StatusReply.error(new KilnException(ErrorCode.JOURNAL, "the journal failed while database "
          + name + " was being destroyed; it was not destroyed and is open again")));
      return OPENING;
    }
    return this;
  }

  /** What a request that needs an open database is answered with in this phase, or null when none. */
  default KilnException refusal(String name) {
    if (this instanceof Closing) {
      return new KilnException(ErrorCode.CLOSED, "database " + name + " is closed");
    }
    return this instanceof Failed f ? f.error() : null;
  }
}
