package dev.kiln.engine.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.actor.Errors;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.AllDocsQuery;
import dev.kiln.protocol.DatabaseProtocol.AllDocsResult;
import dev.kiln.protocol.DatabaseProtocol.BulkResult;
import dev.kiln.protocol.DatabaseProtocol.ChangeBatch;
import dev.kiln.protocol.DatabaseProtocol.ChangesResult;
import dev.kiln.protocol.DatabaseProtocol.CompactResult;
import dev.kiln.protocol.DatabaseProtocol.DatabaseStats;
import dev.kiln.protocol.DatabaseProtocol.Expected;
import dev.kiln.protocol.DatabaseProtocol.IndexQuery;
import dev.kiln.protocol.DatabaseProtocol.QueryResult;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;

/**
 * One open database. Every method returns at once; the stage completes with the answer, or fails
 * with a {@link KilnException} whose {@link ErrorCode} says what went wrong.
 */
public final class Database {
  private final String name;
  /** The DatabaseActor on this node; null when a {@link DatabaseHosting} runs it (maybe elsewhere). */
  private final ActorRef<DatabaseProtocol.Command> ref;
  /** Where the protocol goes: {@code ref}, or the hosting's recipient (a cluster's EntityRef). */
  private final RecipientRef<DatabaseProtocol.Command> recipient;
  private final CompletableFuture<Void> terminated;
  private final ActorSystem<?> system;
  private final Duration timeout;
  /**
   * On a hosting (a cluster), how long one attempt waits before the request is sent again; null on
   * one node, where a request is sent once.
   */
  private final Duration attemptTimeout;
  private final ObjectMapper mapper;
  private volatile boolean closed;

  Database(String name, ActorRef<DatabaseProtocol.Command> ref, CompletableFuture<Void> terminated,
      ActorSystem<?> system, Duration timeout, ObjectMapper mapper) {
    this(name, ref, ref, terminated, system, timeout, null, mapper);
  }

  /**
   * A hosted database: closing this handle leaves the database running for every other handle. A
   * request without an answer after {@code attemptTimeout} is sent again (see {@link #resending}).
   */
  Database(String name, RecipientRef<DatabaseProtocol.Command> recipient, ActorSystem<?> system, Duration timeout,
      Duration attemptTimeout, ObjectMapper mapper) {
    this(name, null, recipient, new CompletableFuture<>(), system, timeout, attemptTimeout, mapper);
  }

  private Database(String name, ActorRef<DatabaseProtocol.Command> ref, RecipientRef<DatabaseProtocol.Command> recipient,
      CompletableFuture<Void> terminated, ActorSystem<?> system, Duration timeout, Duration attemptTimeout,
      ObjectMapper mapper) {
    this.name = name;
    this.ref = ref;
    this.recipient = recipient;
    this.terminated = terminated;
    this.system = system;
    this.timeout = timeout;
    this.attemptTimeout = attemptTimeout;
    this.mapper = mapper;
    terminated.thenRun(() -> closed = true);
  }

  public String name() {
    return name;
  }

  /**
   * The DatabaseActor, for sending the protocol directly with ask or watching it.
   *
   * @throws UnsupportedOperationException for a hosted database (a cluster's entity moves between
   *     nodes and has no one ActorRef): use {@link #recipient()}
   */
  public ActorRef<DatabaseProtocol.Command> ref() {
    if (ref == null) {
      throw new UnsupportedOperationException("database " + name + " runs under kiln.hosting and has no one ActorRef; "
          + "use recipient()");
    }
    return ref;
  }

  /** Where this database's protocol goes, on one node or on a cluster (an EntityRef); ask and tell work on both. */
  public RecipientRef<DatabaseProtocol.Command> recipient() {
    return recipient;
  }

  public boolean isClosed() {
    return closed;
  }

  CompletableFuture<Void> terminated() {
    return terminated;
  }

  // ------------------------------------------------------------------ documents

  public CompletionStage<WriteResult> put(ObjectNode doc) {
    // A private copy, taken now on the caller's thread: the message must carry a document that
    // nobody changes afterwards, while the caller may reuse its node at once.
    ObjectNode copy = doc == null ? null : doc.deepCopy();
    String request = requestId();
    return resending(r -> new DatabaseProtocol.Put(copy, null, r, request));
  }

