package dev.kiln.engine.actor;

import dev.kiln.engine.config.DatabaseSettings;
import com.github.benmanes.caffeine.cache.Cache;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.car.CarStore;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * How a DatabaseActor gets its CommitActor and CompactorActor. The real wiring spawns them as
 * children; tests put probes in their place to deliver the children's messages in any order.
 */
public interface Wiring {
  /** What a child needs: the database it reports to and the shared resources. */
  record Parts(ActorContext<DatabaseProtocol.Command> context, CarStore store, Cache<Cid, Block> cache,
      Executor blocking, DatabaseSettings settings) {}

  ActorRef<CommitActor.Command> commitActor(Parts parts);

  /**
   * Where the database and its children run blocking work: {@code kiln.blocking-dispatcher}. A test
   * may queue the work instead, to decide when each piece runs.
   */
  default Executor blocking(ActorContext<DatabaseProtocol.Command> context) {
    return context.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig("kiln.blocking-dispatcher"));
  }

  ActorRef<CompactorActor.Command> compactor(Parts parts);

  /**
   * Where reads run: {@code kiln.read-dispatcher}, threads of their own, so that reads cannot starve
   * the commits and compactions of {@link #blocking}.
   */
  default Executor reads(ActorContext<DatabaseProtocol.Command> context) {
    return context.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig("kiln.read-dispatcher"));
  }

  /** Spawns the real children. */
  static Wiring children() {
    return new Wiring() {
      @Override
      public ActorRef<CommitActor.Command> commitActor(Parts p) {
        return p.context().spawn(
            CommitActor.create(p.context().getSelf(), p.store(), p.cache(), p.blocking(), p.settings()), "commit");
      }

      @Override
      public ActorRef<CompactorActor.Command> compactor(Parts p) {
        return p.context().spawn(
            CompactorActor.create(p.context().getSelf(), p.store(), p.cache(), p.blocking()), "compactor");
      }
    };
  }
}
