package dev.kiln.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.api.Database;
import dev.kiln.engine.api.Kiln;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Leave;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kiln's databases as sharded entities, on cluster nodes in one JVM: the same {@link Database} API
 * through every node, one entity per database, hand-off on a graceful leave, passivation.
 */
class ShardedDatabasesTest {
  @TempDir Path dir;
  InJvmCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static ObjectNode doc(String id, int v) {
    ObjectNode doc = JsonNodeFactory.instance.objectNode();
    doc.put("_id", id);
    doc.put("v", v);
    return doc;
  }

  static <T> T join(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(2, TimeUnit.MINUTES);
  }

  @Test
  void manyDatabasesSpreadOverTheNodesAndWrittenThroughEveryNode() throws Exception {
    cluster = new InJvmCluster(dir, "");
    for (int i = 0; i < 3; i++) {
      cluster.start();
    }
    int databases = 12;
    int perNode = 5;
    List<CompletableFuture<DatabaseProtocol.WriteResult>> writes = new ArrayList<>();
    for (int n = 0; n < 3; n++) {
      Kiln kiln = Kiln.get(cluster.nodes.get(n));
      for (int d = 0; d < databases; d++) {
        Database db = kiln.open("spread-" + d);
        for (int i = 0; i < perNode; i++) {
          writes.add(db.put(doc("n" + n + "-" + i, i)).toCompletableFuture());
        }
      }
    }
    for (CompletableFuture<DatabaseProtocol.WriteResult> w : writes) {
      join(w); // every write through every node is acknowledged
    }
    for (int n = 0; n < 3; n++) {
      Kiln kiln = Kiln.get(cluster.nodes.get(n));
      for (int d = 0; d < databases; d++) {
        assertThat(join(kiln.open("spread-" + d).allDocs()).rows()).as("spread-" + d + " read through node " + n)
            .hasSize(3 * perNode);
      }
    }
    // each database runs on exactly one node, and the databases are spread over more than one node
    Map<String, Integer> hosts = new HashMap<>();
    int nodesWithDatabases = 0;
    for (ActorSystem<Void> node : cluster.nodes) {
      Set<String> here = InJvmCluster.databasesOn(node);
      nodesWithDatabases += here.isEmpty() ? 0 : 1;
      here.forEach(name -> hosts.merge(name, 1, Integer::sum));
    }
    assertThat(hosts).hasSize(databases);
    assertThat(hosts.values()).containsOnly(1);
    assertThat(nodesWithDatabases).isGreaterThan(1);
  }

  @Test
  void oneDatabaseUsedThroughTwoNodesIsOneEntityWithOneOrder() throws Exception {
    cluster = new InJvmCluster(dir, "");
    Database viaA = Kiln.get(cluster.start()).open("shared");
    Database viaB = Kiln.get(cluster.start()).open("shared");
    int each = 40;
    Map<String, CompletableFuture<DatabaseProtocol.WriteResult>> writes = new HashMap<>();
    for (int i = 0; i < each; i++) {
      writes.put("a-" + i, viaA.put(doc("a-" + i, i)).toCompletableFuture());
      writes.put("b-" + i, viaB.put(doc("b-" + i, i)).toCompletableFuture());
    }
    Map<String, Long> seqOf = new HashMap<>();
    for (var w : writes.entrySet()) {
      seqOf.put(w.getKey(), join(w.getValue()).seq());
    }
    // one sequence for both nodes' writes: no sequence number was given twice
    assertThat(new HashSet<>(seqOf.values())).hasSize(2 * each);
    for (Database via : List.of(viaA, viaB)) {
      DatabaseProtocol.ChangesResult changes = join(via.changes(0, 0));
      assertThat(changes.changes()).hasSize(2 * each);
      long last = 0;
      for (DatabaseProtocol.Change c : changes.changes()) {
        assertThat(c.seq()).isGreaterThan(last).isEqualTo(seqOf.get(c.id()));
        last = c.seq();
      }
    }
    Set<String> onA = InJvmCluster.databasesOn(cluster.nodes.get(0));
    Set<String> onB = InJvmCluster.databasesOn(cluster.nodes.get(1));
    assertThat(onA.contains("shared") ^ onB.contains("shared")).as("on A %s, on B %s", onA, onB).isTrue();
  }

