package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.car.TcpProxy;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.engine.TestTime;
import dev.kiln.testkit.torture.Anomaly;
import dev.kiln.testkit.torture.History;
import dev.kiln.testkit.torture.HistoryChecker;
import dev.kiln.testkit.torture.Op;
import dev.kiln.testkit.torture.Outcome;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A three-node cluster of separate JVMs ({@code kiln serve --cluster conf/cluster.conf}) on one
 * PostgreSQL database (emptied first), 12 databases with writers through every node (so each database
 * is used through several nodes at once), checked with the torture checker's rules (per database:
 * reads return acknowledged or in-flight values, never older than an acknowledged write; the changes
 * feed is one order, complete and at the acknowledged sequences; no unprovoked error such as a
 * missing block). The scenarios: a node SIGKILLed mid-load, then compactions, graceful leaves and a
 * rolling restart; a node paused with SIGSTOP past the failure detector while its databases move,
 * then resumed (it exits, its fenced writes are refused); PostgreSQL cut off behind a TCP proxy and
 * back. Needs PostgreSQL ({@code .ci/postgres.sh}, database {@code kiln_cluster_test}); run with
 * {@code mvn -B -Pcluster verify} (CI: {@code -Pextended}).
 */
@Tag("cluster")
class ClusterProcessTest {
  private static final int DATABASES = 12;
  private static final int DOCS = 6;
  /** How long PostgreSQL stays away: longer than the nodes' kiln.ask-timeout (30 s), so every kind of wait ends in it. */
  private static final Duration OUTAGE = Duration.ofSeconds(45);

  @TempDir Path dir;
  ClusterNodes nodes;
  final ExecutorService writers = Executors.newFixedThreadPool(3);
  final Map<String, History> histories = new ConcurrentHashMap<>();
  final AtomicLong values = new AtomicLong();
  /** When each database last acknowledged a write (System.nanoTime at the invocation). */
  final Map<String, Long> lastAckInvoked = new ConcurrentHashMap<>();
  final long seed = Long.getLong("kiln.cluster.seed", System.nanoTime());
  String prefix;

  @AfterEach
  void stop() throws Exception {
    writers.shutdownNow();
    if (nodes != null) {
      nodes.close();
    }
  }

  private void startCluster() throws Exception {
    startCluster(ClusterNodes.PG_PORT);
  }

  private void startCluster(String pgPort) throws Exception {
    System.out.println("ClusterProcessTest seed " + seed + " (rerun with -Dkiln.cluster.seed=" + seed + ")");
    prefix = "r" + Long.toHexString(seed & 0xffffffL) + "-";
    ClusterNodes.resetDatabase();
    nodes = new ClusterNodes(dir, 3);
    nodes.pgPort = pgPort;
    for (int i = 0; i < 3; i++) {
      nodes.start(i);
    }
    for (int d = 0; d < DATABASES; d++) {
      histories.put(db(d), new History());
    }
    // the cluster has formed once every database took a write through the first node
    long deadline = System.nanoTime() + TestTime.dilated(Duration.ofMinutes(2)).toNanos();
    for (int d = 0; d < DATABASES; d++) {
      while (!acked(db(d), "warmup", 0, "d0")) {
        assertThat(System.nanoTime()).as("the cluster answers a write to %s", db(d)).isLessThan(deadline);
      }
    }
  }

  private String db(int d) {
    return prefix + "db" + d;
  }

  private boolean acked(String db, String process, int node, String doc) {
    Op op = nodes.put(histories.get(db), process, node, db, doc, values.incrementAndGet());
    if (op.acked()) {
      lastAckInvoked.merge(db, op.invoke(), Math::max);
    }
    return op.acked();
  }

  /** {@code count} random operations through {@code node}, on the writer threads. */
  private Future<?> load(int node, int count, long opSeed) {
    return writers.submit(() -> {
      Random random = new Random(opSeed);
      for (int i = 0; i < count && !Thread.currentThread().isInterrupted(); i++) {
        String db = db(random.nextInt(DATABASES));
        String doc = "d" + random.nextInt(DOCS);
        History history = histories.get(db);
        if (random.nextInt(4) == 0) {
          nodes.get(history, "node" + node, node, db, doc);
        } else {
          Op op = nodes.put(history, "node" + node, node, db, doc, values.incrementAndGet());
          if (op.acked()) {
            lastAckInvoked.merge(db, op.invoke(), Math::max);
          }
        }
      }
      return null;
    });
  }

