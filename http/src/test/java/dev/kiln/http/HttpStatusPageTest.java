package dev.kiln.http;

import static dev.kiln.http.TestServer.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The status page at / and its stats stream, over a real socket (the page's script is tried in Chromium by StatusPageBrowserTest). */
class HttpStatusPageTest {
  @TempDir Path dir;

  @Test
  void thePageIsOneSelfContainedHtmlFileThatMayLoadNothingFromElsewhere() {
    try (TestServer s = new TestServer(dir, Map.of())) {
      HttpResponse<String> page = s.get("/");
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
      assertThat(page.headers().firstValue("Content-Security-Policy").orElse(""))
          .contains("default-src 'none'").contains("connect-src 'self'");
      assertThat(page.body()).contains("<svg id=\"chart\"").contains("/events/stats")
          .doesNotContainPattern("(?i)(src|href)\\s*=\\s*\"?(https?:)?//")
          .doesNotContainPattern("(?i)<(script|link|img)[^>]+(src|href)=");
      assertThat(s.send("POST", "/", null, null).statusCode()).isEqualTo(405);
    }
  }

  @Test
  void theStatsStreamShowsTheCarLogRisingWithCommitsAndFallingWithACompaction() throws Exception {
    try (TestServer s = new TestServer(dir, Map.of("kiln.http.stats-interval", "100ms", "kiln.auto-compact", 0))) {
      int port = s.server.address().getPort();
      s.kiln.open("cold").put(JsonNodeFactory.instance.objectNode().put("_id", "x")).toCompletableFuture().join();
      s.kiln.open("cold").close().toCompletableFuture().join();
      try (SseClient stream = new SseClient(port, "/events/stats")) {
        JsonNode first = nextUntil(stream, e -> true);
        assertThat(first.path("time").asLong()).isPositive();
        JsonNode cold = db(first, "cold");
        assertThat(cold.path("open").asBoolean(true)).as("a closed database is listed, not opened").isFalse();
        assertThat(s.kiln.get("cold")).as("watching opened nothing").isNull();

        assertThat(s.put("/db/shop/docs/a", "{\"n\":1}").statusCode()).isEqualTo(200);
        // an event may have been taken before the put was answered: wait for one that shows the put
        JsonNode shop = db(nextUntil(stream, e -> db(e, "shop") != null && db(e, "shop").path("lastSeq").asLong() == 1), "shop");
        int length = shop.path("carLogLength").asInt();
        assertThat(shop.path("open").asBoolean()).isTrue();
        assertThat(shop.path("documents").asLong()).isEqualTo(1);
        for (String field : new String[] {"carFiles", "carBytes", "compactions", "lastSeq", "generation"}) {
          assertThat(shop.has(field)).as(field).isTrue();
        }

        for (int i = 0; i < 3; i++) { // each awaited put is a commit of its own: a CAR more in the CarLog
          assertThat(s.put("/db/shop/docs/d" + i, "{\"n\":" + i + "}").statusCode()).isEqualTo(200);
        }
        int grown = db(nextUntil(stream, e -> db(e, "shop").path("lastSeq").asLong() == 4), "shop").path("carLogLength").asInt();
        assertThat(grown).isEqualTo(length + 3);

        assertThat(s.post("/db/shop/compact", null).statusCode()).isEqualTo(200);
        JsonNode compacted = db(nextUntil(stream, e -> db(e, "shop").path("compactions").asLong() > 0), "shop");
        assertThat(compacted.path("carLogLength").asInt()).isLessThan(grown);
      }
      assertThat(s.get("/events/stats?x=1").statusCode()).isEqualTo(400);
    }
  }

  /** The data of the next stats event that satisfies {@code wanted}. */
  private static JsonNode nextUntil(SseClient stream, Predicate<JsonNode> wanted) throws Exception {
    while (true) {
      SseClient.Event e = stream.next("stats");
      assertThat(e).as("the stats stream ended").isNotNull();
      if (wanted.test(e.data())) {
        return e.data();
      }
    }
  }

  private static JsonNode db(JsonNode snapshot, String name) {
    for (JsonNode db : snapshot.path("databases")) {
      if (db.path("name").asText().equals(name)) {
        return db;
      }
    }
    return null;
  }
}