  /**
   * Stores the document only if it is at the {@code expected} version ({@link Expected#version}, from
   * {@link #read} or an earlier write's {@link WriteResult#version()}) or, with {@link Expected#absent()},
   * only if no live document has its id. Otherwise fails with {@link ErrorCode#CONFLICT} and stores
   * nothing; the check is made in the commit, so of racing writers expecting one version one wins.
   */
  public CompletionStage<WriteResult> put(ObjectNode doc, Expected expected) {
    ObjectNode copy = doc == null ? null : doc.deepCopy(); // as put(doc)
    String request = requestId();
    return resending(r -> new DatabaseProtocol.Put(copy, expected, r, request));
  }

  /** Stores a record or POJO, mapped to JSON with Jackson. */
  public CompletionStage<WriteResult> put(Object value) {
    try {
      return put(toObject(value));
    } catch (KilnException e) {
      return failed(e);
    }
  }

  /** Stores documents (JSON objects, records or POJOs) in one commit: all of them, or none. */
  public CompletionStage<BulkResult> putAll(List<?> docs) {
    List<ObjectNode> nodes = new ArrayList<>(docs.size());
    try {
      for (Object d : docs) {
        nodes.add(toObject(d).deepCopy()); // taken now, as for put
      }
    } catch (KilnException e) {
      return failed(e);
    }
    List<ObjectNode> all = List.copyOf(nodes);
    String request = requestId();
    return resending(r -> new DatabaseProtocol.PutAll(all, r, request));
  }

  public CompletionStage<ObjectNode> get(String id) {
    return read(id).thenApply(DatabaseProtocol.DocResult::doc);
  }

  /** The document mapped to {@code type} with Jackson (unknown fields such as {@code _id} are the type's business). */
  public <T> CompletionStage<T> get(String id, Class<T> type) {
    return get(id).thenApply(doc -> convert(doc, type));
  }

  public CompletionStage<WriteResult> delete(String id) {
    return delete(id, null);
  }

  /** Deletes the document only if it is at the {@code expected} version; see {@link #put(ObjectNode, Expected)}. */
  public CompletionStage<WriteResult> delete(String id, Expected expected) {
    String request = requestId();
    return resending(r -> new DatabaseProtocol.Delete(id, expected, r, request));
  }

  /** The live document with its {@link DatabaseProtocol.Version version} and the clock it was read at. */
  public CompletionStage<DatabaseProtocol.DocResult> read(String id) {
    return resending(r -> new DatabaseProtocol.Get(id, r));
  }

  public CompletionStage<AllDocsResult> allDocs(AllDocsQuery query) {
    return resending(r -> new DatabaseProtocol.AllDocs(query, r));
  }

  public CompletionStage<AllDocsResult> allDocs() {
    return allDocs(AllDocsQuery.all());
  }

  /** The live documents of an all-docs scan, mapped to {@code type}. */
  public <T> CompletionStage<List<T>> allDocs(AllDocsQuery query, Class<T> type) {
    return allDocs(query).thenApply(result -> {
      List<T> out = new ArrayList<>(result.rows().size());
      for (DatabaseProtocol.DocRow row : result.rows()) {
        if (!row.deleted()) {
          out.add(convert(row.doc(), type));
        }
      }
      return out;
    });
  }

  // ------------------------------------------------------------------ query indexes

  /**
   * Defines a field index on {@code field} (a dotted path such as {@code address.city} or a JSON
   * pointer), named by the path, and builds it; idempotent. From then on every commit keeps it
   * current, in every process that opens the database. Map indexes are registered instead, with
   * {@link dev.kiln.engine.config.DatabaseSettings#withIndex}.
   */
  public CompletionStage<DatabaseProtocol.IndexDefined> defineIndex(String field) {
    return defineIndex(field, false);
  }

  /**
   * A field index on {@code field} that, with {@code each}, emits each element of an array there
   * (so a document tagged {@code ["a","b"]} is found by {@code "a"}); named by the path, as
   * {@link #defineIndex(String)}.
   */
  public CompletionStage<DatabaseProtocol.IndexDefined> defineIndex(String field, boolean each) {
    // idempotent without a request id: defined again, it is answered when the index is current
    return resending(r -> new DatabaseProtocol.DefineIndex(field, each, r));
  }