  /** The KilnException a future failed with (the test fails if it completed, or failed otherwise). */
  static KilnException failure(java.util.concurrent.CompletionStage<?> stage) {
    Throwable t = catchThrowable(() -> join(stage));
    assertThat(t).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(KilnException.class);
    return (KilnException) t.getCause();
  }

  @Test
  void aTypedErrorFromADatabaseOnAnotherNodeArrivesWithItsCodeAndReason() throws Exception {
    cluster = new InJvmCluster(dir, "");
    ActorSystem<Void> a = cluster.start();
    ActorSystem<Void> b = cluster.start();
    DatabaseProtocol.WriteResult written = join(Kiln.get(a).open("errors").put(doc("there", 1)));
    // through the node that does not run the database, so the error reply crosses nodes
    ActorSystem<Void> remote = InJvmCluster.databasesOn(a).contains("errors") ? b : a;
    assertThat(InJvmCluster.databasesOn(remote)).doesNotContain("errors");
    Database db = Kiln.get(remote).open("errors");

    KilnException missing = failure(db.get("missing"));
    assertThat(missing.code()).as(missing.toString()).isEqualTo(ErrorCode.NOT_FOUND);
    assertThat(missing.getMessage()).contains("missing");

    KilnException conflict = failure(db.put(doc("there", 2), DatabaseProtocol.Expected.absent()));
    assertThat(conflict.code()).as(conflict.toString()).isEqualTo(ErrorCode.CONFLICT);
    assertThat(conflict.getMessage()).contains("there");

    // the errors changed nothing, and the database still answers through that node
    assertThat(join(db.read("there")).version()).isEqualTo(join(Kiln.get(a).open("errors").read("there")).version());
    assertThat(join(db.get("there")).get("v").asInt()).isEqualTo(1);
    assertThat(join(db.changes(0, 0)).lastSeq()).isEqualTo(written.seq());
    // the other replies that cross nodes: a live feed's events, a compaction's result, the stats
    List<DatabaseProtocol.Change> fed = join(db.liveChanges(Database.Feed.since(0)).take(1).runWith(Sink.seq(), remote));
    assertThat(fed).extracting(DatabaseProtocol.Change::id).containsExactly("there");
    DatabaseProtocol.CompactResult compacted = join(db.compact());
    assertThat(join(db.stats()).generation()).isEqualTo(compacted.generation());
    assertThat(join(db.stats()).documents()).isEqualTo(1);
  }

  @Test
  void aGracefulLeaveHandsTheDatabasesOffWithoutErrors() throws Exception {
    cluster = new InJvmCluster(dir, "");
    for (int i = 0; i < 3; i++) {
      cluster.start();
    }
    int databases = 9;
    Kiln first = Kiln.get(cluster.nodes.get(0));
    for (int d = 0; d < databases; d++) {
      join(first.open("leave-" + d).put(doc("before", d)));
    }
    // a node other than the seed that runs at least one database leaves
    ActorSystem<Void> leaving = InJvmCluster.databasesOn(cluster.nodes.get(2)).isEmpty()
        ? cluster.nodes.get(1) : cluster.nodes.get(2);
    Set<String> moved = InJvmCluster.databasesOn(leaving);
    assertThat(moved).isNotEmpty();
    // by identity: typed ActorSystems are ActorRefs, equal when their (address-less) paths are
    List<ActorSystem<Void>> staying = new ArrayList<>(cluster.nodes);
    staying.removeIf(node -> node == leaving);

    List<CompletableFuture<DatabaseProtocol.WriteResult>> writes = new ArrayList<>();
    Cluster.get(leaving).manager().tell(new Leave(Cluster.get(leaving).selfMember().address()));
    int round = 0;
    // writers through the staying nodes keep going until the leaving node has stopped, and one whole round
    // after: a moved database starts on its new node only with its next request, so only writes sent after
    // the leave make it hosted there
    boolean roundAfterLeave = false;
    while (!roundAfterLeave || round < 2) {
      roundAfterLeave = leaving.whenTerminated().isCompleted();
      for (int s = 0; s < staying.size(); s++) {
        Kiln kiln = Kiln.get(staying.get(s));
        for (int d = 0; d < databases; d++) {
          writes.add(kiln.open("leave-" + d).put(doc("r" + round + "-s" + s, round)).toCompletableFuture());
        }
      }
      for (CompletableFuture<DatabaseProtocol.WriteResult> w : writes.subList(writes.size() - staying.size() * databases,
          writes.size())) {
        join(w); // no write fails while the databases move
      }
      round++;
    }
    cluster.nodes.removeIf(node -> node == leaving);
    cluster.awaitUp(2);
    Set<String> nowHosted = new HashSet<>();
    for (ActorSystem<Void> node : staying) {
      nowHosted.addAll(InJvmCluster.databasesOn(node));
    }
    assertThat(nowHosted).containsAll(moved);
    for (int d = 0; d < databases; d++) {
      assertThat(join(Kiln.get(staying.get(0)).open("leave-" + d).allDocs()).rows())
          .hasSize(1 + round * staying.size());
    }
  }

