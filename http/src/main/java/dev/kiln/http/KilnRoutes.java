package dev.kiln.http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.api.Database;
import dev.kiln.engine.api.Database.Feed;
import dev.kiln.engine.api.Kiln;
import dev.kiln.engine.doc.DocumentIds;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.AllDocsQuery;
import dev.kiln.protocol.DatabaseProtocol.Expected;
import dev.kiln.protocol.DatabaseProtocol.IndexQuery;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.EntityTag;
import org.apache.pekko.http.javadsl.model.headers.ETag;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.japi.pf.PFBuilder;
import org.apache.pekko.stream.Materializer;

/**
 * The routes of Kiln's HTTP API; see README.md ("Over HTTP") for the list. Each request is answered
 * once: with the engine's answer as JSON, or with {@link ApiErrors}' JSON error.
 */
final class KilnRoutes extends AllDirectives {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Kiln kiln;
  private final HttpSettings settings;
  private final Path dataDir;
  private final Executor blocking;
  private final Materializer materializer;
  private final byte[] token;
  final Metrics metrics = new Metrics();
  private final StatusPage status;
  volatile boolean stopping;

  KilnRoutes(Kiln kiln, HttpSettings settings) {
    this.kiln = kiln;
    this.settings = settings;
    this.dataDir = kiln.defaults().dataDir();
    this.blocking = kiln.system().dispatchers().lookup(DispatcherSelector.fromConfig("kiln.blocking-dispatcher"));
    this.materializer = Materializer.matFromSystem(kiln.system());
    this.token = settings.token().map(t -> ("Bearer " + t).getBytes(StandardCharsets.UTF_8)).orElse(null);
    this.status = new StatusPage(kiln, blocking, this::databases);
  }

  Route route() {
    ExceptionHandler errors = ExceptionHandler.newBuilder().match(Throwable.class, t -> complete(ApiErrors.of(t, false))).build();
    RejectionHandler rejections = RejectionHandler.defaultHandler().mapRejectionResponse(response -> {
      if (response.entity().getContentType().equals(ContentTypes.APPLICATION_JSON)) {
        return response;
      }
      String reason = response.entity() instanceof HttpEntity.Strict s ? s.getData().utf8String() : response.status().reason();
      return ApiErrors.response(response.status(), codeOf(response.status().intValue()), reason);
    });
    // The status page is static and holds no data, so it is served without the token (StatusPage says why).
    // A request that outlives the server's request timeout (a route that asks more than once) still gets
    // Kiln's JSON TIMEOUT, never pekko's plain-text 503.
    return timed(() -> withRequestTimeoutResponse(request -> ApiErrors.response(ApiErrors.status(ErrorCode.TIMEOUT),
        ErrorCode.TIMEOUT.name(), "no answer within the server's request timeout"),
        () -> handleExceptions(errors, () -> handleRejections(rejections, () -> concat(
        pathSingleSlash(() -> get(() -> complete(status.page()))),
        authorized(() -> safePath(() -> concat(
        path("health", () -> get(this::health)),
        path("metrics", () -> get(this::metricsRoute)),
        path(segment("events").slash("stats"), () -> get(() -> params(Set.of(), p -> completeOK(
            status.events(settings.statsInterval()), EventStreamMarshalling.toEventStream())))),
        path("dbs", () -> get(() -> respond(CompletableFuture.supplyAsync(() -> Map.of("databases", databases()), blocking)))),
        pathPrefix("db", () -> pathPrefix(segment(), this::database))))))))));
  }

  // ------------------------------------------------------------------ cross-cutting

  private Route timed(Supplier<Route> inner) {
    return extractRequest(request -> {
      long start = System.nanoTime();
      metrics.inFlight.incrementAndGet();
      return mapResponse(response -> {
        metrics.inFlight.decrementAndGet();
        metrics.answered(request.method().value(), response.status().intValue(), System.nanoTime() - start);
        return response;
      }, inner);
    });
  }

  /** With a token configured, every request carries it, compared in constant time. */
  private Route authorized(Supplier<Route> inner) {
    if (token == null) {
      return inner.get();
    }
    return optionalHeaderValueByName("Authorization", given -> {
      byte[] presented = given.orElse("").getBytes(StandardCharsets.UTF_8);
      if (MessageDigest.isEqual(presented, token)) {
        return inner.get();
      }
      return complete(ApiErrors.response(StatusCodes.UNAUTHORIZED, "UNAUTHORIZED", given.isEmpty()
              ? "this server needs Authorization: Bearer <token>" : "the bearer token is not the right one")
          .addHeader(WWWAuthenticate.create(HttpChallenge.create("Bearer", "kiln"))));
    });
  }

