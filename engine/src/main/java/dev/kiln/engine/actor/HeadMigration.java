package dev.kiln.engine.actor;

import dev.kiln.engine.actor.Events.CarAppended;
import dev.kiln.engine.actor.Events.Event;
import dev.kiln.engine.actor.Events.State;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.commit.CommitRoots;
import dev.kiln.engine.commit.FormatMigration;
import java.util.List;
import org.apache.pekko.japi.function.Procedure;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;

/**
 * The DatabaseActor's part that brings a head of an older commit format to the current one when the
 * database opens. While {@link Opening} loads (on the blocking dispatcher) the head is rebuilt in
 * the current format and written as a CAR; once loaded, the actor persists that CAR's
 * {@link CarAppended} before anything reads it. Until then the CAR is an orphan, removed at the next
 * start, so a failure in between leaves the database as it was.
 */
final class HeadMigration {
  private final DatabaseContext db;
  private final EffectFactories<Event, State> effect;

  HeadMigration(DatabaseContext db, EffectFactories<Event, State> effect) {
    this.db = db;
    this.effect = effect;
  }

  /** Blocking: {@code head} rebuilt in the current commit format, or null when it is in it already. */
  static FormatMigration.Migrated of(BlockSource blocks, Block head) {
    return FormatMigration.isFormat1(head) ? FormatMigration.migrate(blocks, head) : null;
  }

  /** Blocking, after the orphans went: the migrated head written as a CAR, not yet in the journal. */
  static Internal.Migration write(CarStore store, FormatMigration.Migrated migrated) {
    CarIndex car = store.write(List.of(migrated.commit().cid()), migrated.blocks());
    return new Internal.Migration(car, migrated.commit().cid(), migrated.roots().seq());
  }

  /** On the actor's thread: the migrated head joins the CarLog, then {@code running} goes on. */
  EffectBuilder<Event, State> install(Internal.Migration migration, Procedure<State> running) {
    db.actor().getLog().info("database {}: its head was migrated to commit format {} in CAR {}", db.name(),
        CommitRoots.FORMAT, migration.car().car());
    return effect.persist(new CarAppended(migration.car().car(), migration.commit(), migration.seq()))
        .thenRun(running);
  }
}
