package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.testkit.node.PostgresTables;
import dev.kiln.testkit.node.ServedProcess;
import dev.kiln.testkit.torture.History;
import dev.kiln.testkit.torture.Op;
import dev.kiln.testkit.torture.OpKind;
import dev.kiln.testkit.torture.Reply;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Three {@code kiln serve --cluster conf/cluster.conf} processes on 127.0.0.1 over one PostgreSQL
 * database, and an HTTP client that records what it did as a torture {@link History}.
 */
final class ClusterNodes implements AutoCloseable {
  static final String PG_HOST = System.getProperty("kiln.test.pg.host", "127.0.0.1");
  static final String PG_PORT = System.getProperty("kiln.test.pg.port", "5432");
  static final String PG_DATABASE = System.getProperty("kiln.test.pg.cluster-database", "kiln_cluster_test");
  static final String PG_USER = System.getProperty("kiln.test.pg.user", "kiln");
  static final String PG_PASSWORD = System.getProperty("kiln.test.pg.password", "kiln");

  final int[] clusterPorts;
  final Process[] processes;
  final String[] urls;
  private final Path dir;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  /** The port the nodes reach PostgreSQL on (a test's TCP proxy in front of it, to cut it off). */
  String pgPort = PG_PORT;

  ClusterNodes(Path dir, int size) {
    this.dir = dir;
    clusterPorts = new int[size];
    for (int i = 0; i < size; i++) {
      clusterPorts[i] = freePort();
    }
    processes = new Process[size];
    urls = new String[size];
  }