  /**
   * Refuses dot segments ({@code ..}, also as {@code %2e%2e}) before any route can name a directory with
   * one. The parsed URI has them resolved already ({@code /db/../x} arrives as {@code /x}), so this reads
   * the request target as sent ({@code Raw-Request-URI}, which the server turns on for its binding).
   */
  private Route safePath(Supplier<Route> inner) {
    return optionalHeaderValueByName("Raw-Request-URI", raw -> {
      String target = raw.orElse("/");
      int query = target.indexOf('?');
      for (String s : (query < 0 ? target : target.substring(0, query)).split("/", -1)) {
        String decoded;
        try {
          decoded = java.net.URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          decoded = s; // malformed escapes are the parser's and the routes' business
        }
        if (decoded.equals(".") || decoded.equals("..") || decoded.startsWith("../") || decoded.endsWith("/..")) {
          return complete(ApiErrors.response(StatusCodes.BAD_REQUEST, ErrorCode.INVALID_NAME.name(),
              "a path segment may not be '" + decoded + "'"));
        }
      }
      return inner.get();
    });
  }

  private static String codeOf(int status) {
    return switch (status) {
      case 404 -> "NOT_FOUND";
      case 405 -> "METHOD_NOT_ALLOWED";
      case 413 -> "BODY_TOO_LARGE";
      case 415 -> "UNSUPPORTED_MEDIA_TYPE";
      default -> "BAD_REQUEST";
    };
  }

  private Route health() {
    if (stopping) {
      return complete(ApiErrors.response(StatusCodes.SERVICE_UNAVAILABLE, "STOPPING", "the server is shutting down"));
    }
    return complete(json(StatusCodes.OK, Map.of("live", true, "ready", true)));
  }