  private void loadThrough(int[] through, int count) throws Exception {
    List<Future<?>> running = new ArrayList<>();
    for (int node : through) {
      running.add(load(node, count, seed * 31 + values.get() + node));
    }
    for (Future<?> f : running) {
      f.get(10, TimeUnit.MINUTES);
    }
  }

  /**
   * Loads through {@code through} until every database acknowledged a write invoked after {@code since};
   * the time until the last of them did (the first acknowledgement after {@code since} of each database,
   * the latest of those).
   */
  private Duration loadUntilEveryDatabaseAnswersAfter(int[] through, long since) throws Exception {
    long deadline = System.nanoTime() + TestTime.dilated(Duration.ofMinutes(3)).toNanos();
    while (true) {
      boolean all = true;
      for (int d = 0; d < DATABASES; d++) {
        Long ack = lastAckInvoked.get(db(d));
        if (ack == null || ack < since) {
          all = false;
          // ask it directly, so a database the random load misses is tried too
          acked(db(d), "probe", through[d % through.length], "d" + (d % DOCS));
        }
      }
      if (all) {
        long latest = since;
        for (int d = 0; d < DATABASES; d++) {
          long first = Long.MAX_VALUE;
          for (Op op : histories.get(db(d)).ops()) {
            if (op.acked() && op.invoke() >= since) {
              first = Math.min(first, op.complete());
            }
          }
          latest = Math.max(latest, first);
        }
        return Duration.ofNanos(latest - since);
      }
      assertThat(System.nanoTime()).as("every database answers again").isLessThan(deadline);
      loadThrough(through, 10);
    }
  }

  /**
   * Compacts every database through {@code node}. A compaction that a database refused while it moved
   * (FENCED from a former owner, CLOSED from one handing off, TIMEOUT) is asked again, a few
   * times at most; each must end compacted.
   */
  private void compactEverywhere(int node) throws Exception {
    for (int d = 0; d < DATABASES; d++) {
      HttpResponse<String> r = nodes.compact(node, db(d));
      for (int attempt = 1; attempt < 4 && r.statusCode() != 200
          && r.body().matches(".*\"(FENCED|CLOSED|TIMEOUT)\".*"); attempt++) {
        System.out.println("ClusterProcessTest: compact " + db(d) + " again after " + r.body());
        r = nodes.compact(node, db(d));
      }
      assertThat(r.statusCode()).as("compact %s: %s", db(d), r.body()).isEqualTo(200);
    }
  }

  /** Reads every document and the whole feed of every database, then checks each database's history. */
  private void checkHistories(int node) throws Exception {
    // A former owner (a paused node, an old incarnation during a hand-off) may still take a write; its
    // fenced store refuses it with FENCED, nothing stored. That is the fence working, and the only
    // error these runs provoke (a STORAGE error is an anomaly here).
    checkHistories(node, Set.of(ErrorCode.FENCED));
  }

  /** As {@link #checkHistories(int)}, where the run provoked the errors {@code provoked} (no anomaly then). */
  private void checkHistories(int node, Set<ErrorCode> provoked) throws Exception {
    for (int d = 0; d < DATABASES; d++) {
      History h = histories.get(db(d));
      for (int doc = 0; doc < DOCS; doc++) {
        nodes.get(h, "final", node, db(d), "d" + doc);
      }
      nodes.changes(h, "final", node, db(d));
    }
    long ops = 0;
    for (var e : histories.entrySet()) {
      List<Op> history = e.getValue().ops();
      ops += history.size();
      List<Anomaly> anomalies = new HistoryChecker(provoked.isEmpty() ? EnumSet.noneOf(ErrorCode.class)
          : EnumSet.copyOf(provoked)).check(history);
      assertThat(anomalies).as("anomalies of %s (seed %d)", e.getKey(), seed).isEmpty();
    }
    System.out.println("ClusterProcessTest: " + ops + " operations checked");
    for (int i = 0; i < 3; i++) {
      assertThat(nodes.stderr(i)).as("node %d's log", i).doesNotContainIgnoringCase("missing block");
    }
  }

