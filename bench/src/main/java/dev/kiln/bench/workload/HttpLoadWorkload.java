package dev.kiln.bench.workload;

import dev.kiln.engine.api.Kiln;
import dev.kiln.http.HttpSettings;
import dev.kiln.http.KilnHttpServer;
import dev.kiln.testkit.torture.HttpTortureDb;
import dev.kiln.testkit.torture.Torture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Function;

/**
 * Kiln through HTTP against Kiln through the facade, same run, same load: the seeded torture workload
 * (writers, deleters, readers that get, scan, query and read the changes feed, compactions forced
 * often) for the same time, once on the facade and once with every call an HTTP request to a
 * {@link KilnHttpServer} on the same kind of Kiln (embedded defaults, fsync on). Both histories must
 * pass the torture checker (a run with an anomaly is a failure, not a figure); the line gives
 * operations and acknowledged writes per second each way, and HTTP's share of the facade's.
 */
final class HttpLoadWorkload {
  static final String NAME = "http-load";
  private static final long SEED = 14;
  private static final int WRITERS = 16;
  private static final int DELETERS = 2;
  private static final int READERS = 6;

  private final Path tmp;
  private final Duration each;

  HttpLoadWorkload(Path tmp, Duration each) {
    this.tmp = tmp;
    this.each = each;
  }

  Line run() {
    Function<Kiln, Torture.Access> overHttp = kiln -> {
      HttpSettings settings = HttpSettings.from(kiln.system().settings().config()).withPort(0);
      KilnHttpServer server = KilnHttpServer.start(kiln, settings).toCompletableFuture().join();
      Progress.note(NAME, "server at " + server.url());
      return HttpTortureDb.access(server.url(), null, () -> server.stop().toCompletableFuture().join());
    };
    // A short run each way first, not counted: class loading and the JIT otherwise favour the second run.
    Duration warmUp = Duration.ofMillis(Math.max(2_000, each.toMillis() / 6));
    one("warm-up facade", null, warmUp);
    one("warm-up http", overHttp, warmUp);
    Torture.Report facade = one("facade", null, each);
    Torture.Report http = one("http", overHttp, each);
    double facadeOps = perSecond(facade.ops(), facade);
    double httpOps = perSecond(http.ops(), http);
    double facadeWrites = perSecond(facade.acked(), facade);
    double httpWrites = perSecond(http.acked(), http);
    return new Line(NAME).add("seed", Long.toString(SEED)).seconds("each", each.toMillis() / 1000.0)
        .add("clients", Integer.toString(WRITERS + DELETERS + READERS))
        .section("facade").rate("ops", facadeOps).rate("writes", facadeWrites).count("compactions", facade.compactions())
        .count("anomalies", facade.anomalies().size())
        .section("http").rate("ops", httpOps).rate("writes", httpWrites).count("compactions", http.compactions())
        .count("anomalies", http.anomalies().size())
        .section("ratio").ratio("http/facade_ops", httpOps / facadeOps).ratio("http/facade_writes", httpWrites / facadeWrites);
  }

  private Torture.Report one(String how, Function<Kiln, Torture.Access> access, Duration length) {
    Path dir;
    try {
      dir = Files.createTempDirectory(tmp, "kiln-http-load-" + how.replace(' ', '-'));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      Progress.note(NAME, how + ": " + (WRITERS + DELETERS + READERS) + " clients for " + length.toSeconds() + " s …");
      Torture.Options options = Torture.options().seed(SEED).duration(length)
          .writers(WRITERS).deleters(DELETERS).readers(READERS).docs(200)
          .compactProbability(0.2).reopenProbability(0) // see HttpLoadTest: no reopen under a server's requests
          .dataDir(dir)
          .progress(line -> System.err.println("[" + NAME + "] " + how + ": " + line), Duration.ofSeconds(2));
      if (access != null) {
        options.access(access);
      }
      Torture.Report report = Torture.run(options);
      Progress.note(NAME, String.format(Locale.ROOT, "%s: %s; %s", how, report.summary(), report.breakdown()));
      if (!report.ok()) {
        throw new IllegalStateException(how + " run broke the torture checker's rules: " + report.describe(5));
      }
      return report;
    } finally {
      Fixture.removeTree(dir);
    }
  }

  private static double perSecond(long n, Torture.Report r) {
    return n / (r.elapsed().toNanos() / 1e9);
  }
}