  private Route metricsRoute() {
    CompletionStage<String> text = CompletableFuture.supplyAsync(this::databases, blocking).thenCompose(names -> {
      List<CompletableFuture<DatabaseProtocol.DatabaseStats>> all = new ArrayList<>();
      for (String name : names) {
        Database db = kiln.get(name); // only open ones: a scrape must not open (recover) every database
        if (db != null) {
          all.add(db.stats().toCompletableFuture().exceptionally(e -> null));
        }
      }
      return CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).thenApply(v -> {
        StringBuilder out = new StringBuilder();
        metrics.render(out);
        dbMetric(out, all, "kiln_carlog_length", "gauge", "CARs in the database's CarLog.", s -> (long) s.carLogLength());
        dbMetric(out, all, "kiln_car_files", "gauge", "CAR files on disk.", s -> (long) s.carFiles());
        dbMetric(out, all, "kiln_car_bytes", "gauge", "Bytes of the CAR files on disk.", DatabaseProtocol.DatabaseStats::carBytes);
        dbMetric(out, all, "kiln_documents", "gauge", "Live documents.", DatabaseProtocol.DatabaseStats::documents);
        dbMetric(out, all, "kiln_compactions_total", "counter", "Compactions since the database was created.",
            DatabaseProtocol.DatabaseStats::compactions);
        dbMetric(out, all, "kiln_minor_compactions_total", "counter", "Minor compactions (of the compactions).",
            DatabaseProtocol.DatabaseStats::minorCompactions);
        dbMetric(out, all, "kiln_carlog_bytes", "gauge", "Bytes of the CARs the CarLog names.",
            DatabaseProtocol.DatabaseStats::carLogBytes);
        dbMetric(out, all, "kiln_live_bytes", "gauge", "Live bytes as of the last compaction (a lower bound).",
            DatabaseProtocol.DatabaseStats::liveBytes);
        dbMetric(out, all, "kiln_last_seq", "counter", "Sequence of the latest write (writes committed).",
            DatabaseProtocol.DatabaseStats::lastSeq);
        dbMetric(out, all, "kiln_generation", "counter", "Compaction generation.", DatabaseProtocol.DatabaseStats::generation);
        return out.toString();
      });
    });
    return completeWithFuture(text.thenApply(t -> HttpResponse.create().withEntity(
        ContentTypes.TEXT_PLAIN_UTF8, t)));
  }

  private static void dbMetric(StringBuilder out, List<CompletableFuture<DatabaseProtocol.DatabaseStats>> all, String name,
      String type, String help, Function<DatabaseProtocol.DatabaseStats, Long> value) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    for (CompletableFuture<DatabaseProtocol.DatabaseStats> f : all) {
      DatabaseProtocol.DatabaseStats s = f.join();
      if (s != null) {
        out.append(name).append("{db=\"").append(s.name()).append("\"} ").append(value.apply(s)).append('\n');
      }
    }
  }

  // ------------------------------------------------------------------ one database

  private Route database(String name) {
    return concat(
        pathEnd(() -> delete(() -> respond(existing(name).thenCompose(Database::destroy).thenApply(done -> {
          DataDirectory.removeEmpty(dataDir, name);
          return Map.of("ok", true);
        })))),
        pathPrefix("docs", () -> concat(
            pathEnd(() -> post(() -> body(bytes -> respond(CompletableFuture.supplyAsync(() -> JsonBodies.objects(bytes),
                blocking).thenCompose(docs -> open(name, true).thenCompose(db -> {
              return db.putAll(docs).thenApply(r -> {
                metrics.writes.add(r.results().size());
                List<Map<String, Object>> results = new ArrayList<>();
                r.results().forEach(w -> results.add(Answers.written(w)));
                return Map.of("results", results, "clock", r.clock());
              });
            })))))),
            path(segment(), id -> validId(id, () -> concat(
                get(() -> params(Set.of("with-version"), p -> respondDoc(name, id, p.flag("with-version")))),
                put(() -> params(Set.of("if-version"), p -> ifMatch(p, expected -> body(bytes ->
                    respondWrite(CompletableFuture.supplyAsync(() -> document(id, bytes), blocking).thenCompose(doc ->
                        open(name, true).thenCompose(db -> expected.isEmpty() ? db.put(doc)
                            : db.put(doc, expected.get().expected))), expected))))),
                delete(() -> params(Set.of("if-version"), p -> ifMatch(p, expected -> respondWrite(
                    existing(name).thenCompose(db -> expected.isEmpty() ? db.delete(id)
                        : db.delete(id, expected.get().expected)), expected))))))))),
        path("all-docs", () -> get(() -> params(
            Set.of("prefix", "start", "end", "limit", "descending", "include-deleted"),
            p -> respond(existing(name).thenCompose(db -> db.allDocs(new AllDocsQuery(p.string("start"), p.string("end"),
                p.string("prefix"), null, p.smallNumber("limit", 0), p.flag("descending"), p.flag("include-deleted")))))))),
        path(segment("query").slash(segment()), index -> get(() -> params(
            Set.of("key", "start", "end", "prefix", "limit", "descending", "include-docs"),
            p -> respond(existing(name).thenCompose(db -> db.query(index, new IndexQuery(p.string("key"), null,
                p.string("start"), p.string("end"), p.string("prefix"), p.smallNumber("limit", 0), p.flag("descending"),
                p.flag("include-docs")))))))),
        pathPrefix("indexes", () -> concat(
            pathEnd(() -> get(() -> params(Set.of(), p -> respond(existing(name).thenCompose(Database::indexes))))),
            path(segment(), field -> concat(
                put(() -> params(Set.of("each"), p -> respond(existing(name).thenCompose(db -> db.defineIndex(field,
                    p.flag("each")))))),
                delete(() -> params(Set.of(), p -> respond(existing(name).thenCompose(db -> db.dropIndex(field))))))))),
        path("changes", () -> get(() -> params(Set.of("since", "since-clock", "prefix", "no-docs", "limit", "feed",
            "index", "key", "start", "end", "key-prefix"),
            p -> changes(name, p)))),
        path("compact", () -> post(() -> params(Set.of("minor"), p -> respond(existing(name).thenCompose(db ->
            db.compact(p.flag("minor") ? DatabaseProtocol.CompactionKind.MINOR : DatabaseProtocol.CompactionKind.MAJOR)))))),
        path("stats", () -> get(() -> respond(existing(name).thenCompose(Database::stats)))));
  }

  /** Checks an id before any route opens (and so may create) a database for it. */
  private static Route validId(String id, Supplier<Route> inner) {
    DocumentIds.validate(id);
    return inner.get();
  }

  /** The body of a PUT, parsed before anything is opened, with the path's id (a different _id is refused). */
  private static ObjectNode document(String id, byte[] bytes) {
    ObjectNode doc = JsonBodies.object(bytes);
    if (doc.has("_id") && !id.equals(doc.get("_id").asText(null))) {
      throw new KilnException(ErrorCode.INVALID_ID, "the body's _id " + doc.get("_id") + " is not the id in the path, '"
          + id + "'");
    }
    doc.put("_id", id);
    return doc;
  }

  private Route changes(String name, QueryParams p) {
    String feed = p.string("feed");
    Feed from = new Feed(p.number("since", 0), p.string("since-clock"), p.string("prefix"), !p.flag("no-docs"),
        settings.sseBuffer(), 512, keyRange(p));
    if (feed == null) {
      return respond(existing(name).thenCompose(db -> db.changes(from, p.smallNumber("limit", 0))));
    }
    if (!feed.equals("live")) {
      throw new KilnException(ErrorCode.INVALID_QUERY, "feed is 'live' (Server-Sent Events) or absent, got '" + feed + "'");
    }
    if (p.string("limit") != null) {
      throw new KilnException(ErrorCode.INVALID_QUERY, "a live feed takes no limit; close it when done");
    }
    // A reconnecting EventSource sends the id of the last event it got: resume right after it.
    return optionalHeaderValueByName("Last-Event-ID", last -> onSuccess(existing(name), db -> {
      Feed start = last.isEmpty() ? from : new Feed(parseLastEventId(last.get()), null, from.idPrefix(),
          from.includeDocs(), from.bufferSize(), from.pageSize(), from.range());
      var events = db.liveChanges(start)
          .map(c -> ServerSentEvent.create(JSON.writeValueAsString(c), "change", Long.toString(c.seq())))
          // a feed that ends (its database closed) says why in a last event, so the client knows to resume
          .recover(new PFBuilder<Throwable, ServerSentEvent>()
              .match(KilnException.class, KilnRoutes::endEvent)
              .build())
          .keepAlive(settings.sseKeepAlive(), ServerSentEvent::heartbeat)
          .watchTermination((mat, done) -> {
            metrics.liveFeeds.incrementAndGet();
            done.whenComplete((d, e) -> metrics.liveFeeds.decrementAndGet());
            return mat;
          });
      return completeOK(events, EventStreamMarshalling.toEventStream());
    }));
  }

  /** The last event of a live feed that ends: {@code {"error": CODE, "reason": …}}, without an id. */
  private static ServerSentEvent endEvent(KilnException ended) throws com.fasterxml.jackson.core.JsonProcessingException {
    ObjectNode error = JSON.createObjectNode().put("error", ended.code().name()).put("reason", ended.getMessage());
    return ServerSentEvent.create(JSON.writeValueAsString(error), "end");
  }

  /** A feed's index key range: {@code index} with a query's {@code key}, {@code start}/{@code end} or {@code key-prefix}. */
  private static DatabaseProtocol.KeyRange keyRange(QueryParams p) {
    String index = p.string("index");
    if (index == null) {
      for (String name : List.of("key", "start", "end", "key-prefix")) {
        if (p.string(name) != null) {
          throw new KilnException(ErrorCode.INVALID_QUERY, name + " selects keys of an index: give the index too");
        }
      }
      return null;
    }
    return new DatabaseProtocol.KeyRange(index, p.string("key"), p.string("start"), p.string("end"), p.string("key-prefix"));
  }

  private static long parseLastEventId(String text) {
    try {
      return Long.parseLong(text.strip());
    } catch (NumberFormatException e) {
      throw new KilnException(ErrorCode.INVALID_QUERY, "Last-Event-ID is the sequence of the last change received, got '"
          + text + "'");
    }
  }

  // ------------------------------------------------------------------ helpers

  private Route params(Set<String> allowed, Function<QueryParams, Route> inner) {
    return parameterMap(map -> inner.apply(new QueryParams(map, allowed)));
  }

  /** What a conditional write expects: from {@code If-Match} (a failure is 412) or {@code ?if-version=} (409). */
  private record Condition(Expected expected, boolean fromHeader) {}

  private Route ifMatch(QueryParams p, Function<Optional<Condition>, Route> inner) {
    return optionalHeaderValueByName("If-Match", header -> {
      String query = p.string("if-version");
      if (header.isPresent() && query != null) {
        throw new KilnException(ErrorCode.INVALID_QUERY, "give the expected version as If-Match or as if-version, not both");
      }
      if (header.isPresent()) {
        String v = header.get().strip();
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
          v = v.substring(1, v.length() - 1);
        }
        return inner.apply(Optional.of(new Condition(Expected.parse(v), true)));
      }
      return inner.apply(query == null ? Optional.empty() : Optional.of(new Condition(Expected.parse(query), false)));
    });
  }

  /** The request body, a JSON document (415 otherwise), read to at most {@code kiln.http.max-body-bytes}. */
  private Route body(Function<byte[], Route> inner) {
    return extractRequestEntity(entity -> {
      if (!entity.getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON)) {
        return complete(ApiErrors.response(StatusCodes.UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE",
            "the body must be application/json, got " + entity.getContentType()));
      }
      if (entity.getContentLengthOption().orElse(0) > settings.maxBodyBytes()) {
        return complete(ApiErrors.of(new ApiErrors.BadRequest(StatusCodes.PAYLOAD_TOO_LARGE, "BODY_TOO_LARGE",
            "the body is " + entity.getContentLengthOption().getAsLong() + " bytes, kiln.http.max-body-bytes allows "
                + settings.maxBodyBytes()), false));
      }
      // a chunked body has no length up front: the limit applies while it is read (EntityStreamSizeException)
      CompletionStage<byte[]> bytes = entity
          .toStrict(settings.bodyTimeout().toMillis(), settings.maxBodyBytes(), materializer)
          .thenApply(strict -> strict.getData().toArray());
      return onComplete(bytes, done -> done.isSuccess() ? inner.apply(done.get())
          : complete(ApiErrors.of(done.failed().get(), false)));
    });
  }

  /** The database, opened (created when {@code create}) off the HTTP threads: opening waits for its actor. */
  private CompletionStage<Database> open(String name, boolean create) {
    Database db = kiln.get(name);
    if (db != null) { // open already: no trip to the blocking dispatcher (which CAR writes and fsyncs share) to look at the disk
      return CompletableFuture.completedFuture(db);
    }
    return CompletableFuture.supplyAsync(() -> {
      if (!create && !kiln.exists(name)) { // exists() also refuses a bad name, before anything is created
        throw new KilnException(ErrorCode.NOT_FOUND, "no database named " + name + " (a PUT of a document creates one)");
      }
      return kiln.open(name);
    }, blocking);
  }

  private CompletionStage<Database> existing(String name) {
    return open(name, false);
  }

  private List<String> databases() {
    return kiln.databases(); // the configured storage's: PostgreSQL's on a cluster
  }

  private Route respondDoc(String name, String id, boolean withVersion) {
    return completeWithFuture(existing(name).thenCompose(db -> db.read(id)).handle((doc, error) -> {
      if (error != null) {
        return ApiErrors.of(error, false);
      }
      HttpResponse r = json(StatusCodes.OK, withVersion ? doc : doc.doc());
      return doc.version() == null ? r : r.addHeader(ETag.create(EntityTag.create(doc.version().toString(), false)));
    }));
  }

  private Route respondWrite(CompletionStage<WriteResult> write, Optional<Condition> condition) {
    boolean header = condition.map(Condition::fromHeader).orElse(false);
    return completeWithFuture(write.handle((w, error) -> {
      if (error != null) {
        return ApiErrors.of(error, header);
      }
      metrics.writes.increment();
      return json(StatusCodes.OK, Answers.written(w)).addHeader(ETag.create(EntityTag.create(w.version().toString(), false)));
    }));
  }

  private Route respond(CompletionStage<?> answer) {
    return completeWithFuture(answer.handle((value, error) -> error != null ? ApiErrors.of(error, false)
        : json(StatusCodes.OK, value)));
  }

  private static HttpResponse json(org.apache.pekko.http.javadsl.model.StatusCode status, Object value) {
    try {
      return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, JSON.writeValueAsBytes(value));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return ApiErrors.of(new KilnException(ErrorCode.INTERNAL, "cannot write the answer as JSON: " + e.getMessage(), e), false);
    }
  }
}
