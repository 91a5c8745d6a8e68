package dev.kiln.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.kiln.engine.api.Kiln;
import dev.kiln.engine.TestTime;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Several cluster nodes (ActorSystems on 127.0.0.1, each on a free port) in this JVM, sharing one
 * data directory and so one embedded journal; every node runs Kiln with {@link ShardedHosting}. With
 * {@code pekko.actor.serialize-messages = on}, every message between them goes through serialization
 * as it would between machines.
 */
final class InJvmCluster implements AutoCloseable {
  final List<ActorSystem<Void>> nodes = new ArrayList<>();
  private final Path dataDir;
  private final String extra;
  private final int seedPort;

  InJvmCluster(Path dataDir, String extraConfig) {
    this.dataDir = dataDir;
    this.extra = extraConfig;
    this.seedPort = freePort();
  }

  /** Starts a node (the first one is the seed) and waits until every started node sees it Up. */
  ActorSystem<Void> start() {
    int port = nodes.isEmpty() ? seedPort : freePort();
    Config config = ConfigFactory.parseString(extra + "\n"
            + "pekko.remote.artery.canonical.port = " + port + "\n"
            + "pekko.cluster.seed-nodes = [\"pekko://kiln@127.0.0.1:" + seedPort + "\"]\n"
            + "kiln.data-dir = \"" + dataDir.toString().replace("\\", "/") + "\"\n")
        .withFallback(ConfigFactory.parseResources("in-jvm-cluster.conf"))
        .withFallback(ConfigFactory.load());
    ActorSystem<Void> node = ActorSystem.create(Behaviors.empty(), "kiln", config);
    nodes.add(node);
    Kiln.get(node);
    awaitUp(nodes.size());
    return node;
  }

  /** Waits until every running node sees {@code count} members Up. */
  void awaitUp(int count) {
    await("every node sees " + count + " members up", () -> nodes.stream().filter(n -> !n.whenTerminated().isCompleted())
        .allMatch(n -> upMembers(n) == count));
  }

  static int upMembers(ActorSystem<?> node) {
    int up = 0;
    for (var m : Cluster.get(node).state().getMembers()) {
      if (m.status() == MemberStatus.up()) {
        up++;
      }
    }
    return up;
  }

  /** The database names whose entity runs on {@code node} now. */
  static Set<String> databasesOn(ActorSystem<?> node) throws Exception {
    ShardRegion.CurrentShardRegionState state = AskPattern.<org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
            ClusterSharding.get(node).shardState(), reply -> new GetShardRegionState(ShardedHosting.DATABASE, reply),
            TestTime.dilated(Duration.ofSeconds(10)), node.scheduler())
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    Set<String> ids = new HashSet<>();
    for (ShardRegion.ShardState shard : state.getShards()) {
      ids.addAll(shard.getEntityIds());
    }
    return ids;
  }

  /** Polls {@code condition} until it holds, for at most a dilated minute. */
  static void await(String what, BooleanSupplier condition) {
    TestTime.await(what, condition, Duration.ofSeconds(60));
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Terminates a node and waits for it. */
  static void terminate(ActorSystem<?> node) {
    node.terminate();
    node.getWhenTerminated().toCompletableFuture().join();
  }

  @Override
  public void close() {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      terminate(nodes.get(i));
    }
  }
}