  @Test
  void anIdleDatabaseIsPassivatedAndComesBackOnTheNextRequest() throws Exception {
    cluster = new InJvmCluster(dir, "kiln.cluster.passivate-after = 1s");
    ActorSystem<Void> a = cluster.start();
    ActorSystem<Void> b = cluster.start();
    join(Kiln.get(a).open("idle").put(doc("kept", 7)));
    assertThat(InJvmCluster.databasesOn(a).contains("idle") || InJvmCluster.databasesOn(b).contains("idle")).isTrue();
    awaitPassivated("idle", a, b);
    ObjectNode got = join(Kiln.get(b).open("idle").get("kept"));
    assertThat(got.get("v").asInt()).isEqualTo(7);
    assertThat(InJvmCluster.databasesOn(a).contains("idle") || InJvmCluster.databasesOn(b).contains("idle")).isTrue();
  }

  /**
   * A live feed holds no entity alive: its pages are asked of the feed's own actor, not through the
   * shard, so an idle database is passivated under it. The feed then ends typed, on the subscriber's
   * node too: CLOSED, saying where to resume; a feed resumed from there reads on without a gap once the
   * database is back.
   */
  @Test
  void aLiveFeedAcrossAPassivationEndsTypedAndResumesWhereItSays() throws Exception {
    cluster = new InJvmCluster(dir, "kiln.cluster.passivate-after = 1s");
    ActorSystem<Void> a = cluster.start();
    ActorSystem<Void> b = cluster.start();
    join(Kiln.get(a).open("followed").put(doc("first", 1)));
    // the feed's subscriber on the node that does not run the database, so its end crosses nodes
    ActorSystem<Void> reader = InJvmCluster.databasesOn(a).contains("followed") ? b : a;
    Database db = Kiln.get(reader).open("followed");
    java.util.concurrent.LinkedBlockingQueue<DatabaseProtocol.Change> seen = new java.util.concurrent.LinkedBlockingQueue<>();
    CompletableFuture<org.apache.pekko.Done> feed = db.liveChanges(Database.Feed.since(0)).runWith(Sink.foreach(seen::add),
        reader).toCompletableFuture();
    assertThat(seen.poll(2, TimeUnit.MINUTES)).extracting(DatabaseProtocol.Change::id).isEqualTo("first");

    awaitPassivated("followed", a, b);
    KilnException ended = failure(feed);
    assertThat(ended.code()).as(ended.toString()).isEqualTo(ErrorCode.CLOSED);
    assertThat(ended.getMessage()).contains("resume from sequence 1");
    assertThat(seen).isEmpty();

    // resumed from where it said: the next write is the next change, nothing before it again
    CompletableFuture<List<DatabaseProtocol.Change>> resumed = db.liveChanges(Database.Feed.since(1)).take(1)
        .runWith(Sink.seq(), reader).toCompletableFuture();
    join(Kiln.get(a).open("followed").put(doc("second", 2)));
    assertThat(join(resumed)).extracting(DatabaseProtocol.Change::id).containsExactly("second");
  }

  /** Until no node runs database {@code name}. */
  @SafeVarargs
  private static void awaitPassivated(String name, ActorSystem<Void>... nodes) {
    InJvmCluster.await("database " + name + " is passivated", () -> {
      try {
        for (ActorSystem<Void> node : nodes) {
          if (InJvmCluster.databasesOn(node).contains(name)) {
            return false;
          }
        }
        return true;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
  }
}
