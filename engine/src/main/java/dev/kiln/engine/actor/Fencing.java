package dev.kiln.engine.actor;

import dev.kiln.engine.actor.Events.Event;
import dev.kiln.engine.actor.Events.State;
import org.apache.pekko.japi.function.Procedure;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;

/**
 * The DatabaseActor's part for a database that may have run elsewhere a moment ago (a cluster
 * entity): after each replay it persists {@link Events.Fenced} before any file is opened or removed,
 * so that a former owner still running can no longer persist anything (docs/DESIGN.md, "Fencing").
 * A database that is not fenced loads straight after its replay. Used on the actor's thread only.
 */
final class Fencing {
  private final DatabaseContext db;
  private final EffectFactories<Event, State> effect;
  private final boolean fenced;

  Fencing(DatabaseContext db, EffectFactories<Event, State> effect, boolean fenced) {
    this.db = db;
    this.effect = effect;
    this.fenced = fenced;
  }

  /** Replayed in {@code epoch}: fence first (persisted from the command handler), or {@code load} now. */
  void replayed(long epoch, Runnable load) {
    if (fenced) {
      db.actor().getSelf().tell(new Internal.Fence(epoch));
    } else {
      load.run();
    }
  }

  /** Fenced first, then the files: {@code load} runs once this incarnation holds the newest sequence number. */
  Effect<Event, State> fence(Internal.Fence m, long epoch, Procedure<State> load) {
    if (m.epoch() != epoch) {
      return effect.none();
    }
    return effect.persist(new Events.Fenced()).thenRun(load);
  }
}