  /**
   * Removes a stored index: later writes stop paying for it, and its blocks go at the next
   * compaction. A map index registered in code cannot be dropped while it is registered.
   */
  public CompletionStage<DatabaseProtocol.IndexDropped> dropIndex(String name) {
    String request = requestId();
    return resending(r -> new DatabaseProtocol.DropIndex(name, r, request));
  }

  /** Every index with its size and how current it is. */
  public CompletionStage<DatabaseProtocol.IndexList> indexes() {
    return resending(r -> new DatabaseProtocol.ListIndexes(r));
  }

  /** Rows of the index named {@code index}; see {@link IndexQuery} for the options. */
  public CompletionStage<QueryResult> query(String index, IndexQuery query) {
    return resending(r -> new DatabaseProtocol.Query(index, query, r));
  }

  /** A query row with its document mapped to a Java type. */
  public record Row<T>(JsonNode key, String id, JsonNode value, T doc) {}

  /** Rows of the index with their documents (includeDocs is implied) mapped to {@code type}. */
  public <T> CompletionStage<List<Row<T>>> query(String index, IndexQuery query, Class<T> type) {
    return query(index, query.withIncludeDocs(true)).thenApply(result -> {
      List<Row<T>> out = new ArrayList<>(result.rows().size());
      for (DatabaseProtocol.QueryRow row : result.rows()) {
        out.add(new Row<>(row.key(), row.id(), row.value(), convert(row.doc(), type)));
      }
      return out;
    });
  }

  public CompletionStage<ChangesResult> changes(long since, int limit) {
    return resending(r -> new DatabaseProtocol.Changes(since, limit, r));
  }

  /** One page of at most {@code limit} changes (0: all) from where {@code from} starts, with its filters. */
  public CompletionStage<ChangesResult> changes(Feed from, int limit) {
    return resending(r -> new DatabaseProtocol.Changes(from.since(), from.sinceClock(), limit, from.idPrefix(),
        from.includeDocs(), from.range(), r));
  }

  /**
   * Every commit from now on, as it is acknowledged. The source buffers {@code bufferSize} batches
   * and then fails (a subscriber too slow to keep up learns it rather than missing changes silently);
   * read {@link #changes} from the last sequence seen to catch up, or use {@link #liveChanges(Feed)},
   * which replays from a sequence and then follows, at the reader's pace. Like that feed, the
   * stream fails with CLOSED when the database closes (or, on a cluster, passivates or moves).
   */
  public Source<ChangeBatch, NotUsed> liveChanges(int bufferSize) {
    if (closed) {
      return Source.failed(new KilnException(ErrorCode.CLOSED, "database " + name + " is closed"));
    }
    return ActorSource.<Object>actorRef(
            m -> false,
            m -> m instanceof DatabaseProtocol.FeedEnded end ? java.util.Optional.of(end.toException())
                : java.util.Optional.empty(),
            bufferSize + 2, // the batches, the feed's start and its end
            OverflowStrategy.fail())
        .mapMaterializedValue(subscriber -> {
          // The end comes from a Follow feed that is never asked for a page (so it reads nothing): a
          // child of the database, it stops with it and says so, after every batch the database sent.
          recipient.tell(Feed.since(0).follow(subscriber.narrow()));
          recipient.tell(new DatabaseProtocol.Subscribe(subscriber.narrow()));
          return NotUsed.getInstance();
        })
        .collectType(ChangeBatch.class);
  }

