package dev.kiln.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;

/**
 * The public protocol of one Kiln database, as its DatabaseActor receives it. Send these with
 * {@code AskPattern.askWithStatus}: a failure arrives as a {@link KilnException} whose
 * {@link ErrorCode} says what went wrong. Replies carry a clock token: the text CID of the commit
 * the answer reflects.
 *
 * <p>Messages carry documents that nobody changes afterwards: a sender hands its {@link ObjectNode}s
 * over with the message and must not touch them again (the engine encodes them later, on another
 * thread). The Java facade {@code Database} sends private copies, so its callers may reuse their nodes.
 */
public final class DatabaseProtocol {
  private DatabaseProtocol() {}

  /** Everything a database accepts. Not sealed: the engine adds its own private messages. */
  public interface Command extends KilnSerializable {}

  /** A command that is answered: with its reply, or with a {@link KilnException}, at {@code replyTo}. */
  public interface Request<R> extends Command {
    ActorRef<StatusReply<R>> replyTo();

    /** Answers this request with an error. */
    default void fail(KilnException error) {
      replyTo().tell(StatusReply.error(error));
    }
  }

  // ------------------------------------------------------------------ writes

  /** Stores a JSON object; its {@code _id} is generated (time-ordered) when missing. */
  public record Put(ObjectNode doc, ActorRef<StatusReply<WriteResult>> replyTo) implements Request<WriteResult> {}

  /** Stores several documents in one commit: all of them, or none when any is invalid. */
  public record PutAll(List<ObjectNode> docs, ActorRef<StatusReply<BulkResult>> replyTo) implements Request<BulkResult> {}

  /** Deletes a document by writing a tombstone, which the changes feed reports. */
  public record Delete(String id, ActorRef<StatusReply<WriteResult>> replyTo) implements Request<WriteResult> {}

  // ------------------------------------------------------------------ reads

  /** The live document with this id; {@link ErrorCode#NOT_FOUND} for absent or deleted ones. */
  public record Get(String id, ActorRef<StatusReply<DocResult>> replyTo) implements Request<DocResult> {}

  /** An ordered scan of documents by id. */
  public record AllDocs(AllDocsQuery query, ActorRef<StatusReply<AllDocsResult>> replyTo) implements Request<AllDocsResult> {}

  /** Every document changed after sequence {@code since}, oldest first, at most {@code limit} (0: all). */
  public record Changes(long since, int limit, ActorRef<StatusReply<ChangesResult>> replyTo) implements Request<ChangesResult> {}

  /**
   * Rows of a query index in key order (then by document id); {@link ErrorCode#NOT_FOUND} for an index
   * that is neither stored nor registered, {@link ErrorCode#INVALID_QUERY} for bad options.
   */
  public record Query(String index, IndexQuery query, ActorRef<StatusReply<QueryResult>> replyTo) implements Request<QueryResult> {}

  /**
   * Defines a field index on {@code field} (a dotted path or a JSON pointer), named by the path, and
   * builds it from the documents stored so far. Idempotent; the reply comes once the index is
   * durable. From then on every commit keeps it current, in every process.
   */
  public record DefineIndex(String field, ActorRef<StatusReply<IndexDefined>> replyTo) implements Request<IndexDefined> {}

  /** Sends {@code subscriber} a {@link ChangeBatch} after every commit, until it stops or unsubscribes. */
  public record Subscribe(ActorRef<ChangeBatch> subscriber) implements Command {}

  public record Unsubscribe(ActorRef<ChangeBatch> subscriber) implements Command {}

  /**
   * Opens a read view: a snapshot that stays readable, unchanged, until closed (or until it has
   * been idle for {@code kiln.view-idle-timeout}), however many commits and compactions happen.
   */
  public record OpenView(ActorRef<StatusReply<ViewOpened>> replyTo) implements Request<ViewOpened> {}

  /** Runs a {@link Get}, {@link AllDocs}, {@link Changes} or {@link Query} against an open view. */
  public record InView(long view, Command read) implements Command {}

  public record CloseView(long view) implements Command {}

  // ------------------------------------------------------------------ maintenance

  /** Compacts the CarLog into one CAR; replies once the compaction is installed. */
  public record Compact(ActorRef<StatusReply<CompactResult>> replyTo) implements Request<CompactResult> {}

  public record Stats(ActorRef<StatusReply<DatabaseStats>> replyTo) implements Request<DatabaseStats> {}

  /** Finishes acknowledged work and stops the database; later calls fail with {@link ErrorCode#CLOSED}. */
  public record Close(ActorRef<StatusReply<Done>> replyTo) implements Request<Done> {}

  /** Closes the database and removes everything it stored; opening the name again starts empty. */
  public record Destroy(ActorRef<StatusReply<Done>> replyTo) implements Request<Done> {}

  // ------------------------------------------------------------------ queries and replies

