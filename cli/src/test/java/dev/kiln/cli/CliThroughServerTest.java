package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.kiln.cli.client.KilnServer;
import dev.kiln.engine.api.Kiln;
import dev.kiln.engine.config.KilnConfig;
import dev.kiln.http.HttpSettings;
import dev.kiln.http.KilnHttpServer;
import dev.kiln.engine.TestTime;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.time.Duration;
import picocli.CommandLine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every command prints the same, and exits the same, through a running server as it does opening
 * the data directory itself: one script of commands runs on two data directories, one of them
 * served (in this JVM, with its address file, as {@code kiln serve} leaves it), and each command's
 * stdout, stderr and status must match. Each served command must also have reached the server.
 */
class CliThroughServerTest {
  @TempDir Path temp;

  /** One command of the script: its arguments, its stdin. */
  record Step(String stdin, String... args) {
    static Step of(String... args) {
      return new Step("", args);
    }
  }

  @Test
  void anIdThatIsADotSegmentIsWrittenThroughAServerButNotReadWithAReason() throws Exception {
    Path served = temp.resolve("served");
    try (Served it = Served.on(served)) {
      assertThat(CliRun.kiln(served, "put", "notes", "{\"_id\":\"..\"}").status()).isZero();
      CliRun get = CliRun.kiln(served, "get", "notes", "..");
      assertThat(get.status()).isEqualTo(1);
      assertThat(get.err()).startsWith("kiln: INVALID_ID: the id '..' is a dot segment");
      assertThat(it.kiln().open("notes").get("..").toCompletableFuture().join().path("_id").asText()).isEqualTo("..");
    }
  }

  /** A server that asks for a token gets the configured one with each request; with a wrong one it is not used. */
  @Test
  void aServerThatAsksForATokenGetsItWithEachRequest() throws Exception {
    Path served = temp.resolve("served");
    try (Served it = Served.on(served, Map.of("kiln.http.token", "s3cret"))) {
      it.kiln().open("notes").put(Map.of("_id", "a")).toCompletableFuture().join();
      KilnServer server = KilnServer.find(served, () -> Optional.of("s3cret")).orElseThrow();
      assertThat(server.get("/dbs", Map.of()).path("databases").toString()).isEqualTo("[\"notes\"]");
      assertThat(KilnServer.find(served, () -> Optional.of("guess"))).as("a server that refuses /health").isEmpty();
    }
  }

  @Test
  void aFollowThroughAServerEndsWithTheErrorOfItsClosedDatabaseSayingWhereToResume() throws Exception {
    Path served = temp.resolve("served");
    try (Served it = Served.on(served)) {
      assertThat(CliRun.kiln(served, "put", "notes", "{\"_id\":\"a\"}").status()).isZero();
      CountDownLatch printed = new CountDownLatch(1);
      StringWriter out = new StringWriter() {
        @Override
        public void flush() {
          printed.countDown(); // the command flushes after each change it prints
        }
      };
      StringWriter err = new StringWriter();
      CommandLine cli = KilnCli.commandLine(new ByteArrayInputStream(new byte[0]));
      cli.setOut(new PrintWriter(out));
      cli.setErr(new PrintWriter(err));
      CompletableFuture<Integer> status = CompletableFuture.supplyAsync(
          () -> cli.execute("changes", "notes", "--follow", "--data-dir", served.toString()));
      long wait = TestTime.dilated(Duration.ofSeconds(60)).toMillis();
      assertThat(printed.await(wait, TimeUnit.MILLISECONDS)).as("the first change printed").isTrue();
      assertThat(out.toString()).contains("\"id\":\"a\"");

      it.kiln().open("notes").close().toCompletableFuture().join();
      assertThat(status.get(wait, TimeUnit.MILLISECONDS)).as(err.toString()).isEqualTo(1);
      assertThat(err.toString()).startsWith("kiln: CLOSED: the database closed; resume from sequence 1 ");
    }
  }