  /**
   * Where a complete change feed starts and what it carries: after sequence {@code since}, or after
   * the commit a reply's clock names ({@code sinceClock}, while the database still holds it; see
   * {@link DatabaseProtocol.Changes}); only ids starting with {@code idPrefix} (null: all); documents
   * when {@code includeDocs}; only documents in an index key {@code range} (null: all; see
   * {@link DatabaseProtocol.KeyRange} for which changes those are); {@code bufferSize} pages read
   * ahead of the reader; {@code pageSize} changes read at a time.
   */
  public record Feed(long since, String sinceClock, String idPrefix, boolean includeDocs, int bufferSize, int pageSize,
      DatabaseProtocol.KeyRange range) {
    public Feed(long since, String sinceClock, String idPrefix, boolean includeDocs, int bufferSize, int pageSize) {
      this(since, sinceClock, idPrefix, includeDocs, bufferSize, pageSize, null);
    }

    /** Every change after {@code since}, with documents, in pages of 512 with two read ahead. */
    public static Feed since(long since) {
      return new Feed(since, null, null, true, 2, 512, null);
    }

    public static Feed sinceClock(String clock) {
      return new Feed(0, clock, null, true, 2, 512, null);
    }

    public Feed withIdPrefix(String prefix) {
      return new Feed(since, sinceClock, prefix, includeDocs, bufferSize, pageSize, range);
    }

    public Feed withIncludeDocs(boolean include) {
      return new Feed(since, sinceClock, idPrefix, include, bufferSize, pageSize, range);
    }

    public Feed withBufferSize(int size) {
      if (size < 1) {
        throw new KilnException(ErrorCode.INVALID_QUERY, "a feed reads 1 or more pages ahead, got " + size);
      }
      return new Feed(since, sinceClock, idPrefix, includeDocs, size, pageSize, range);
    }

    public Feed withPageSize(int size) {
      if (size < 1) {
        throw new KilnException(ErrorCode.INVALID_QUERY, "a feed's page size must be 1 or more, got " + size);
      }
      return new Feed(since, sinceClock, idPrefix, includeDocs, bufferSize, size, range);
    }

    /** Only documents whose entry in an index falls in {@code keys} (null: all documents). */
    public Feed withRange(DatabaseProtocol.KeyRange keys) {
      return new Feed(since, sinceClock, idPrefix, includeDocs, bufferSize, pageSize, keys);
    }

    /** The protocol message that starts this feed for {@code subscriber}. */
    public DatabaseProtocol.Follow follow(ActorRef<DatabaseProtocol.FeedEvent> subscriber) {
      return new DatabaseProtocol.Follow(since, sinceClock, idPrefix, includeDocs, range, pageSize, subscriber);
    }
  }

  /**
   * Replays every change after the feed's start, then follows new commits, with no gap and no
   * duplicate, also across compactions: each change once, in sequence order (a document that
   * changes again before the feed reaches it comes once, at its latest change). This is the
   * protocol's {@link DatabaseProtocol.Follow} feed as a stream: pages are asked for as the stream
   * is read, at most {@code bufferSize} ahead, so a slow reader costs no memory, only lag. The stream
   * fails with the feed's {@link DatabaseProtocol.FeedEnded} error (CLOSED when the database closes);
   * cancelling it ends the feed.
   */
  public Source<DatabaseProtocol.Change, NotUsed> liveChanges(Feed feed) {
    if (closed) {
      return Source.failed(new KilnException(ErrorCode.CLOSED, "database " + name + " is closed"));
    }
    int ahead = Math.max(1, feed.bufferSize());
    return ActorSource.<DatabaseProtocol.FeedEvent>actorRef(
            e -> false,
            e -> e instanceof DatabaseProtocol.FeedEnded end ? java.util.Optional.of(end.toException())
                : java.util.Optional.empty(),
            ahead + 2, // pages asked for, the start and the end: never more
            OverflowStrategy.fail())
        .mapMaterializedValue(subscriber -> {
          recipient.tell(feed.follow(subscriber)); // the hosting's recipient: a cluster's EntityRef too
          return NotUsed.getInstance();
        })
        .statefulMapConcat(() -> {
          List<ActorRef<DatabaseProtocol.FeedControl>> control = new ArrayList<>(1);
          return event -> {
            if (event instanceof DatabaseProtocol.FeedStarted started) {
              control.add(started.feed());
              started.feed().tell(new DatabaseProtocol.FeedDemand(ahead));
              return List.of();
            }
            // this page is being passed on: ask for the next one in its place
            control.get(0).tell(new DatabaseProtocol.FeedDemand(1));
            return ((DatabaseProtocol.FeedPage) event).changes();
          };
        });
  }

