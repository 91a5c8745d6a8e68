package dev.kiln.cluster;

import dev.kiln.engine.api.DatabaseHosting;
import dev.kiln.engine.api.Kiln;
import dev.kiln.protocol.DatabaseProtocol;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Fault injection for the in-JVM cluster tests: {@link ShardedHosting} behind one proxy actor per
 * database on this node that loses the first attempt of each request as Pekko may lose it during a
 * hand-off. With {@code kiln.test.lossy = drop}, the first message of each write request id and of
 * each document read is dropped (as a region drops what it buffered for a shard being handed off);
 * with {@code late}, the first attempt of each write request id is held back and delivered right
 * after the second (an answer that came too late, and the request sent again).
 */
public final class LossyHosting implements DatabaseHosting {
  private final ShardedHosting sharded;
  private final Kiln kiln;
  private final boolean late;
  private final Map<String, ActorRef<DatabaseProtocol.Command>> proxies = new ConcurrentHashMap<>();

  public LossyHosting(Kiln kiln) {
    this.kiln = kiln;
    this.sharded = new ShardedHosting(kiln);
    this.late = "late".equals(kiln.system().settings().config().getString("kiln.test.lossy"));
  }

  @Override
  public RecipientRef<DatabaseProtocol.Command> database(String name) {
    return proxies.computeIfAbsent(name, n -> kiln.system().systemActorOf(proxy(sharded.database(n)),
        "lossy-" + n, Props.empty()));
  }

  private Behavior<DatabaseProtocol.Command> proxy(RecipientRef<DatabaseProtocol.Command> entity) {
    Set<String> seen = new HashSet<>();
    Map<String, DatabaseProtocol.Command> held = new HashMap<>();
    return Behaviors.receiveMessage(m -> {
      String key = m instanceof DatabaseProtocol.Identified w && w.requestId() != null ? w.requestId()
          : m instanceof DatabaseProtocol.Get g && !late ? "get:" + g.id() : null;
      if (key == null) {
        entity.tell(m);
      } else if (seen.add(key)) {
        if (late) {
          held.put(key, m);
        } // else: the first attempt is lost
      } else {
        entity.tell(m); // sent again: delivered, and then the first attempt when it was held back
        DatabaseProtocol.Command first = held.remove(key);
        if (first != null) {
          entity.tell(first);
        }
      }
      return Behaviors.same();
    });
  }
}