  /**
   * Options of an all-docs scan. {@code start}/{@code end} bound the ids (inclusive; with
   * {@code descending}, {@code start} is the high end as in CouchDB), {@code prefix} keeps ids that
   * start with it, {@code keys} asks for exactly these ids in this order, {@code limit} 0 means no
   * limit. Deleted documents are left out unless {@code includeDeleted}.
   */
  public record AllDocsQuery(
      String start, String end, String prefix, List<String> keys, int limit, boolean descending,
      boolean includeDeleted) implements KilnSerializable {
    public static AllDocsQuery all() {
      return new AllDocsQuery(null, null, null, null, 0, false, false);
    }

    public AllDocsQuery withStart(String s) {
      return new AllDocsQuery(s, end, prefix, keys, limit, descending, includeDeleted);
    }

    public AllDocsQuery withEnd(String e) {
      return new AllDocsQuery(start, e, prefix, keys, limit, descending, includeDeleted);
    }

    public AllDocsQuery withPrefix(String p) {
      return new AllDocsQuery(start, end, p, keys, limit, descending, includeDeleted);
    }

    public AllDocsQuery withKeys(List<String> k) {
      return new AllDocsQuery(start, end, prefix, k, limit, descending, includeDeleted);
    }

    public AllDocsQuery withLimit(int l) {
      return new AllDocsQuery(start, end, prefix, keys, l, descending, includeDeleted);
    }

    public AllDocsQuery withDescending(boolean d) {
      return new AllDocsQuery(start, end, prefix, keys, limit, d, includeDeleted);
    }

    public AllDocsQuery withIncludeDeleted(boolean i) {
      return new AllDocsQuery(start, end, prefix, keys, limit, descending, i);
    }
  }

  /**
   * Options of an index query. Keys are JSON texts ({@code "\"abc\""}, {@code "42"}, {@code "null"},
   * {@code "[1,\"a\"]"}; {@link #json} writes one from a Java value), so a key that is not JSON is
   * refused with {@link ErrorCode#INVALID_QUERY}. Use at most one of: {@code key} (entries with this
   * key), {@code keys} (entries with each of these keys, in this order), a range {@code start ..
   * end} (both inclusive, either may be null for open; with {@code descending}, {@code start} is the
   * high end as in CouchDB), or {@code prefix} (string keys that start with it). {@code limit} 0
   * means no limit; {@code includeDocs} adds each row's document, read from the same commit.
   */
  public record IndexQuery(
      String key, List<String> keys, String start, String end, String prefix, int limit, boolean descending,
      boolean includeDocs) implements KilnSerializable {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static IndexQuery all() {
      return new IndexQuery(null, null, null, null, null, 0, false, false);
    }

    /** The JSON text of a Java value (a String, a number, a boolean, null, a list, a map, a JsonNode). */
    public static String json(Object value) {
      try {
        return JSON.writeValueAsString(value);
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException("cannot write " + value + " as JSON: " + e.getOriginalMessage(), e);
      }
    }

    public IndexQuery withKey(String k) {
      return new IndexQuery(k, keys, start, end, prefix, limit, descending, includeDocs);
    }

    public IndexQuery withKeys(List<String> k) {
      return new IndexQuery(key, k, start, end, prefix, limit, descending, includeDocs);
    }

    public IndexQuery withStart(String s) {
      return new IndexQuery(key, keys, s, end, prefix, limit, descending, includeDocs);
    }

    public IndexQuery withEnd(String e) {
      return new IndexQuery(key, keys, start, e, prefix, limit, descending, includeDocs);
    }

    public IndexQuery withPrefix(String p) {
      return new IndexQuery(key, keys, start, end, p, limit, descending, includeDocs);
    }

    public IndexQuery withLimit(int l) {
      return new IndexQuery(key, keys, start, end, prefix, l, descending, includeDocs);
    }

    public IndexQuery withDescending(boolean d) {
      return new IndexQuery(key, keys, start, end, prefix, limit, d, includeDocs);
    }

    public IndexQuery withIncludeDocs(boolean i) {
      return new IndexQuery(key, keys, start, end, prefix, limit, descending, i);
    }
  }

  /**
   * One row of a query: the emitted key (numbers normalized: {@code 1.0} comes back as {@code 1}),
   * the document id, the emitted value (JSON null when none), and the document when asked for.
   */
  public record QueryRow(JsonNode key, String id, JsonNode value, ObjectNode doc) implements KilnSerializable {}

  public record QueryResult(List<QueryRow> rows, String clock) implements KilnSerializable {}

  public record IndexDefined(String name, String clock) implements KilnSerializable {}

  public record ViewOpened(long view, String clock) implements KilnSerializable {}

  /** One acknowledged write: durable when this reply is sent. */
  public record WriteResult(String id, long seq, String clock) implements KilnSerializable {}

  public record BulkResult(List<WriteResult> results, String clock) implements KilnSerializable {}

  public record DocResult(String id, ObjectNode doc, String clock) implements KilnSerializable {}

  /** A row of all-docs; {@code doc} is null for a deleted document. */
  public record DocRow(String id, boolean deleted, ObjectNode doc) implements KilnSerializable {}

  public record AllDocsResult(List<DocRow> rows, String clock) implements KilnSerializable {}

  /** One entry of the changes feed: the document's latest sequence and state. */
  public record Change(long seq, String id, boolean deleted, ObjectNode doc) implements KilnSerializable {}

  public record ChangesResult(List<Change> changes, long lastSeq, String clock) implements KilnSerializable {}

  /** What one commit changed, for subscribers. */
  public record ChangeBatch(List<Change> changes, String clock) implements KilnSerializable {}

  public record CompactResult(int carLogBefore, int carLogAfter, long generation, long bytesBefore, long bytesAfter)
      implements KilnSerializable {}

  /**
   * @param indexedBlocks blocks the CarLog's block-location indexes hold (a block in two CARs counts twice)
   * @param indexHeapBytes heap those indexes take, approximately (the per-block budget is checked by bench)
   */
  public record DatabaseStats(
      String name, int carLogLength, int carFiles, long carBytes, long documents, long generation,
      long compactions, long lastSeq, String clock, long indexedBlocks, long indexHeapBytes) implements KilnSerializable {}
}