  /** A consistent read view as of now; see {@link View}. */
  public CompletionStage<View> openView() {
    if (closed) {
      return failed(new KilnException(ErrorCode.CLOSED, "database " + name + " is closed"));
    }
    // The view is opened whenever the request is handled, even after the caller gave up: listen
    // for the answer twice as long, and close a view that comes too late instead of letting it
    // pin its CARs until kiln.view-idle-timeout.
    CompletableFuture<View> answer = new CompletableFuture<>();
    AskPattern.<DatabaseProtocol.Command, DatabaseProtocol.ViewOpened>askWithStatus(recipient, DatabaseProtocol.OpenView::new,
            timeout.multipliedBy(2), system.scheduler())
        .whenComplete((v, error) -> {
          if (error != null) {
            typed(error).whenComplete((ignored, e) -> answer.completeExceptionally(e));
          } else if (!answer.complete(new View(this, v.view(), v.clock()))) {
            recipient.tell(new DatabaseProtocol.CloseView(v.view()));
          }
        });
    system.scheduler().scheduleOnce(timeout, () -> answer.completeExceptionally(new KilnException(ErrorCode.TIMEOUT,
        "no answer in time: the view was not opened within " + timeout)), system.executionContext());
    return answer;
  }

  // ------------------------------------------------------------------ maintenance

  /**
   * Writes the database as one CARv1 file: every block reachable from the head commit, with the
   * commit as the root, readable by any IPLD tool and by {@link #importCar}.
   */
  public CompletionStage<DatabaseProtocol.Exported> exportCar(java.nio.file.Path file) {
    return ask(r -> new DatabaseProtocol.Export(file.toAbsolutePath().toString(), r));
  }

  /**
   * Loads an export into this database, which must be empty: the same documents, all-docs, indexes
   * and head CID as the exported one. Every block is checked against its CID and the graph below
   * the root must be complete, or nothing is stored.
   */
  public CompletionStage<DatabaseProtocol.Imported> importCar(java.nio.file.Path file) {
    return ask(r -> new DatabaseProtocol.Import(file.toAbsolutePath().toString(), r));
  }

  /** A major compaction: every live block into one CAR, the whole CarLog replaced. */
  public CompletionStage<CompactResult> compact() {
    return compact(DatabaseProtocol.CompactionKind.MAJOR);
  }

  /**
   * A compaction of the kind asked: MAJOR as {@link #compact()}, MINOR merges only the CARs appended
   * since the last compaction (a major one when nothing was compacted before).
   */
  public CompletionStage<CompactResult> compact(DatabaseProtocol.CompactionKind kind) {
    return ask(r -> new DatabaseProtocol.Compact(r, kind));
  }

  public CompletionStage<DatabaseStats> stats() {
    return resending(r -> new DatabaseProtocol.Stats(r));
  }

