package dev.kiln.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.api.Database;
import dev.kiln.engine.api.Kiln;
import dev.kiln.protocol.DatabaseProtocol.DatabaseStats;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The status page at {@code /} and the stream that feeds it ({@code GET /events/stats}).
 *
 * <p>The page is one static HTML file (a class-path resource: inline CSS, inline script, the chart
 * drawn as SVG by that script) and holds no data, so it is the one route served without the bearer
 * token; everything it shows comes from the stream, which asks for the token like every other route.
 * The script takes the token from the address's fragment ({@code /#token=…}, which the browser never
 * sends) or from a form, keeps it in the tab's sessionStorage and sends it as {@code Authorization:
 * Bearer}; that is why it reads the stream with fetch() rather than EventSource, which cannot send
 * headers.
 */
final class StatusPage {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The page may load nothing from anywhere and talk only to this server. */
  private static final String POLICY = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
      + "connect-src 'self'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

  private final byte[] html = load();
  private final Kiln kiln;
  private final Executor blocking;
  private final Supplier<List<String>> databases;

  StatusPage(Kiln kiln, Executor blocking, Supplier<List<String>> databases) {
    this.kiln = kiln;
    this.blocking = blocking;
    this.databases = databases;
  }

  HttpResponse page() {
    return HttpResponse.create().withEntity(ContentTypes.TEXT_HTML_UTF8, html)
        .addHeader(RawHeader.create("Content-Security-Policy", POLICY))
        .addHeader(RawHeader.create("Cache-Control", "no-cache"))
        .addHeader(RawHeader.create("Referrer-Policy", "no-referrer"))
        .addHeader(RawHeader.create("X-Content-Type-Options", "nosniff"));
  }

  /**
   * One {@code stats} event at once and then every {@code interval}: every database in the data
   * directory, each open one with all of its {@link DatabaseStats} fields. A tick that finds the
   * client still busy with the last event is dropped, so a slow client holds at most one event.
   */
  Source<ServerSentEvent, NotUsed> events(java.time.Duration interval) {
    return Source.tick(java.time.Duration.ZERO, interval, NotUsed.getInstance())
        .mapAsync(1, tick -> snapshot())
        .map(json -> ServerSentEvent.create(json, "stats"))
        .mapMaterializedValue(ticking -> NotUsed.getInstance()); // the tick ends when the client goes away
  }

  /** The event's data: {@code {"time": ms, "databases": [{"name", "open", …stats}]}}. */
  CompletionStage<String> snapshot() {
    return CompletableFuture.supplyAsync(databases, blocking).thenCompose(names -> {
      List<CompletableFuture<ObjectNode>> rows = new ArrayList<>(names.size());
      for (String name : names) {
        Database db = kiln.get(name); // only open ones: watching must not open (recover) every database
        CompletableFuture<ObjectNode> closed = CompletableFuture.completedFuture(closed(name));
        rows.add(db == null ? closed : db.stats().toCompletableFuture().thenApply(StatusPage::open)
            .exceptionally(e -> closed(name))); // closing meanwhile: shown as closed
      }
      return CompletableFuture.allOf(rows.toArray(new CompletableFuture[0])).thenApply(done -> {
        ObjectNode out = JSON.createObjectNode();
        out.put("time", System.currentTimeMillis());
        ArrayNode list = out.putArray("databases");
        rows.forEach(r -> list.add(r.join()));
        return out.toString();
      });
    });
  }

  private static ObjectNode open(DatabaseStats stats) {
    ObjectNode row = JSON.valueToTree(stats); // every field, so one that Stats gains shows up without a change here
    row.put("open", true);
    return row;
  }

  private static ObjectNode closed(String name) {
    ObjectNode row = JSON.createObjectNode();
    row.put("name", name);
    row.put("open", false);
    return row;
  }

  private static byte[] load() {
    try (InputStream in = StatusPage.class.getResourceAsStream("status.html")) {
      if (in == null) {
        throw new IllegalStateException("status.html is missing from the kiln-http jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