  @Test
  void aNodeKilledMidLoadLosesNothingAndARollingRestartLosesNothing() throws Exception {
    startCluster();
    loadThrough(new int[] {0, 1, 2}, 60);

    Future<?> during = load(2, 1_000_000, seed); // still writing through node 2 when it dies
    loadThrough(new int[] {0, 1}, 20);
    long killed = System.nanoTime();
    nodes.signal(2, "KILL");
    nodes.processes[2].waitFor();
    during.cancel(true);
    Duration back = loadUntilEveryDatabaseAnswersAfter(new int[] {0, 1}, killed);
    System.out.println("ClusterProcessTest: every database answered a write again " + back.toMillis()
        + " ms after its node was SIGKILLed");
    loadThrough(new int[] {0, 1}, 40);
    compactEverywhere(0); // compaction works on the databases that moved
    loadThrough(new int[] {0, 1}, 20);

    // rolling restart: the killed node first, then every node in turn, stopped with SIGTERM (a graceful leave)
    nodes.start(2);
    for (int i = 0; i < 3; i++) {
      int[] others = {(i + 1) % 3, (i + 2) % 3};
      long leaving = System.nanoTime();
      Future<?> meanwhile = load(others[0], 30, seed + i);
      nodes.processes[i].destroy();
      assertThat(nodes.processes[i].waitFor(2, TimeUnit.MINUTES)).as("node %d stops on SIGTERM", i).isTrue();
      meanwhile.get(10, TimeUnit.MINUTES);
      // A graceful leave hands its databases off without an error to the writers through the other nodes. A
      // region drops a message it buffered for a shard whose hand-off then begins ("Dropping buffered messages
      // … during hand off to avoid re-ordering"); the facade sends it again after kiln.attempt-timeout, with
      // its request id, so the write is answered, and committed once (docs/DESIGN.md, "Cluster").
      List<Op> failed = failuresSince(leaving, "node" + others[0]);
      System.out.println("ClusterProcessTest: node " + i + " left; requests through node " + others[0]
          + " that failed meanwhile: " + failed.size());
      assertThat(failed).as("errors while node %d left", i).isEmpty();
      nodes.start(i);
      loadThrough(new int[] {0, 1, 2}, 20);
    }
    compactEverywhere(1);
    checkHistories(2);
  }

  @Test
  void aNodePausedPastTheFailureDetectorStopsServingAndDeletesNothing() throws Exception {
    startCluster();
    loadThrough(new int[] {0, 1, 2}, 40);
    compactEverywhere(2);

    Future<?> zombie = load(2, 1_000_000, seed); // a writer through node 2 that blocks while it is paused
    loadThrough(new int[] {0, 1}, 10);
    long paused = System.nanoTime();
    nodes.signal(2, "STOP");
    Duration back = loadUntilEveryDatabaseAnswersAfter(new int[] {0, 1}, paused);
    System.out.println("ClusterProcessTest: every database answered a write again " + back.toMillis()
        + " ms after its node was paused with SIGSTOP");
    loadThrough(new int[] {0, 1}, 30);
    compactEverywhere(0); // the new owners replace CARs the paused node had open
    // paused past the failure detector: the survivors have downed it (when it held no database, answering
    // again above took no time, and resuming now would find it still a member)
    awaitDownedBySurvivors(2, new int[] {0, 1});

    nodes.signal(2, "CONT");
    // the resumed node learns it was downed and exits: it serves no database any more
    Future<?> alongside = load(0, 40, seed + 7);
    assertThat(nodes.processes[2].waitFor(TestTime.dilated(Duration.ofMinutes(2)).toMillis(), TimeUnit.MILLISECONDS))
        .as("the resumed node exits").isTrue();
    zombie.cancel(true);
    alongside.get(10, TimeUnit.MINUTES);
    loadThrough(new int[] {0, 1}, 30);
    compactEverywhere(1);
    checkHistories(0);
  }