  /**
   * Answers every write already sent, then stops; completes when the database is fully stopped. A
   * hosted database's handle only stops taking requests: other handles (other nodes) still use the
   * database, which the hosting stops when it is idle (a cluster passivates it).
   */
  public CompletionStage<Done> close() {
    if (closed) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    if (ref == null) {
      closed = true;
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    CompletionStage<Done> reply = ask(r -> new DatabaseProtocol.Close(r));
    closed = true;
    return reply.thenCombine(terminated, (done, t) -> done);
  }

  /** Closes the database and removes its CARs; opening the name again starts empty. */
  public CompletionStage<Done> destroy() {
    if (closed) {
      return failed(new KilnException(ErrorCode.CLOSED, "database " + name + " is closed; open it to destroy it"));
    }
    CompletionStage<Done> reply = ask(r -> new DatabaseProtocol.Destroy(r));
    closed = true;
    return ref == null ? reply : reply.thenCombine(terminated, (done, t) -> done);
  }

  // ------------------------------------------------------------------ plumbing

  /** A fresh id for one write call, on a hosting (where it may be sent again); null on one node. */
  private String requestId() {
    return attemptTimeout == null ? null : UUID.randomUUID().toString();
  }

  /**
   * Asks once on one node. On a hosting (a cluster) the request is sent again, the same message with
   * the same request id, each time an attempt had no answer for {@code attemptTimeout}, until
   * {@code kiln.ask-timeout} is spent; every attempt listens until then, and the first answer wins.
   * So a message Pekko dropped (a region drops what it buffered for a shard whose hand-off begins) or
   * lost with a crashed node is answered by a later attempt. CLOSED from a database that is stopping
   * (passivated or handed off; the next attempt starts it again) is waited out the same way. Only for
   * requests that may be sent twice: reads, writes with a request id (the database answers an id it
   * committed as it did and commits nothing), defining an index.
   */
  private <T> CompletionStage<T> resending(Function<ActorRef<StatusReply<T>>, DatabaseProtocol.Command> message) {
    if (attemptTimeout == null || closed) {
      return ask(message);
    }
    CompletableFuture<T> answer = new CompletableFuture<>();
    AtomicReference<KilnException> closedAnswer = new AtomicReference<>();
    attempt(message, answer, closedAnswer, System.nanoTime() + timeout.toNanos());
    // also when every attempt was answered CLOSED: the caller has its answer when the time is spent
    Cancellable spent = system.scheduler().scheduleOnce(timeout, () ->
        answer.completeExceptionally(closedAnswer.get() != null ? closedAnswer.get() : new KilnException(
            ErrorCode.TIMEOUT, "no answer in time from database " + name + " within " + timeout)),
        system.executionContext());
    answer.whenComplete((v, e) -> spent.cancel());
    return answer;
  }

  private <T> void attempt(Function<ActorRef<StatusReply<T>>, DatabaseProtocol.Command> message,
      CompletableFuture<T> answer, AtomicReference<KilnException> closedAnswer,
      long deadline) {
    long left = deadline - System.nanoTime();
    if (answer.isDone() || left <= 0) {
      return;
    }
    AskPattern.askWithStatus(recipient, message::apply, Duration.ofNanos(left), system.scheduler())
        .whenComplete((v, error) -> {
          if (error == null) {
            answer.complete(v);
            return;
          }
          KilnException e = typedError(error);
          if (e.code() == ErrorCode.CLOSED && System.nanoTime() < deadline) {
            closedAnswer.set(e); // the next attempt may find the database started again
          } else if (e.code() == ErrorCode.TIMEOUT && closedAnswer.get() != null) {
            answer.completeExceptionally(closedAnswer.get());
          } else {
            answer.completeExceptionally(e);
          }
        });
    if (left > attemptTimeout.toNanos()) {
      Cancellable next = system.scheduler().scheduleOnce(attemptTimeout,
          () -> attempt(message, answer, closedAnswer, deadline), system.executionContext());
      answer.whenComplete((v, e) -> next.cancel());
    }
  }

  <T> CompletionStage<T> ask(Function<ActorRef<StatusReply<T>>, DatabaseProtocol.Command> message) {
    if (closed) {
      return failed(new KilnException(ErrorCode.CLOSED, "database " + name + " is closed"));
    }
    return AskPattern.askWithStatus(recipient, message::apply, timeout, system.scheduler())
        .exceptionallyCompose(Database::typed);
  }

  private static <T> CompletionStage<T> typed(Throwable error) {
    return failed(typedError(error));
  }

  private static KilnException typedError(Throwable error) {
    Throwable t = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (t instanceof KilnException) {
      return (KilnException) t;
    }
    if (t instanceof TimeoutException) {
      return new KilnException(ErrorCode.TIMEOUT, "no answer in time: " + t.getMessage(), t);
    }
    if (t instanceof StatusReply.ErrorMessage) {
      return new KilnException(ErrorCode.INTERNAL, t.getMessage(), t);
    }
    return Errors.toKiln(t); // a store or driver failure is STORAGE here too, as in ApiErrors
  }

  /** A value as a JSON object, or INVALID_DOCUMENT saying what it was instead. */
  private ObjectNode toObject(Object value) {
    if (value instanceof ObjectNode o) {
      return o;
    }
    if (value == null) {
      throw new KilnException(ErrorCode.INVALID_DOCUMENT, "a document must be a JSON object, got null");
    }
    JsonNode node;
    try {
      node = mapper.valueToTree(value);
    } catch (IllegalArgumentException e) {
      throw new KilnException(ErrorCode.INVALID_DOCUMENT, "cannot map " + value.getClass().getName()
          + " to JSON: " + e.getMessage(), e);
    }
    if (node == null || !node.isObject()) {
      throw new KilnException(ErrorCode.INVALID_DOCUMENT, "a document must be a JSON object, "
          + value.getClass().getName() + " maps to " + (node == null ? "nothing" : node.getNodeType()));
    }
    return (ObjectNode) node;
  }

  private <T> T convert(ObjectNode doc, Class<T> type) {
    try {
      return mapper.treeToValue(doc, type);
    } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
      throw new KilnException(ErrorCode.INVALID_DOCUMENT, "document " + doc.path("_id").asText() + " does not map to "
          + type.getName() + ": " + e.getMessage(), e);
    }
  }

  private static <T> CompletionStage<T> failed(KilnException e) {
    return CompletableFuture.failedFuture(e);
  }
}
