package dev.kiln.http;

import static dev.kiln.http.TestServer.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.protocol.ErrorCode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every route and every error status of the HTTP API, over a real socket. */
class HttpRoutesTest {
  @TempDir static Path dir;
  static TestServer s;

  @BeforeAll
  static void start() {
    s = new TestServer(dir, Map.of("kiln.http.max-body-bytes", "64 KiB", "kiln.max-doc-bytes", "16 KiB"));
  }

  @AfterAll
  static void stop() {
    s.close();
  }

  private static void assertError(HttpResponse<String> r, int status, String code) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode body = json(r);
    assertThat(body.path("error").asText()).isEqualTo(code);
    assertThat(body.path("reason").asText()).isNotBlank();
  }

  @Test
  void putGetDeleteADocument() {
    HttpResponse<String> put = s.put("/db/crud/docs/a", "{\"title\":\"hello\"}");
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    String version = json(put).path("version").asText();
    assertThat(json(put).path("id").asText()).isEqualTo("a");

    HttpResponse<String> got = s.get("/db/crud/docs/a");
    assertThat(got.statusCode()).isEqualTo(200);
    assertThat(json(got).path("title").asText()).isEqualTo("hello");
    assertThat(json(got).path("_id").asText()).isEqualTo("a");
    assertThat(got.headers().firstValue("ETag")).hasValue("\"" + version + "\"");
    assertThat(json(s.get("/db/crud/docs/a?with-version=true")).path("version").asText()).isEqualTo(version);

    assertThat(s.delete("/db/crud/docs/a").statusCode()).isEqualTo(200);
    assertError(s.get("/db/crud/docs/a"), 404, "NOT_FOUND");
  }

  @Test
  void conditionalWritesAnswer409ForIfVersionAnd412ForIfMatch() {
    String v1 = json(s.put("/db/cond/docs/a", "{\"n\":1}")).path("version").asText();
    String v2 = json(s.put("/db/cond/docs/a", "{\"n\":2}", "If-Match", "\"" + v1 + "\"")).path("version").asText();

    assertError(s.put("/db/cond/docs/a", "{\"n\":3}", "If-Match", "\"" + v1 + "\""), 412, "CONFLICT");
    assertError(s.put("/db/cond/docs/a?if-version=" + v1, "{\"n\":3}"), 409, "CONFLICT");
    assertError(s.put("/db/cond/docs/a?if-version=none", "{\"n\":3}"), 409, "CONFLICT");
    assertError(s.delete("/db/cond/docs/a", "If-Match", "\"" + v1 + "\""), 412, "CONFLICT");
    assertError(s.put("/db/cond/docs/a?if-version=banana", "{\"n\":3}"), 400, "INVALID_QUERY");
    assertThat(json(s.get("/db/cond/docs/a")).path("n").asInt()).isEqualTo(2);
    assertThat(s.delete("/db/cond/docs/a?if-version=" + v2).statusCode()).isEqualTo(200);
  }

  @Test
  void bulkIsAllOrNothing() {
    HttpResponse<String> ok = s.post("/db/bulk/docs", "[{\"_id\":\"a\"},{\"_id\":\"b\"}]");
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(json(ok).path("results")).hasSize(2);

    assertError(s.post("/db/bulk/docs", "[{\"_id\":\"c\"},42]"), 400, "INVALID_DOCUMENT");
    assertError(s.post("/db/bulk/docs", "[{\"_id\":\"c\"},{\"_id\":7}]"), 400, "INVALID_ID");
    assertError(s.post("/db/bulk/docs", "{\"_id\":\"c\"}"), 400, "INVALID_DOCUMENT");
    assertThat(json(s.get("/db/bulk/all-docs")).path("rows")).hasSize(2);
  }

  @Test
  void allDocsQueryIndexesChangesWithTheCliOptionNames() {
    s.post("/db/q/docs", "[{\"_id\":\"a1\",\"city\":\"Oslo\"},{\"_id\":\"a2\",\"city\":\"Rome\"},{\"_id\":\"b1\",\"city\":\"Oslo\"}]");
    JsonNode rows = json(s.get("/db/q/all-docs?prefix=a&descending=true&limit=1")).path("rows");
    assertThat(rows).hasSize(1);
    assertThat(rows.get(0).path("id").asText()).isEqualTo("a2");

    assertError(s.get("/db/q/query/city?key=%22Oslo%22"), 404, "NOT_FOUND");
    HttpResponse<String> defined = s.put("/db/q/indexes/city", null);
    assertThat(defined.statusCode()).as(defined.body()).isEqualTo(200);
    JsonNode hits = json(s.get("/db/q/query/city?key=%22Oslo%22&include-docs=true")).path("rows");
    assertThat(hits).hasSize(2);
    assertThat(hits.get(0).path("doc").path("city").asText()).isEqualTo("Oslo");
    assertThat(json(s.get("/db/q/indexes")).path("indexes")).hasSize(1);

    JsonNode changes = json(s.get("/db/q/changes?since=1&limit=1&no-docs=true"));
    assertThat(changes.path("changes")).hasSize(1);
    assertThat(changes.path("changes").get(0).path("seq").asLong()).isEqualTo(2);

    assertError(s.get("/db/q/all-docs?colour=red"), 400, "INVALID_QUERY");
    assertError(s.get("/db/q/all-docs?limit=-1"), 400, "INVALID_QUERY");
    assertError(s.get("/db/q/all-docs?descending=maybe"), 400, "INVALID_QUERY");
    assertError(s.get("/db/q/changes?feed=longpoll"), 400, "INVALID_QUERY");
  }

  @Test
  void compactStatsDbsAndDroppingADatabase() {
    s.put("/db/maint/docs/a", "{}");
    s.put("/db/maint/docs/b", "{}");
    JsonNode compacted = json(s.post("/db/maint/compact", null));
    assertThat(compacted.path("carLogAfter").asInt()).isEqualTo(1);
    assertThat(json(s.get("/db/maint/stats")).path("documents").asLong()).isEqualTo(2);
    s.put("/db/maint/docs/c", "{}");
    JsonNode minor = json(s.post("/db/maint/compact?minor=true", null));
    assertThat(minor.path("kind").asText()).isEqualTo("MINOR");
    JsonNode stats = json(s.get("/db/maint/stats"));
    assertThat(stats.path("minorCompactions").asLong()).isEqualTo(1);
    assertThat(stats.path("majorCompactions").asLong()).isEqualTo(1);
    assertThat(stats.path("liveBytes").asLong()).isPositive();
    assertThat(json(s.get("/dbs")).path("databases")).anyMatch(n -> n.asText().equals("maint"));

    assertThat(s.delete("/db/maint").statusCode()).isEqualTo(200);
    assertThat(json(s.get("/dbs")).path("databases")).noneMatch(n -> n.asText().equals("maint"));
    assertError(s.get("/db/maint/stats"), 404, "NOT_FOUND");
    assertError(s.delete("/db/maint"), 404, "NOT_FOUND");
  }

  @Test
  void healthAndPrometheusMetrics() {
    assertThat(json(s.get("/health")).path("ready").asBoolean()).isTrue();
    s.put("/db/metered/docs/a", "{}");
    HttpResponse<String> metrics = s.get("/metrics");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
    assertThat(metrics.body()).contains("# TYPE kiln_carlog_length gauge", "kiln_carlog_length{db=\"metered\"} ",
        "kiln_documents{db=\"metered\"} 1", "# TYPE kiln_live_bytes gauge", "kiln_minor_compactions_total{db=\"metered\"} 0",
        "kiln_http_request_seconds_count{method=\"PUT\"}", "kiln_http_writes_total");
  }

  @Test
  void badInputGetsItsStatusAndStoresNothing() {
    assertError(s.put("/db/bad/docs/a", "{\"a\":1"), 400, "INVALID_DOCUMENT");
    assertError(s.put("/db/bad/docs/a", "{\"a\":1,\"a\":2}"), 400, "INVALID_DOCUMENT");
    assertError(s.put("/db/bad/docs/a", "{\"a\":1} trailing"), 400, "INVALID_DOCUMENT");
    assertError(s.put("/db/bad/docs/a", "[1]"), 400, "INVALID_DOCUMENT");
    assertError(s.put("/db/bad/docs/a", "{\"_id\":\"b\"}"), 400, "INVALID_ID");
    assertThat(json(s.get("/dbs")).path("databases")).as("refused before anything is opened")
        .noneMatch(n -> n.asText().equals("bad"));
    assertError(s.send("PUT", "/db/bad/docs/a", "text/plain", "{}"), 415, "UNSUPPORTED_MEDIA_TYPE");
    assertError(s.send("PUT", "/db/bad/docs/a", null, "{}"), 415, "UNSUPPORTED_MEDIA_TYPE");
    // over kiln.max-doc-bytes (16 KiB here) but under the body limit: the engine's DOCUMENT_TOO_LARGE
    assertError(s.put("/db/bad/docs/a", "{\"x\":\"" + "y".repeat(20_000) + "\"}"), 413, "DOCUMENT_TOO_LARGE");
    // over kiln.http.max-body-bytes (64 KiB here): refused while reading
    assertError(s.put("/db/bad/docs/a", "{\"x\":\"" + "y".repeat(100_000) + "\"}"), 413, "BODY_TOO_LARGE");
    assertError(s.get("/db/nosuch/docs/a"), 404, "NOT_FOUND");
    assertError(s.get("/db/nosuch/all-docs"), 404, "NOT_FOUND");
    assertError(s.get("/no/such/route"), 404, "NOT_FOUND");
    assertError(s.send("PATCH", "/db/bad/docs/a", "application/json", "{}"), 405, "METHOD_NOT_ALLOWED");
    // a document the engine refuses (too large) may leave its new database behind, but no document in it
    assertError(s.get("/db/bad/docs/a"), 404, "NOT_FOUND");
    assertThat(json(s.get("/dbs")).path("databases")).noneMatch(n -> n.asText().equals("nosuch"));
  }

  @Test
  void aChunkedBodyOverTheLimitIs413WhileItIsRead() throws Exception {
    byte[] big = ("{\"x\":\"" + "y".repeat(100_000) + "\"}").getBytes(StandardCharsets.UTF_8);
    java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(
            java.net.URI.create(s.server.url() + "/db/chunked/docs/a"))
        .header("Content-Type", "application/json")
        // no length up front: the client sends it chunked, so only reading it can find it too large
        .PUT(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big)))
        .build();
    HttpResponse<String> r = s.client.send(request, HttpResponse.BodyHandlers.ofString());
    assertError(r, 413, "BODY_TOO_LARGE");
    assertThat(json(s.get("/dbs")).path("databases")).noneMatch(n -> n.asText().equals("chunked"));
  }

  @Test
  void anOverloadedDatabaseAnswers503AndStoresNothing(@TempDir Path other) {
    // no room in the commit queue: every write is refused with OVERLOADED, deterministically
    try (TestServer full = new TestServer(other, Map.of("kiln.commit.max-pending-writes", 0))) {
      assertError(full.put("/db/busy/docs/a", "{}"), 503, "OVERLOADED");
      assertError(full.post("/db/busy/docs", "[{\"_id\":\"b\"}]"), 503, "OVERLOADED");
      assertError(full.get("/db/busy/docs/a"), 404, "NOT_FOUND");
    }
    // a journal that cannot be reached says "try later" the same way
    assertThat(ApiErrors.of(new dev.kiln.protocol.KilnException(ErrorCode.JOURNAL, "down"), false).status().intValue())
        .isEqualTo(503);
    // a store that fails underneath (PostgreSQL away while a node looks a database up) is STORAGE, never INTERNAL
    var storage = ApiErrors.of(new java.util.concurrent.CompletionException(
        new dev.kiln.engine.car.CarStoreException("postgres:db", "PostgreSQL: cannot read the epoch", null)), false);
    assertThat(storage.status().intValue()).isEqualTo(500);
    assertThat(((org.apache.pekko.http.javadsl.model.HttpEntity.Strict) storage.entity()).getData().utf8String())
        .contains("\"error\":\"STORAGE\"", "cannot read the epoch");
  }

  @Test
  void aClientThatVanishesMidBodyCreatesNothingAndTheServerGoesOn() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", s.server.address().getPort())) {
      OutputStream out = socket.getOutputStream();
      out.write(("PUT /db/vanished/docs/a HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Content-Length: 1000\r\n\r\n{\"half\":").getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }
    // the connection is gone; a request after it is answered and nothing of the half body was stored
    assertThat(s.get("/health").statusCode()).isEqualTo(200);
    assertThat(json(s.get("/dbs")).path("databases")).noneMatch(n -> n.asText().equals("vanished"));
    assertError(s.get("/db/vanished/docs/a"), 404, "NOT_FOUND");
  }

  static String readHead(InputStream in) throws java.io.IOException {
    StringBuilder head = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0) {
      head.append((char) c);
      if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
        break;
      }
    }
    return head.toString();
  }
}