  @Test
  void everyCommandPrintsTheSameThroughAServerAsOnItsOwn() throws Exception {
    Path ndjson = temp.resolve("more.ndjson");
    Files.writeString(ndjson, "{\"_id\":\"c\",\"title\":\"hey\",\"tags\":[\"red\"]}\n\n"
        + "{\"_id\":\"d\",\"title\":\"ho\",\"n\":4}\n{\"_id\":\"e\",\"title\":\"hu\",\"tags\":[\"blue\",\"red\"]}\n");
    // 20 documents of 900 KB: a batch of all of them is over kiln.http.max-body-bytes (16 MiB), one of 5 is not
    Path large = temp.resolve("large.ndjson");
    try (java.io.BufferedWriter w = Files.newBufferedWriter(large)) {
      for (int i = 0; i < 20; i++) {
        w.write("{\"_id\":\"big" + i + "\",\"text\":\"" + "x".repeat(900_000) + "\"}\n");
      }
    }
    Path bad = temp.resolve("bad.ndjson");
    Files.writeString(bad, "{\"_id\":\"x\"}\n{\"_id\":\"y\",\n");
    List<Step> script = List.of(
        Step.of("put", "notes", "{\"_id\":\"a\",\"title\":\"hello\",\"tags\":[\"red\",\"blue\"]}"),
        new Step("{\"_id\":\"b\",\"title\":\"hi\"}", "put", "notes", "-"),
        Step.of("put", "notes", "{\"_id\":\"a\",\"title\":\"again\"}", "--if-version", "none"),
        Step.of("put", "notes", "{\"_id\":\"a\",\"title\":\"again\"}", "--if-version", "nonsense"),
        Step.of("put", "notes", "{\"_id\":5}"),
        Step.of("put", "notes", "{\"_id\":\"../x\"}"),
        Step.of("put", "notes", "{\"_id\":\"with space/and slash\",\"x\":true}"),
        Step.of("get", "notes", "a"),
        Step.of("get", "notes", "a", "--with-version"),
        Step.of("get", "notes", "with space/and slash"),
        Step.of("get", "notes", "zzz"),
        Step.of("get", "nosuch", "a"),
        Step.of("put-all", "notes", ndjson.toString(), "--batch", "2"),
        Step.of("put-all", "notes", bad.toString()),
        Step.of("put-all", "big", large.toString(), "--batch", "20"),
        Step.of("put-all", "big", large.toString(), "--batch", "5"),
        Step.of("all-docs", "notes"),
        Step.of("all-docs", "notes", "--start", "b", "--limit", "2", "--descending"),
        Step.of("index", "notes", "title"),
        Step.of("index", "notes", "tags", "--each"),
        Step.of("index", "notes", "/n"),
        Step.of("indexes", "notes"),
        Step.of("query", "notes", "title", "--prefix", "h", "--include-docs"),
        Step.of("query", "notes", "tags", "--key", "\"red\""),
        Step.of("query", "notes", "/n", "--start", "1"),
        Step.of("query", "notes", "nosuch"),
        Step.of("drop-index", "notes", "tags"),
        Step.of("changes", "notes"),
        Step.of("changes", "notes", "--since", "1", "--limit", "2", "--no-docs"),
        Step.of("changes", "notes", "--prefix", "a"),
        Step.of("changes", "notes", "--index", "tags", "--key", "\"red\""),
        Step.of("changes", "notes", "--since", "1", "--index", "title", "--start", "\"a\"", "--end", "\"m\""),
        Step.of("changes", "notes", "--key", "\"red\""),
        Step.of("changes", "notes", "--follow", "--max", "2", "--index", "title", "--key-prefix", "h"),
        Step.of("changes", "notes", "--follow", "--max", "3", "--since", "2"),
        Step.of("del", "notes", "b"),
        Step.of("del", "notes", "b", "--if-version", "none"),
        Step.of("compact", "notes"),
        Step.of("stats", "notes"),
        Step.of("export", "notes", "--ndjson", "--out", "-", "--page", "2"),
        Step.of("import", "copy", ndjson.toString(), "--ndjson"),
        Step.of("dbs"),
        Step.of("destroy", "copy"),
        Step.of("destroy", "copy"),
        Step.of("dbs"));

    Path alone = temp.resolve("alone");
    Path served = temp.resolve("served");
    Path quick = temp.resolve("quick");
    List<String> differences = new ArrayList<>();
    Set<String> quickly = new TreeSet<>();
    try (Served full = Served.on(served); Served fast = Served.on(quick)) {
      for (Step step : script) {
        CliRun own = CliRun.withStdin(alone, step.stdin(), step.args());
        long before = full.requests();
        CliRun through = CliRun.withStdin(served, step.stdin(), step.args());
        long after = full.requests();
        String what = String.join(" ", step.args());
        assertThat(own.status()).as("%s without a server: %s", what, own.err()).isIn(0, 1);
        if (!normalized(own, alone).equals(normalized(through, served))) {
          differences.add(what + "\n  alone:  " + normalized(own, alone) + "\n  served: " + normalized(through, served));
        }
        if (through.status() == 0) {
          // the metrics read before, the health probe, and at least one call
          assertThat(after - before).as("requests the server got for: %s", what).isGreaterThanOrEqualTo(3);
        }
        // the jar's entry point (Main): the quick path, or the full command line where it defers
        CliRun entry = CliRun.quick(quick, step.stdin(), step.args());
        if (entry == null) {
          entry = CliRun.withStdin(quick, step.stdin(), step.args());
        } else {
          quickly.add(step.args()[0]);
        }
        if (!normalized(own, alone).equals(normalized(entry, quick))) {
          differences.add(what + "\n  alone:  " + normalized(own, alone) + "\n  quick:  " + normalized(entry, quick));
        }
      }
    }
    assertThat(quickly).as("commands the quick path answered").containsExactly(
        "all-docs", "dbs", "del", "get", "put", "query", "stats");
    assertThat(differences).as("commands that printed differently through the server").isEmpty();
  }

