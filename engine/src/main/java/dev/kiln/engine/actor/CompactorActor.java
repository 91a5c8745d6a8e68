package dev.kiln.engine.actor;

import com.github.benmanes.caffeine.cache.Cache;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.storage.CarLogBlocks;
import dev.kiln.engine.storage.Snapshot;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
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

  public interface Command {}

  public record Compact(long epoch, Snapshot snapshot) implements Command {}

  private record Done(long epoch, Snapshot snapshot, CarIndex car, int blocks, Throwable error) implements Command {}

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
      List<Block> blocks = reachable(new CarLogBlocks(store, snapshot, cache, false), snapshot.head());
      CarIndex car = store.write(List.of(snapshot.head()), blocks);
      return new Done(m.epoch(), snapshot, car, blocks.size(), null);
    }, blocking);
    context.pipeToSelf(work, (done, error) ->
        error == null ? done : new Done(m.epoch(), snapshot, null, 0, CommitActor.unwrap(error)));
    return this;
  }

  private Behavior<Command> onDone(Done m) {
    if (m.error() != null) {
      database.tell(new DatabaseActor.CompactionFailed(m.epoch(), m.snapshot(), m.error()));
    } else {
      database.tell(new DatabaseActor.CompactionDone(m.epoch(), m.snapshot(), m.car()));
    }
    return this;
  }

  /** Every block reachable from {@code root} by following links, each once, root first. */
  public static List<Block> reachable(BlockSource source, Cid root) {
    List<Block> out = new ArrayList<>();
    Set<Cid> seen = new HashSet<>();
    ArrayDeque<Cid> todo = new ArrayDeque<>();
    todo.push(root);
    seen.add(root);
    while (!todo.isEmpty()) {
      Block block = source.get(todo.pop());
      out.add(block);
      if (block.cid().codec() == Cid.DAG_CBOR) {
        collectLinks(block.decode(), seen, todo);
      }
    }
    return out;
  }

  private static void collectLinks(Object value, Set<Cid> seen, ArrayDeque<Cid> todo) {
    if (value instanceof Cid cid) {
      if (seen.add(cid)) {
        todo.push(cid);
      }
    } else if (value instanceof List<?> list) {
      for (Object item : list) {
        collectLinks(item, seen, todo);
      }
    } else if (value instanceof Map<?, ?> map) {
      for (Object item : map.values()) {
        collectLinks(item, seen, todo);
      }
    }
  }
}
