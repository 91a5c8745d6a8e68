package dev.kiln.http;

import static dev.kiln.http.TestServer.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Nobody gets in where they don't belong: the token, the bind address, and names and ids that try to escape. */
class HttpSecurityTest {
  private static final String TOKEN = "s3cret-token-for-tests";
  /** One request per route: method, path, body (null: none). */
  private static final List<String[]> ROUTES = List.of(
      new String[] {"PUT", "/db/sec/docs/a", "{}"}, new String[] {"GET", "/db/sec/docs/a", null},
      new String[] {"DELETE", "/db/sec/docs/a", null}, new String[] {"POST", "/db/sec/docs", "[{}]"},
      new String[] {"GET", "/db/sec/all-docs", null}, new String[] {"GET", "/db/sec/query/x", null},
      new String[] {"PUT", "/db/sec/indexes/x", null}, new String[] {"GET", "/db/sec/changes?since=0", null},
      new String[] {"GET", "/db/sec/changes?feed=live", null}, new String[] {"POST", "/db/sec/compact", null},
      new String[] {"GET", "/db/sec/stats", null}, new String[] {"GET", "/dbs", null},
      new String[] {"DELETE", "/db/sec", null}, new String[] {"GET", "/health", null},
      new String[] {"GET", "/metrics", null}, new String[] {"GET", "/events/stats", null},
      new String[] {"POST", "/", null});

  @TempDir static Path dir;
  static TestServer s;

  @BeforeAll
  static void start() {
    s = new TestServer(dir, Map.of("kiln.http.token", TOKEN));
  }

  @AfterAll
  static void stop() {
    s.close();
  }

  private static HttpResponse<String> call(String[] route, String token) {
    s.token = token;
    try {
      return s.send(route[0], route[1], route[2] == null ? null : "application/json", route[2]);
    } finally {
      s.token = TOKEN;
    }
  }

  @Test
  void everyRouteWithoutTheRightTokenIs401AndChangesNothing() throws IOException {
    for (String[] route : ROUTES) {
      for (String token : new String[] {null, "wrong", TOKEN + "x", TOKEN.substring(1)}) {
        HttpResponse<String> r = call(route, token);
        assertThat(r.statusCode()).as(route[0] + " " + route[1] + " with token " + token).isEqualTo(401);
        assertThat(json(r).path("error").asText()).isEqualTo("UNAUTHORIZED");
        assertThat(r.headers().firstValue("WWW-Authenticate").orElse("")).startsWith("Bearer");
      }
    }
    assertThat(dataDirEntries()).as("nothing created").doesNotContain("sec");
    // and the right token gets through (a non-live route each, so the request ends)
    assertThat(s.put("/db/sec/docs/a", "{}").statusCode()).isEqualTo(200);
    assertThat(s.get("/db/sec/docs/a").statusCode()).isEqualTo(200);
  }

  @Test
  void theStatusPageIsTheOneRouteServedWithoutATokenAndItHoldsNoData() {
    assertThat(s.put("/db/sec-private-name/docs/secret-id", "{\"secret\":\"s3\"}").statusCode()).isEqualTo(200);
    HttpResponse<String> withToken = s.get("/");
    HttpResponse<String> without = call(new String[] {"GET", "/", null}, null);
    assertThat(without.statusCode()).isEqualTo(200);
    assertThat(without.body()).isEqualTo(withToken.body()).doesNotContain("sec-private-name").doesNotContain("secret-id");
    // what it shows comes from the stream, which asks for the token
    assertThat(call(new String[] {"GET", "/events/stats", null}, null).statusCode()).isEqualTo(401);
  }

  @Test
  void anotherAddressThanLoopbackNeedsAToken() {
    HttpSettings open = HttpSettings.from(com.typesafe.config.ConfigFactory.load()).withHost("0.0.0.0").withPort(0);
    assertThatThrownBy(() -> KilnHttpServer.start(s.kiln, open).toCompletableFuture().join())
        .hasRootCauseInstanceOf(IllegalArgumentException.class).hasMessageContaining("without a token");
    assertThat(HttpSettings.from(com.typesafe.config.ConfigFactory.load()).host()).isEqualTo("127.0.0.1");
  }

  @Test
  void namesAndIdsThatTryToEscapeAre400AndCreateNothing() throws IOException {
    List<String> before = dataDirEntries();
    String longName = "a".repeat(10_000);
    for (String evil : new String[] {"..", "%2e%2e", "%2E%2E", "..%2Fx", "%00", "a%00b", longName}) {
      for (String[] route : new String[][] {
          {"PUT", "/db/" + evil + "/docs/a", "{}"}, {"GET", "/db/" + evil + "/docs/a", null},
          {"POST", "/db/" + evil + "/docs", "[{}]"}, {"GET", "/db/" + evil + "/all-docs", null},
          {"GET", "/db/" + evil + "/stats", null}, {"DELETE", "/db/" + evil, null},
          {"PUT", "/db/ok/docs/" + evil, "{}"}, {"GET", "/db/ok/docs/" + evil, null},
          {"DELETE", "/db/ok/docs/" + evil, null}}) {
        if (evil.equals(longName) && route[1].startsWith("/db/ok/")) {
          continue; // a long id is the next loop's case
        }
        HttpResponse<String> r = call(route, TOKEN);
        assertThat(r.statusCode()).as(route[0] + " " + route[1].substring(0, Math.min(60, route[1].length())) + ": "
            + r.body()).isEqualTo(400);
        assertThat(json(r).path("error").asText()).matches("INVALID_NAME|INVALID_ID");
      }
    }
    // ../x as a path is two segments; either way it may not reach a directory
    assertThat(call(new String[] {"PUT", "/db/../x/docs/a", "{}"}, TOKEN).statusCode()).isEqualTo(400);
    assertThat(call(new String[] {"PUT", "/db/ok/docs/../x", "{}"}, TOKEN).statusCode()).isEqualTo(400);
    // a 10,000-character id reaches the id check
    HttpResponse<String> longId = call(new String[] {"PUT", "/db/ok/docs/" + "i".repeat(10_000), "{}"}, TOKEN);
    assertThat(longId.statusCode()).as(longId.body()).isEqualTo(400);
    assertThat(json(longId).path("error").asText()).isEqualTo("INVALID_ID");
    assertThat(dataDirEntries()).containsExactlyInAnyOrderElementsOf(before);
  }

  private static List<String> dataDirEntries() throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).toList();
    }
  }
}