  /** Starts node {@code i} (again) and waits for its HTTP address. */
  void start(int i) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "-XX:TieredStopAtLevel=1", "-Xmx384m"));
    for (int s = 0; s < clusterPorts.length; s++) {
      command.add("-Dpekko.cluster.seed-nodes." + s + "=pekko://kiln@127.0.0.1:" + clusterPorts[s]);
    }
    command.addAll(List.of(
        "-Dkiln.postgres.url=jdbc:postgresql://" + PG_HOST + ":" + pgPort + "/" + PG_DATABASE,
        "-Dkiln.postgres.user=" + PG_USER, "-Dkiln.postgres.password=" + PG_PASSWORD,
        // quicker failure detection and downing than the shipped file, so the test does not wait long
        "-Dpekko.cluster.failure-detector.acceptable-heartbeat-pause=3s",
        "-Dpekko.cluster.split-brain-resolver.stable-after=4s",
        "-Dlogback.configurationFile=" + Path.of(ClusterNodes.class.getResource("/cluster-node-logback.xml").getPath()),
        KilnCli.class.getName(), "serve", "--cluster", clusterConf().toString(),
        "--cluster-port", Integer.toString(clusterPorts[i]), "--port", "0",
        "--data-dir", dir.resolve("node" + i).toString()));
    ServedProcess node = ServedProcess.start(command, logs().resolve("node" + i + ".err"));
    processes[i] = node.process();
    urls[i] = node.url();
  }

  static Path clusterConf() {
    Path here = Path.of("").toAbsolutePath();
    Path conf = here.resolve("conf/cluster.conf");
    return Files.exists(conf) ? conf : here.getParent().resolve("conf/cluster.conf");
  }

  /** Where the nodes' logs stay after the test (target/cluster-logs/<run>). */
  Path logs() throws IOException {
    return Files.createDirectories(Path.of("target", "cluster-logs", dir.getFileName().toString()));
  }

  String stderr(int i) throws IOException {
    Path err = logs().resolve("node" + i + ".err");
    return Files.exists(err) ? Files.readString(err) : "";
  }

  /** One HTTP exchange through node {@code node}, recorded in {@code history}. */
  Op put(History history, String process, int node, String db, String doc, long value) {
    History.Pending op = history.invoke(process, OpKind.PUT, doc, value, 0);
    String body = "{\"v\":" + value + "}";
    HttpRequest request = HttpRequest.newBuilder(URI.create(urls[node] + "/db/" + db + "/docs/" + doc))
        .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(body)).build();
    return exchange(op, request, json -> new Reply.Written(json.path("seq").asLong(), json.path("clock").asText()));
  }

  void get(History history, String process, int node, String db, String doc) {
    History.Pending op = history.invoke(process, OpKind.GET, doc, 0, 0);
    HttpRequest request = HttpRequest.newBuilder(URI.create(urls[node] + "/db/" + db + "/docs/" + doc))
        .timeout(Duration.ofSeconds(60)).GET().build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() == 404 && response.body().contains("NOT_FOUND")) {
        op.ok(new Reply.Read(null));
        return;
      }
      record(op, response, json -> new Reply.Read(json.path("v").asLong()));
    } catch (IOException | InterruptedException e) {
      keepInterrupt(e);
      op.unknown(e.toString());
    }
  }

  /** The whole changes feed of {@code db}. */
  void changes(History history, String process, int node, String db) {
    History.Pending op = history.invoke(process, OpKind.CHANGES, null, 0, 0);
    HttpRequest request = HttpRequest.newBuilder(URI.create(urls[node] + "/db/" + db + "/changes?since=0"))
        .timeout(Duration.ofSeconds(60)).GET().build();
    exchange(op, request, json -> {
      List<Reply.Change> changes = new ArrayList<>();
      for (JsonNode c : json.path("changes")) {
        boolean deleted = c.path("deleted").asBoolean();
        changes.add(new Reply.Change(c.path("seq").asLong(), c.path("id").asText(), deleted,
            deleted ? 0 : c.path("doc").path("v").asLong()));
      }
      return new Reply.Fed(List.copyOf(changes), json.path("lastSeq").asLong(), json.path("clock").asText());
    });
  }

  /** POST compact through {@code node}: the status and body. */
  HttpResponse<String> compact(int node, String db) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(urls[node] + "/db/" + db + "/compact"))
        .timeout(Duration.ofSeconds(120)).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private Op exchange(History.Pending op, HttpRequest request, java.util.function.Function<JsonNode, Reply> reply) {
    try {
      return record(op, http.send(request, HttpResponse.BodyHandlers.ofString()), reply);
    } catch (IOException | InterruptedException e) {
      keepInterrupt(e);
      return op.unknown(e.toString()); // the node died or the connection broke: the write may or may not have happened
    }
  }

  /** A writer that was cancelled (interrupted mid-request) must still see it, so that it stops. */
  private static void keepInterrupt(Exception e) {
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
  }

  private static Op record(History.Pending op, HttpResponse<String> response, java.util.function.Function<JsonNode,
      Reply> reply) throws IOException {
    JsonNode json;
    try {
      json = KilnCli.JSON.readTree(response.body());
    } catch (IOException e) {
      return op.failed(ErrorCode.INTERNAL, response.statusCode() + " " + response.body());
    }
    if (response.statusCode() == 200) {
      return op.ok(reply.apply(json));
    }
    String code = json.path("error").asText();
    try {
      return op.failed(ErrorCode.valueOf(code), json.path("reason").asText());
    } catch (IllegalArgumentException e) {
      return op.failed(ErrorCode.INTERNAL, response.statusCode() + " " + response.body());
    }
  }

  /** SIGKILL, SIGSTOP or SIGCONT to node {@code i}. */
  void signal(int i, String signal) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(processes[i].pid())).inheritIO().start();
    if (kill.waitFor() != 0) {
      throw new IllegalStateException("kill -" + signal + " failed");
    }
  }

  /** Empties the test database, so a run starts from nothing; the nodes create what they need on start. */
  static void resetDatabase() throws java.sql.SQLException {
    PostgresTables.dropAll("jdbc:postgresql://" + PG_HOST + ":" + PG_PORT + "/" + PG_DATABASE, PG_USER, PG_PASSWORD);
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() throws InterruptedException {
    ServedProcess.killAll(processes);
  }
}