  @Test
  void postgresqlAwayForAWhileGivesTypedErrorsLosesNothingAndTheClusterRecovers() throws Exception {
    try (TcpProxy proxy = new TcpProxy(ClusterNodes.PG_HOST, Integer.parseInt(ClusterNodes.PG_PORT))) {
      startCluster(Integer.toString(proxy.port()));
      int[] all = {0, 1, 2};
      loadThrough(all, 30);

      proxy.cut();
      long cut = System.nanoTime();
      // writers through every node until each node has answered a request with an error: PostgreSQL is away
      long deadline = System.nanoTime() + TestTime.dilated(Duration.ofMinutes(3)).toNanos();
      while (!everyNodeFailedSince(cut)) {
        assertThat(System.nanoTime()).as("every node answers with an error while PostgreSQL is away").isLessThan(deadline);
        loadThrough(all, 5);
      }
      // and stays away past the ask timeout, so writes wait in actors that restart against a journal that is down
      long away = cut + TestTime.dilated(OUTAGE).toNanos();
      while (System.nanoTime() < away) {
        loadThrough(all, 5);
      }
      proxy.restore();
      long restored = System.nanoTime();
      Duration back = loadUntilEveryDatabaseAnswersAfter(all, restored);
      System.out.println("ClusterProcessTest: every database answered a write again " + back.toMillis()
          + " ms after PostgreSQL was reachable again");
      loadThrough(all, 30);
      compactEverywhere(0);

      // what failed while it was away failed with a typed error that says so (or timed out), never INTERNAL
      Set<ErrorCode> expected = EnumSet.of(ErrorCode.STORAGE, ErrorCode.JOURNAL, ErrorCode.TIMEOUT,
          ErrorCode.OVERLOADED, ErrorCode.CLOSED, ErrorCode.FENCED);
      Set<ErrorCode> seen = EnumSet.noneOf(ErrorCode.class);
      List<String> unexpected = new ArrayList<>();
      for (History h : histories.values()) {
        for (Op op : h.ops()) {
          if (op.outcome() instanceof Outcome.Failed f && op.invoke() >= cut && op.invoke() < restored) {
            seen.add(f.code());
            if (!expected.contains(f.code())) {
              unexpected.add(op.process() + " " + op.kind() + ": " + f.code() + " " + f.message());
            }
          }
        }
      }
      System.out.println("ClusterProcessTest: errors while PostgreSQL was away: " + seen);
      assertThat(seen).as("error codes while PostgreSQL was away").isNotEmpty();
      assertThat(unexpected).as("failures with a code that does not say PostgreSQL is away").isEmpty();
      // nothing acknowledged is lost, before, during or after
      checkHistories(1, Set.of(ErrorCode.STORAGE, ErrorCode.JOURNAL, ErrorCode.FENCED));
    }
  }

  /** Waits until a survivor's log says the cluster marked node {@code i} down or removed it. */
  private void awaitDownedBySurvivors(int i, int[] survivors) throws Exception {
    String address = "node [pekko://kiln@127.0.0.1:" + nodes.clusterPorts[i] + "]";
    TestTime.await("node " + i + " downed by the survivors", () -> {
      for (int s : survivors) {
        try {
          String log = java.nio.file.Files.readString(nodes.logs().resolve("node" + s + ".err"));
          if (log.contains("unreachable " + address + " as [Down]") || log.contains("removing unreachable " + address)) {
            return true;
          }
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
      return false;
    }, Duration.ofMinutes(3));
  }

  /** The operations through {@code process} invoked after {@code since} that did not succeed. */
  private List<Op> failuresSince(long since, String process) {
    List<Op> failed = new ArrayList<>();
    for (History h : histories.values()) {
      for (Op op : h.ops()) {
        if (op.invoke() >= since && op.process().equals(process) && !(op.outcome() instanceof Outcome.Ok)) {
          failed.add(op);
        }
      }
    }
    return failed;
  }

  /** Whether each node has answered a request invoked after {@code since} with an error (or not at all). */
  private boolean everyNodeFailedSince(long since) {
    Set<String> failed = new java.util.HashSet<>();
    for (History h : histories.values()) {
      for (Op op : h.ops()) {
        if (op.invoke() >= since && !(op.outcome() instanceof Outcome.Ok)) {
          failed.add(op.process());
        }
      }
    }
    return failed.containsAll(List.of("node0", "node1", "node2"));
  }
}
