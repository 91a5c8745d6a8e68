package dev.kiln.engine.actor;

import com.github.benmanes.caffeine.cache.Cache;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockGraph;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.snapshot.CarLogBlocks;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Writes every block reachable from a snapshot's commit block into one CAR. It follows every link
 * of every block, so the compacted CAR holds the document tree, the sequence trees, each document
 * and anything a later format adds, without knowing their shapes (invariant 6). It reads through
 * the snapshot it was handed, which the DatabaseActor leased for it.
 */
public final class CompactorActor extends AbstractBehavior<CompactorActor.Command> {

  /** Local only: sent among Kiln's actors of one system, never serialized. */
  public interface Command extends NoSerializationVerificationNeeded {}

  public record Compact(long epoch, Snapshot snapshot) implements Command {}

  private record Done(long epoch, Snapshot snapshot, CarIndex car, Throwable error) implements Command {}

  private final ActorContext<Command> context;
  private final ActorRef<DatabaseProtocol.Command> database;
  private final CarStore store;
  private final Cache<Cid, Block> cache;
  private final Executor blocking;

  public static Behavior<Command> create(ActorRef<DatabaseProtocol.Command> database, CarStore store,
      Cache<Cid, Block> cache, Executor blocking) {
    return Behaviors.setup(ctx -> new CompactorActor(ctx, database, store, cache, blocking));
  }

  private CompactorActor(ActorContext<Command> context, ActorRef<DatabaseProtocol.Command> database,
      CarStore store, Cache<Cid, Block> cache, Executor blocking) {
    super(context);
    this.context = context;
    this.database = database;
    this.store = store;
    this.cache = cache;
    this.blocking = blocking;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Compact.class, this::onCompact)
        .onMessage(Done.class, this::onDone)
        .build();
  }

  private Behavior<Command> onCompact(Compact m) {
    Snapshot snapshot = m.snapshot();
    CompletableFuture<Done> work = CompletableFuture.supplyAsync(() -> {
      List<Block> blocks = BlockGraph.reachable(new CarLogBlocks(store, snapshot, cache, false), snapshot.head());
      CarIndex car = store.write(List.of(snapshot.head()), blocks);
      return new Done(m.epoch(), snapshot, car, null);
    }, blocking);
    context.pipeToSelf(work, (done, error) ->
        error == null ? done : new Done(m.epoch(), snapshot, null, Errors.unwrap(error)));
    return this;
  }

  private Behavior<Command> onDone(Done m) {
    if (m.error() != null) {
      database.tell(new Internal.CompactionFailed(m.epoch(), m.snapshot(), m.error()));
    } else {
      database.tell(new Internal.CompactionDone(m.epoch(), m.snapshot(), m.car()));
    }
    return this;
  }
}
