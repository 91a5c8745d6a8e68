package dev.kiln.cluster;

import com.typesafe.config.Config;
import dev.kiln.engine.actor.DatabaseActor;
import dev.kiln.engine.api.DatabaseHosting;
import dev.kiln.engine.api.Kiln;
import dev.kiln.protocol.DatabaseProtocol;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * Kiln's databases as sharded entities of a Pekko cluster: entity id = database name, the entity is
 * the {@link DatabaseActor} itself (its CommitActor and CompactorActor are its children), so each
 * database runs on exactly one node at a time and every node reaches it through an {@code EntityRef}.
 * Chosen with {@code kiln.hosting = "dev.kiln.cluster.ShardedHosting"}; the ActorSystem must be a
 * cluster member ({@code pekko.actor.provider = cluster}, see {@code conf/cluster.conf}).
 *
 * <p>A database idle for {@code kiln.cluster.passivate-after} is stopped (it answers every write
 * already sent, then stops) and starts again on its next request, on whichever node the shard is
 * then. Rebalancing and a graceful leave stop it the same way before it starts on its new node.
 */
public final class ShardedHosting implements DatabaseHosting {
  /** The entity type of Kiln's databases. */
  public static final EntityTypeKey<DatabaseProtocol.Command> DATABASE =
      EntityTypeKey.create(DatabaseProtocol.Command.class, "KilnDatabase");

  private final ClusterSharding sharding;

  /** Starts sharding for Kiln's databases on this node (called by Kiln when it starts). */
  public ShardedHosting(Kiln kiln) {
    Config config = kiln.system().settings().config().getConfig("kiln.cluster");
    ClusterShardingSettings settings = ClusterShardingSettings.create(kiln.system());
    settings = settings.withPassivationStrategy(settings.passivationStrategySettings()
        .withIdleEntityPassivation(config.getDuration("passivate-after")));
    String role = config.getString("role");
    if (!role.isEmpty()) {
      settings = settings.withRole(role);
    }
    this.sharding = ClusterSharding.get(kiln.system());
    sharding.init(Entity.of(DATABASE, ctx -> kiln.entity(ctx.getEntityId()))
        .withSettings(settings)
        .withStopMessage(DatabaseActor.passivate()));
  }

  @Override
  public RecipientRef<DatabaseProtocol.Command> database(String name) {
    return sharding.entityRefFor(DATABASE, name);
  }
}
