package dev.kiln.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.TestTime;
import dev.kiln.testkit.torture.HttpTortureDb;
import dev.kiln.testkit.torture.Torture;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A load run through HTTP: the torture workload (writers, deleters, readers that get, scan, query and
 * read the changes feed, compactions forced often), every call a request to a real KilnHttpServer over
 * its own connection, and the torture checker's rules holding over the recorded history. The bench
 * workload {@code http-load} runs the same at length and compares its throughput with the facade's.
 */
class HttpLoadTest {
  static final long SEED = Long.getLong("kiln.http-load.seed", 14L);
  static final String TOKEN = "load-token";

  @TempDir Path dir;

  @Test
  void manyConcurrentClientsWithCompactionsLeaveAHistoryTheCheckerAccepts() {
    System.out.println("http load run: seed " + SEED + " (-Dkiln.http-load.seed=… to repeat another)");
    Torture.Report report = Torture.run(Torture.options()
        .seed(SEED)
        .writers(12).deleters(2).readers(4).docs(40)
        .compactProbability(0.5)
        // Closing the database under the server would race its requests (the torture gate holds calls only
        // until they are sent); the final reopen, after every call has its answer, stays.
        .reopenProbability(0)
        .until(p -> p.ops() > 2_000 && p.compactions() >= 5)
        .duration(TestTime.dilated(Duration.ofSeconds(120)))
        .dataDir(dir)
        .access(kiln -> {
          HttpSettings settings = HttpSettings.from(kiln.system().settings().config()).withPort(0).withToken(TOKEN);
          KilnHttpServer server = KilnHttpServer.start(kiln, settings).toCompletableFuture().join();
          return HttpTortureDb.access(server.url(), TOKEN, () -> server.stop().toCompletableFuture().join());
        }));

    System.out.println(report.summary() + "; " + report.breakdown());
    assertThat(report.anomalies()).as(report.describe(10)).isEmpty();
    assertThat(report.ops()).isGreaterThan(2_000);
    assertThat(report.compactions()).isGreaterThanOrEqualTo(5);
    assertThat(report.acked()).isPositive();
  }
}
