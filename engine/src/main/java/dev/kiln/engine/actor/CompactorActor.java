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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
      List<Block> blocks = reachable(new CarLogBlocks(store, snapshot, cache, false), snapshot.head());
      CarIndex car = store.write(List.of(snapshot.head()), blocks);
      return new Done(m.epoch(), snapshot, car, null);
    }, blocking);
    context.pipeToSelf(work, (done, error) ->
        error == null ? done : new Done(m.epoch(), snapshot, null, Errors.unwrap(error)));
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

  /**
   * Every block reachable from {@code root} by following links, each once, in depth-first order
   * from the root (a block's links pushed on a stack when first seen). It reads level by level,
   * so each level's blocks are read together ({@link BlockSource#getAll}), then lists them in
   * that order from the links it noted.
   */
  public static List<Block> reachable(BlockSource source, Cid root) {
    Map<Cid, Block> blocks = new HashMap<>();
    Map<Cid, List<Cid>> linksOf = new HashMap<>();
    Set<Cid> seen = new HashSet<>();
    seen.add(root);
    List<Cid> level = List.of(root);
    while (!level.isEmpty()) {
      List<Cid> next = new ArrayList<>();
      for (Block block : source.getAll(level)) {
        blocks.put(block.cid(), block);
        if (mayHaveLinks(block)) {
          List<Cid> links = new ArrayList<>();
          collectLinks(block.decode(), links);
          linksOf.put(block.cid(), links);
          for (Cid link : links) {
            if (seen.add(link)) {
              next.add(link);
            }
          }
        }
      }
      level = next;
    }
    List<Block> out = new ArrayList<>(blocks.size());
    Set<Cid> pushed = new HashSet<>();
    ArrayDeque<Cid> todo = new ArrayDeque<>();
    todo.push(root);
    pushed.add(root);
    while (!todo.isEmpty()) {
      Cid cid = todo.pop();
      out.add(blocks.get(cid));
      for (Cid link : linksOf.getOrDefault(cid, List.of())) {
        if (pushed.add(link)) {
          todo.push(link);
        }
      }
    }
    return out;
  }

  /**
   * False only for a block that cannot link: a raw block, or a dag-cbor block without the bytes
   * 0xD8 0x2A, which start every DAG-CBOR link (tag 42). Most blocks of a database are documents
   * without links, so this skips decoding them. A pair that happens to sit inside a string or
   * number only costs a decode.
   */
  public static boolean mayHaveLinks(Block block) {
    if (block.cid().codec() != Cid.DAG_CBOR) {
      return false;
    }
    byte[] bytes = block.bytes();
    for (int i = 0, end = bytes.length - 1; i < end; i++) {
      if (bytes[i] == (byte) 0xD8 && bytes[i + 1] == 0x2A) {
        return true;
      }
    }
    return false;
  }

  /** The links in {@code value}, in the order they appear (lists in order, maps by value order). */
  public static void collectLinks(Object value, List<Cid> into) {
    if (value instanceof Cid cid) {
      into.add(cid);
    } else if (value instanceof List<?> list) {
      for (Object item : list) {
        collectLinks(item, into);
      }
    } else if (value instanceof Map<?, ?> map) {
      for (Object item : map.values()) {
        collectLinks(item, into);
      }
    }
  }
}
