package dev.kiln.engine.actor;

import dev.kiln.engine.actor.Events.Event;
import dev.kiln.engine.actor.Events.State;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;

/**
 * The DatabaseActor's part that ends it. Close, Destroy and a cluster's passivation make the phase
 * {@link Phase.Closing}; a {@link Internal.CloseCheck} then stops the actor once every write sent
 * has its answer (held writes are sent when compaction starts), after persisting
 * {@link Events.Destroyed} and removing every CAR for a Destroy. Used on the actor's thread only;
 * the actor keeps the phase and hands it in.
 */
final class Shutdown {
  private final DatabaseContext db;
  private final EffectFactories<Event, State> effect;
  private final WriteAdmission writes;
  private final Compaction compaction;
  private final Opening opening;

  Shutdown(DatabaseContext db, EffectFactories<Event, State> effect, WriteAdmission writes, Compaction compaction,
      Opening opening) {
    this.db = db;
    this.effect = effect;
    this.writes = writes;
    this.compaction = compaction;
    this.opening = opening;
  }

  /** The phase after a Close ({@code destroy} false) or Destroy asked by {@code replyTo} in {@code phase}. */
  static Phase.Closing closing(Phase phase, ActorRef<StatusReply<Done>> replyTo, boolean destroy) {
    return new Phase.Closing(replyTo, destroy, phase);
  }

  /**
   * The phase after a passivation, which closes like a Close answering nobody; a second one, or one
   * after a Close, changes nothing. Only once loaded: until then it waits in the stash.
   */
  Phase passivated(Phase phase) {
    return phase.closing() ? phase : closing(phase, db.actor().getSystem().ignoreRef(), false);
  }

  /** Checks now whether the actor can stop, when it is closing. */
  void checkIfClosing(Phase phase) {
    if (phase.closing()) {
      db.actor().getSelf().tell(new Internal.CloseCheck());
    }
  }

  /** A write was answered: the last one lets a close go on. */
  void writesSettled(Phase phase) {
    if (writes.noneWaiting()) {
      checkIfClosing(phase);
    }
  }

  /** Stops once every write sent has its answer; a Destroy persists Destroyed and removes the files first. */
  Effect<Event, State> check(Phase phase, long epoch) {
    if (!(phase instanceof Phase.Closing closing) || !writes.noneWaiting()) {
      return effect.none();
    }
    compaction.fail(phase.refusal(db.name()));
    if (!closing.destroy()) {
      return effect.stop().thenRun(s -> closing.replyTo().tell(StatusReply.ack()));
    }
    return effect.persist(new Events.Destroyed()).thenRun(s -> opening.deleteAll(epoch));
  }

  /** The files of a destroyed database are gone (or failed to go): stop and say so. */
  Effect<Event, State> destroyed(Phase phase, Internal.DestroyDone m) {
    ActorRef<StatusReply<Done>> replyTo = ((Phase.Closing) phase).replyTo();
    StatusReply<Done> reply = m.error() == null ? StatusReply.ack() : StatusReply.error(Errors.toKiln(m.error()));
    return effect.stop().thenRun(s -> replyTo.tell(reply));
  }
}
