package dev.kiln.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A request that outlives the server's request timeout gets Kiln's JSON TIMEOUT, never pekko's plain-text 503. */
class HttpRequestTimeoutTest {
  @TempDir Path dir;

  @Test
  void aRequestPastTheRequestTimeoutIsAnsweredWithAJsonTimeout() throws Exception {
    // GET /dbs lists the data directory on Kiln's blocking pool; the test holds that pool's only thread, so the
    // request can only end by the server's request timeout
    try (TestServer s = new TestServer(dir, Map.of("kiln.http.request-timeout", "500ms",
        "kiln.blocking-dispatcher.thread-pool-executor.fixed-pool-size", 1))) {
      CountDownLatch held = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      s.kiln.system().dispatchers().lookup(DispatcherSelector.fromConfig("kiln.blocking-dispatcher")).execute(() -> {
        held.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      held.await();
      try {
        HttpResponse<String> r = s.get("/dbs");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(504);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode body = TestServer.JSON.readTree(r.body());
        assertThat(body.path("error").asText()).isEqualTo("TIMEOUT");
        assertThat(body.path("reason").asText()).contains("request timeout");
      } finally {
        release.countDown();
      }
      assertThat(s.get("/dbs").statusCode()).as("answered again once the pool is free").isEqualTo(200);
    }
  }

  @Test
  void byDefaultTheRequestTimeoutOutlastsKilnsOwnAskTimeout() {
    var config = dev.kiln.engine.config.KilnConfig.withDefaults(com.typesafe.config.ConfigFactory.parseMap(
        Map.of("kiln.ask-timeout", "7s")));
    assertThat(KilnHttpServer.requestTimeout(config)).isEqualTo(java.time.Duration.ofSeconds(12));
  }
}