  private static String normalized(CliRun run, Path dataDir) {
    // indexHeapBytes is the heap this process's indexes take: a CAR the server wrote keeps the index built
    // while writing, one the CLI opened reads a paged one. It depends on the process, not on the data.
    return (run.status() + " | " + run.out() + " | " + run.err()).replace(dataDir.toString(), "<data-dir>")
        .replaceAll("\"indexHeapBytes\" : \\d+", "\"indexHeapBytes\" : <heap>");
  }

  /** Kiln and its HTTP server on one data directory, with the address file {@code kiln serve} leaves. */
  record Served(Kiln kiln, KilnHttpServer server) implements AutoCloseable {
    static Served on(Path dataDir) {
      return on(dataDir, Map.of());
    }

    static Served on(Path dataDir, Map<String, Object> settings) {
      Map<String, Object> all = new java.util.HashMap<>(settings);
      all.put("kiln.data-dir", dataDir.toString());
      all.put("kiln.http.port", 0);
      Config config = KilnConfig.withDefaults(ConfigFactory.parseMap(all));
      Kiln kiln = Kiln.start(config);
      KilnHttpServer server = KilnHttpServer.start(kiln, HttpSettings.from(config)).toCompletableFuture().join();
      ServeCommand.writeAddress(dataDir.resolve(ServeCommand.ADDRESS_FILE), server);
      return new Served(kiln, server);
    }

    /** Requests the server has answered so far, from its own metrics. */
    long requests() throws Exception {
      HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create(server.url() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
      return metrics.body().lines().filter(l -> l.startsWith("kiln_http_requests_total{"))
          .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Override
    public void close() {
      try {
        server.stop().toCompletableFuture().join();
      } finally {
        kiln.close();
      }
    }
  }
}
