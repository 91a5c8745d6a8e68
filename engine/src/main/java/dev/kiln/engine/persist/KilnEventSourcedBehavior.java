package dev.kiln.engine.persist;

import com.typesafe.config.Config;
import java.util.Optional;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;

/**
 * An event-sourced behavior on Kiln's own journal and snapshot store ({@link KilnPersistence}),
 * never the application's default ones, keeping two snapshots and the events after the older one.
 */
public abstract class KilnEventSourcedBehavior<C, E, S> extends EventSourcedBehavior<C, E, S> {
  private final KilnPersistence persistence;

  protected KilnEventSourcedBehavior(PersistenceId id, BackoffSupervisorStrategy onPersistFailure,
      KilnPersistence persistence) {
    super(id, onPersistFailure);
    this.persistence = persistence;
  }

  @Override
  public final String journalPluginId() {
    return persistence.journalPluginId();
  }

  @Override
  public final Optional<Config> journalPluginConfig() {
    return persistence.journalPluginConfig();
  }

  @Override
  public final String snapshotPluginId() {
    return persistence.snapshotPluginId();
  }

  @Override
  public final Optional<Config> snapshotPluginConfig() {
    return persistence.snapshotPluginConfig();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // Events before the older kept snapshot are deleted: the journal holds at most ~300 rows per database.
    return RetentionCriteria.snapshotEvery(100, 2).withDeleteEventsOnSnapshot();
  }
}
