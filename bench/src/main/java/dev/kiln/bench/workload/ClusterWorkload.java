package dev.kiln.bench.workload;

import dev.kiln.testkit.node.PostgresTables;
import dev.kiln.testkit.node.ServedProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Kiln as a cluster of {@code kiln serve --cluster conf/cluster.conf} processes on this machine, over
 * one PostgreSQL database (reset first): the same HTTP write load (writers putting into 12 databases)
 * through one node alone, then through three nodes (the writers spread over them), as puts per second
 * and their ratio; then one of the three nodes is SIGKILLed and the time until every database it
 * hosted answers a write again through the survivors is measured. What bounds that time is the
 * failure detector, the Split Brain Resolver's stable-after and the down-removal margin (see
 * conf/cluster.conf); the line prints the settings the nodes ran with.
 *
 * <p>Needs the CLI built ({@code -Dkiln.bench.node-cp}: the nodes' classpath, e.g.
 * {@code cli/target/kiln-cli.jar:cli/target/lib/*}) and a server ({@code -Dkiln.bench.pg.url},
 * default jdbc:postgresql://127.0.0.1:5432/kiln_cluster_bench; user/password as for postgres).
 * {@code bench/run-cluster.sh} does both.
 */
final class ClusterWorkload {
  static final String NAME = "cluster";
  private static final int DATABASES = 12;
  private static final int WRITERS = 6;

  private final Path tmp;
  private final int puts;
  private final String pgUrl = System.getProperty("kiln.bench.pg.url", "jdbc:postgresql://127.0.0.1:5432/kiln_cluster_bench");
  private final String pgUser = System.getProperty("kiln.bench.pg.user", "kiln");
  private final String pgPassword = System.getProperty("kiln.bench.pg.password", "kiln");
  private final String nodeClasspath = System.getProperty("kiln.bench.node-cp", System.getProperty("java.class.path"));
  private final Path conf = Path.of(System.getProperty("kiln.bench.cluster-conf", "conf/cluster.conf"));
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final AtomicLong values = new AtomicLong();

  ClusterWorkload(Path tmp, int puts) {
    this.tmp = tmp;
    this.puts = puts;
  }

  Line run() {
    try {
      resetDatabase();
      double one;
      try (Nodes nodes = new Nodes(1)) {
        load(nodes, puts / 5); // warm-up, not counted
        one = load(nodes, puts);
      }
      resetDatabase();
      double three;
      double back;
      try (Nodes nodes = new Nodes(3)) {
        load(nodes, puts / 5);
        three = load(nodes, puts);
        back = secondsUntilEveryDatabaseAnswersAfterKilling(nodes, 2);
      }
      return new Line(NAME).count("databases", DATABASES).count("writers", WRITERS).count("puts", puts)
          .section("1 node").rate("puts", one)
          .section("3 nodes").rate("puts", three)
          .section("SIGKILL of 1 of 3").seconds("every_database_answers_again_after", back)
          .add("stable_after", System.getProperty("kiln.bench.stable-after", "(conf)"))
          .add("heartbeat_pause", System.getProperty("kiln.bench.heartbeat-pause", "(conf)"))
          .section("ratio").ratio("3_nodes/1_node_throughput", three / one);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL at " + pgUrl + ": " + e.getMessage(), e);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code count} puts from the writers, each writer through one node (round robin); puts per second. */
  private double load(Nodes nodes, int count) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
    try {
      List<Future<?>> running = new ArrayList<>();
      long start = System.nanoTime();
      for (int w = 0; w < WRITERS; w++) {
        int writer = w;
        String url = nodes.urls[w % nodes.urls.length];
        running.add(pool.submit(() -> {
          for (int i = writer; i < count; i += WRITERS) {
            int status = put(url, "db" + (i % DATABASES), "d" + (i % 50), Duration.ofSeconds(60));
            if (status != 200) {
              throw new IllegalStateException("a put through " + url + " answered " + status);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : running) {
        f.get(30, TimeUnit.MINUTES);
      }
      double perSecond = count / ((System.nanoTime() - start) / 1e9);
      Progress.note(NAME, nodes.urls.length + " node(s): " + count + " puts, " + Math.round(perSecond) + "/s");
      return perSecond;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Kills node {@code victim}; the seconds until each database took a write through another node. */
  private double secondsUntilEveryDatabaseAnswersAfterKilling(Nodes nodes, int victim) throws Exception {
    nodes.processes[victim].destroyForcibly(); // SIGKILL
    long killed = System.nanoTime();
    nodes.processes[victim].waitFor();
    long last = killed;
    for (int d = 0; d < DATABASES; d++) {
      String url = nodes.urls[d % 2 == 0 || victim == 1 ? 0 : 1];
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
      // a short timeout: a put that went to the dead node's region is lost (answered only by the server's
      // ask timeout, 30 s), so it is sent again rather than waited for
      while (put(url, "db" + d, "after-kill", Duration.ofSeconds(2)) != 200) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("db" + d + " did not answer within 5 minutes of the SIGKILL");
        }
      }
      last = Math.max(last, System.nanoTime());
    }
    double seconds = (last - killed) / 1e9;
    Progress.note(NAME, "every database answered again " + seconds + " s after the SIGKILL");
    return seconds;
  }

  private int put(String url, String db, String doc, Duration timeout) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/db/" + db + "/docs/" + doc))
        .timeout(timeout).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString("{\"v\":" + values.incrementAndGet() + "}")).build();
    try {
      return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1; // a node that is gone: asked again
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Empties the benchmark's database, so each run starts from nothing. */
  private void resetDatabase() throws SQLException {
    PostgresTables.dropAll(pgUrl, pgUser, pgPassword);
  }

  /** {@code size} node processes forming one cluster. */
  private final class Nodes implements AutoCloseable {
    final Process[] processes;
    final String[] urls;

    Nodes(int size) throws IOException {
      int[] ports = new int[size];
      for (int i = 0; i < size; i++) {
        ports[i] = freePort();
      }
      processes = new Process[size];
      urls = new String[size];
      for (int i = 0; i < size; i++) {
        start(i, ports);
      }
    }

    private void start(int i, int[] ports) throws IOException {
      List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", nodeClasspath, "-Xmx384m"));
      for (int s = 0; s < ports.length; s++) {
        command.add("-Dpekko.cluster.seed-nodes." + s + "=pekko://kiln@127.0.0.1:" + ports[s]);
      }
      if (System.getProperty("kiln.bench.stable-after") != null) {
        command.add("-Dpekko.cluster.split-brain-resolver.stable-after=" + System.getProperty("kiln.bench.stable-after"));
      }
      if (System.getProperty("kiln.bench.heartbeat-pause") != null) {
        command.add("-Dpekko.cluster.failure-detector.acceptable-heartbeat-pause="
            + System.getProperty("kiln.bench.heartbeat-pause"));
      }
      command.addAll(List.of("-Dkiln.postgres.url=" + pgUrl, "-Dkiln.postgres.user=" + pgUser,
          "-Dkiln.postgres.password=" + pgPassword, "-Dpekko.loglevel=WARNING",
          "dev.kiln.cli.KilnCli", "serve", "--cluster", conf.toString(), "--cluster-port", Integer.toString(ports[i]),
          "--port", "0", "--data-dir", Files.createDirectories(tmp.resolve("cluster-node" + i)).toString()));
      ServedProcess node = ServedProcess.start(command, tmp.resolve("cluster-node" + i + ".err"));
      processes[i] = node.process();
      urls[i] = node.url();
    }

    @Override
    public void close() throws InterruptedException {
      ServedProcess.killAll(processes);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
