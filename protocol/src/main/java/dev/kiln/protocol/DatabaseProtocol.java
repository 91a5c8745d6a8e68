package dev.kiln.protocol;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
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
 * the answer reflects, or null for a database that has no commit yet.
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

  /**
   * Stores a JSON object; its {@code _id} is generated (time-ordered) when missing. With an
   * {@code expected} version the write is conditional: {@link ErrorCode#CONFLICT} when the document
   * is at another version, decided in the commit itself, so of two writers expecting one version at
   * most one wins. Null: unconditional.
   */
  public record Put(ObjectNode doc, Expected expected, ActorRef<StatusReply<WriteResult>> replyTo, String requestId)
      implements Request<WriteResult>, Identified {
    public Put(ObjectNode doc, ActorRef<StatusReply<WriteResult>> replyTo) {
      this(doc, null, replyTo, null);
    }

    public Put(ObjectNode doc, Expected expected, ActorRef<StatusReply<WriteResult>> replyTo) {
      this(doc, expected, replyTo, null);
    }
  }

  /**
   * A write that may carry a request id: the database remembers the answers of the last
   * {@code kiln.commit.request-window} committed ids, so a write sent again with the same id (a
   * resend after no answer came, as the facade does on a cluster) commits nothing more and gets the
   * first one's answer; one still in flight gets that one's answer when it commits. Null: no id, no
   * memory (every write commits).
   */
  public interface Identified {
    String requestId();
  }

  /** Stores several documents in one commit: all of them, or none when any is invalid. */
  public record PutAll(List<ObjectNode> docs, ActorRef<StatusReply<BulkResult>> replyTo, String requestId)
      implements Request<BulkResult>, Identified {
    public PutAll(List<ObjectNode> docs, ActorRef<StatusReply<BulkResult>> replyTo) {
      this(docs, replyTo, null);
    }
  }

  /**
   * Deletes a document by writing a tombstone, which the changes feed reports; conditional when
   * {@code expected} is not null, as {@link Put}.
   */
  public record Delete(String id, Expected expected, ActorRef<StatusReply<WriteResult>> replyTo, String requestId)
      implements Request<WriteResult>, Identified {
    public Delete(String id, ActorRef<StatusReply<WriteResult>> replyTo) {
      this(id, null, replyTo, null);
    }

    public Delete(String id, Expected expected, ActorRef<StatusReply<WriteResult>> replyTo) {
      this(id, expected, replyTo, null);
    }
  }

  /**
   * A document's version: the sequence of its latest write and the CID of its block (a tombstone's
   * for a deleted document). Every read of a document carries it, and a conditional write names it.
   * Its text form, also its JSON form, is {@code <seq>-<cid>}, e.g. {@code 12-bafyrei…}.
   */
  public record Version(long seq, String cid) implements KilnSerializable {
    public Version {
      if (seq < 1 || cid == null || cid.isEmpty()) {
        throw new KilnException(ErrorCode.INVALID_QUERY, "a version needs a sequence of 1 or more and a CID, got "
            + seq + " and " + cid);
      }
    }

    /** Reads the text form; {@link ErrorCode#INVALID_QUERY} saying what a version looks like otherwise. */
    @com.fasterxml.jackson.annotation.JsonCreator(mode = com.fasterxml.jackson.annotation.JsonCreator.Mode.DELEGATING)
    public static Version parse(String text) {
      int dash = text == null ? -1 : text.indexOf('-');
      try {
        if (dash > 0) {
          long seq = Long.parseLong(text.substring(0, dash));
          Cid.parse(text.substring(dash + 1));
          return new Version(seq, text.substring(dash + 1));
        }
      } catch (NumberFormatException | InvalidCidException e) {
        // said below
      }
      throw new KilnException(ErrorCode.INVALID_QUERY, "'" + text + "' is not a document version: a version is"
          + " <seq>-<cid> as a read or write of the document answered, e.g. 12-bafyrei…");
    }

    @com.fasterxml.jackson.annotation.JsonValue
    @Override
    public String toString() {
      return seq + "-" + cid;
    }
  }

  /** What a conditional write expects: this version, or ({@code version} null) no live document. */
  public record Expected(Version version) implements KilnSerializable {
    public static Expected absent() {
      return new Expected(null);
    }

    public static Expected version(Version version) {
      return new Expected(java.util.Objects.requireNonNull(version, "version"));
    }

    /** {@code none} for absent, else a version's text form. */
    public static Expected parse(String text) {
      return "none".equals(text) ? absent() : version(Version.parse(text));
    }

    public boolean absentExpected() {
      return version == null;
    }

    @Override
    public String toString() {
      return version == null ? "none" : version.toString();
    }
  }

  // ------------------------------------------------------------------ reads

  /** The live document with this id; {@link ErrorCode#NOT_FOUND} for absent or deleted ones. */
  public record Get(String id, ActorRef<StatusReply<DocResult>> replyTo) implements Request<DocResult> {}

  /** An ordered scan of documents by id. */
  public record AllDocs(AllDocsQuery query, ActorRef<StatusReply<AllDocsResult>> replyTo) implements Request<AllDocsResult> {}

  /**
   * Every document changed after sequence {@code since}, oldest first, at most {@code limit} (0: all),
   * each once with its latest state. {@code sinceClock}, when not null, replaces {@code since}: the
   * sequence of the commit a reply's clock names ({@link ErrorCode#INVALID_QUERY} when the database
   * no longer holds that commit: a compaction keeps only the head's). {@code idPrefix} keeps only ids
   * starting with it; without {@code includeDocs} the changes carry no document. {@code range}, when
   * not null, keeps the documents whose entry in an index falls in a key range (see {@link KeyRange}
   * for which changes that is). The reply's {@code lastSeq} is where the next page starts, also when
   * a filter left the page short.
   */
  public record Changes(long since, String sinceClock, int limit, String idPrefix, boolean includeDocs, KeyRange range,
      ActorRef<StatusReply<ChangesResult>> replyTo) implements Request<ChangesResult> {
    public Changes(long since, int limit, ActorRef<StatusReply<ChangesResult>> replyTo) {
      this(since, null, limit, null, true, null, replyTo);
    }

    public Changes(long since, String sinceClock, int limit, String idPrefix, boolean includeDocs,
        ActorRef<StatusReply<ChangesResult>> replyTo) {
      this(since, sinceClock, limit, idPrefix, includeDocs, null, replyTo);
    }
  }

  /**
   * Restricts a change feed to the documents whose entry in the index {@code index} falls in a key
   * range, chosen as an {@link IndexQuery} chooses rows: one {@code key}, a range {@code start ..
   * end} (both inclusive, either null for open), or string keys starting with {@code prefix}; keys
   * are JSON texts. A document with several entries (an {@code each} index) is in the range when
   * any of them is.
   *
   * <p>Which changes a filtered feed carries: every change after which the document is in the range
   * ({@link Change#inRange} true), and the change that takes it out (deleted, or its key moved
   * outside: {@code inRange} false), so a follower that keeps the documents in the range can drop
   * it. A one-shot {@link Changes} read does not know what its reader already holds: from sequence
   * 0 it leaves out-of-range documents out (the reader holds nothing yet), from a later sequence it
   * carries every changed document that is outside the range as {@code inRange} false (the reader
   * may hold an older version that was inside). A {@link Follow} feed remembers what it delivered
   * and passes on a leaving change only for a document it last delivered in the range, or, when it
   * started after sequence 0, one it has not delivered since it started.
   */
  public record KeyRange(String index, String key, String start, String end, String prefix) implements KilnSerializable {
    public KeyRange {
      if (index == null || index.isEmpty()) {
        throw new KilnException(ErrorCode.INVALID_QUERY, "a key range names its index");
      }
    }

    /** Every entry of the index: the documents the index holds at all. */
    public static KeyRange of(String index) {
      return new KeyRange(index, null, null, null, null);
    }

    public KeyRange withKey(String k) {
      return new KeyRange(index, k, start, end, prefix);
    }

    public KeyRange withStart(String s) {
      return new KeyRange(index, key, s, end, prefix);
    }

    public KeyRange withEnd(String e) {
      return new KeyRange(index, key, start, e, prefix);
    }

    public KeyRange withPrefix(String p) {
      return new KeyRange(index, key, start, end, p);
    }

    /** The same selection as an index query's options. */
    public IndexQuery asQuery() {
      return new IndexQuery(key, null, start, end, prefix, 0, false, false);
    }
  }

  /**
   * A complete change feed in one message: the database replays every change after {@code since}
   * (or after the commit {@code sinceClock} names) and then follows new commits, with no gap and no
   * duplicate, also across compactions: each change once, in sequence order; a document that changes
   * again before the feed reaches it comes once, at its latest change (as in {@link Changes}).
   * Filters as in {@link Changes}. The feed answers {@code subscriber} with {@link FeedStarted},
   * naming the feed; the subscriber then asks for pages with {@link FeedDemand}, and gets one
   * {@link FeedPage} (1 to {@code pageSize} changes) per page asked for, when there are changes to
   * send. The feed reads only what was asked for, so a slow subscriber costs no memory: it falls
   * behind and is caught up from the store when it asks again. The feed ends when the subscriber stops
   * or sends {@link FeedCancel}, or with {@link FeedEnded} (the database closed, the clock is no longer
   * held, a bad filter).
   */
  public record Follow(long since, String sinceClock, String idPrefix, boolean includeDocs, KeyRange range,
      int pageSize, ActorRef<FeedEvent> subscriber) implements Command {}

  /** What a {@link Follow} feed sends its subscriber. */
  public interface FeedEvent extends KilnSerializable {}

  /** The feed is running: send it {@link FeedDemand} (and {@link FeedCancel} to end it). */
  public record FeedStarted(ActorRef<FeedControl> feed) implements FeedEvent {}

  /** Changes in sequence order; {@code lastSeq} is where the feed goes on (resume from it after a reconnect). */
  public record FeedPage(List<Change> changes, long lastSeq, String clock) implements FeedEvent {}

  /** The feed ended and sends nothing more: why, as a {@link KilnException} would say it. */
  public record FeedEnded(ErrorCode code, String message) implements FeedEvent {
    public KilnException toException() {
      return new KilnException(code, message);
    }
  }

  /** What a subscriber sends its feed. */
  public interface FeedControl extends KilnSerializable {}

  /** Asks for {@code pages} more pages (1 or more). */
  public record FeedDemand(int pages) implements FeedControl {}

  /** Ends the feed; it sends nothing more. */
  public record FeedCancel() implements FeedControl {}

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
  public record DefineIndex(String field, boolean each, ActorRef<StatusReply<IndexDefined>> replyTo)
      implements Request<IndexDefined> {
    /** An index of whole values: an array is one key. */
    public DefineIndex(String field, ActorRef<StatusReply<IndexDefined>> replyTo) {
      this(field, false, replyTo);
    }
  }

  /**
   * Removes a stored field index in a commit: later writes stop paying for it, and its blocks go
   * at the next compaction. {@link ErrorCode#NOT_FOUND} for an index the head does not hold;
   * {@link ErrorCode#INVALID_QUERY} for a map index registered in code (its registration would
   * build it again).
   */
  public record DropIndex(String name, ActorRef<StatusReply<IndexDropped>> replyTo, String requestId)
      implements Request<IndexDropped>, Identified {
    public DropIndex(String name, ActorRef<StatusReply<IndexDropped>> replyTo) {
      this(name, replyTo, null);
    }
  }

  /** Every index of the head commit and every registered one, with its size and how current it is. */
  public record ListIndexes(ActorRef<StatusReply<IndexList>> replyTo) implements Request<IndexList> {}

  /** Sends {@code subscriber} a {@link ChangeBatch} after every commit, until it stops or unsubscribes. */
  public record Subscribe(ActorRef<ChangeBatch> subscriber) implements Command {}

  public record Unsubscribe(ActorRef<ChangeBatch> subscriber) implements Command {}

  /**
   * Opens a read view: a snapshot that stays readable, unchanged, until closed (or until it has
   * been idle for {@code kiln.view-idle-timeout}), however many commits and compactions happen.
   */
  public record OpenView(ActorRef<StatusReply<ViewOpened>> replyTo) implements Request<ViewOpened> {}

  /**
   * Runs a {@link Get}, {@link AllDocs}, {@link Changes} or {@link Query} against an open view. The
   * read carries its kind when serialized, so it comes back as the same record.
   */
  public record InView(
      long view,
      @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
      @JsonSubTypes({
        @JsonSubTypes.Type(value = Get.class, name = "get"),
        @JsonSubTypes.Type(value = AllDocs.class, name = "all-docs"),
        @JsonSubTypes.Type(value = Changes.class, name = "changes"),
        @JsonSubTypes.Type(value = Query.class, name = "query")})
      Command read) implements Command {}

  public record CloseView(long view) implements Command {}

  // ------------------------------------------------------------------ maintenance

  /**
   * Which compaction runs. MAJOR rewrites every live block into one CAR (the whole CarLog is
   * replaced); MINOR merges only the CARs appended since the last compaction into one CAR holding
   * the live blocks that the older compacted CARs, which it keeps, do not hold.
   */
  public enum CompactionKind { MAJOR, MINOR }

  /**
   * Compacts the CarLog; replies once the compaction is installed. A MINOR request with nothing
   * appended since the last compaction is answered at once; with no compaction before, a minor
   * compaction keeps nothing and so is a major one.
   */
  public record Compact(ActorRef<StatusReply<CompactResult>> replyTo, CompactionKind kind)
      implements Request<CompactResult> {
    public Compact {
      kind = kind == null ? CompactionKind.MAJOR : kind;
    }

    /** A major compaction, the whole live set into one CAR. */
    public Compact(ActorRef<StatusReply<CompactResult>> replyTo) {
      this(replyTo, CompactionKind.MAJOR);
    }
  }

  public record Stats(ActorRef<StatusReply<DatabaseStats>> replyTo) implements Request<DatabaseStats> {}

  /**
   * Writes the database as one CARv1 file at {@code path} (on the database's machine): every block
   * reachable from the head commit, the commit as the root. {@link ErrorCode#NOT_FOUND} before the
   * first commit.
   */
  public record Export(String path, ActorRef<StatusReply<Exported>> replyTo) implements Request<Exported> {}

  /**
   * Loads an export into an empty database in one commit, whose head is the file's root. The file is
   * refused with {@link ErrorCode#INVALID_DOCUMENT}, and nothing stored, when a block does not match
   * its CID, the root is not a Kiln commit, or a block the commit reaches is not in the file;
   * {@link ErrorCode#CONFLICT} when the database already has documents or indexes.
   */
  public record Import(String path, ActorRef<StatusReply<Imported>> replyTo) implements Request<Imported> {}

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

  public record IndexDropped(String name, String clock) implements KilnSerializable {}

  /**
   * One index as {@link ListIndexes} sees it.
   *
   * @param kind {@code field} (whole values), {@code each} (array elements) or {@code map}
   * @param definition the stored fingerprint ({@code field:address.city}, {@code map:2})
   * @param entries rows; {@code documents} those that emitted at least one
   * @param blocks tree nodes of the index and their {@code bytes}: what a compaction keeps for it
   * @param seq the sequence the index is current with; {@code behind} how many sequences the head is past it
   * @param registered whether this process registers it in code (a map index, which only such a process keeps current)
   */
  public record IndexInfo(String name, String kind, String definition, long entries, long documents, long blocks,
      long bytes, long seq, long behind, boolean registered) implements KilnSerializable {}

  public record IndexList(List<IndexInfo> indexes, String clock) implements KilnSerializable {}

  public record ViewOpened(long view, String clock) implements KilnSerializable {}

  /** One acknowledged write: durable when this reply is sent. {@code cid} is the new block's (or tombstone's). */
  public record WriteResult(String id, long seq, String cid, String clock) implements KilnSerializable {
    public WriteResult(String id, long seq, String clock) {
      this(id, seq, null, clock);
    }

    /** The document's version after this write, for the next conditional write. */
    public Version version() {
      return new Version(seq, cid);
    }
  }

  public record BulkResult(List<WriteResult> results, String clock) implements KilnSerializable {}

  public record DocResult(String id, ObjectNode doc, Version version, String clock) implements KilnSerializable {
    public DocResult(String id, ObjectNode doc, String clock) {
      this(id, doc, null, clock);
    }
  }

  /** A row of all-docs; {@code doc} is null for a deleted document (whose version is its tombstone's). */
  public record DocRow(String id, boolean deleted, ObjectNode doc, Version version) implements KilnSerializable {
    public DocRow(String id, boolean deleted, ObjectNode doc) {
      this(id, deleted, doc, null);
    }
  }

  public record AllDocsResult(List<DocRow> rows, String clock) implements KilnSerializable {}

  /**
   * One entry of the changes feed: the document's latest sequence and state, and its block's CID.
   * {@code inRange} is null without a {@link KeyRange}; with one, whether the document is in the
   * range after this change (false: the change that takes it out).
   */
  public record Change(long seq, String id, boolean deleted, ObjectNode doc, String cid,
      @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
      Boolean inRange) implements KilnSerializable {
    public Change(long seq, String id, boolean deleted, ObjectNode doc) {
      this(seq, id, deleted, doc, null, null);
    }

    public Change(long seq, String id, boolean deleted, ObjectNode doc, String cid) {
      this(seq, id, deleted, doc, cid, null);
    }

    /** The same change, in or out of a range. */
    public Change withInRange(Boolean in) {
      return new Change(seq, id, deleted, doc, cid, in);
    }

    /** The same change without its document. */
    public Change withoutDoc() {
      return new Change(seq, id, deleted, null, cid, inRange);
    }

    public Version version() {
      return new Version(seq, cid);
    }
  }

  public record ChangesResult(List<Change> changes, long lastSeq, String clock) implements KilnSerializable {}

  /** What one commit changed, for subscribers. */
  public record ChangeBatch(List<Change> changes, String clock) implements KilnSerializable {}

  /** An export: its file, root (the head commit's CID), blocks, file size and the blocks' bytes. */
  public record Exported(String path, String root, long blocks, long fileBytes, long blockBytes) implements KilnSerializable {}

  public record Imported(String root, long documents, long seq, String clock) implements KilnSerializable {}

  /**
   * @param bytesBefore the CarLog's bytes the compaction read from (for a minor one: the CARs it merged)
   * @param bytesAfter the bytes of the CAR it wrote
   * @param kind the compaction that ran (a minor request with nothing compacted before runs a major one)
   */
  public record CompactResult(int carLogBefore, int carLogAfter, long generation, long bytesBefore, long bytesAfter,
      CompactionKind kind) implements KilnSerializable {}

  /**
   * @param indexedBlocks blocks the CarLog's block-location indexes hold (a block in two CARs counts twice)
   * @param indexHeapBytes heap those indexes take, approximately (the per-block budget is checked by bench)
   * @param carLogBytes bytes of the CARs the CarLog names (carBytes counts every CAR file in the directory)
   * @param liveBytes bytes of the blocks reachable from the head, as of the last compaction: exact after
   *     a major one, a lower bound after a minor one (see DESIGN.md, "Generational compaction"); 0
   *     before the first compaction
   * @param compactions major plus minor compactions installed
   * @param compactedBytes bytes of the CarLog's CARs that compactions wrote (the rest were appended since
   *     the last compaction); automatic compaction keeps it at most
   *     {@code kiln.compaction.max-space-amplification} times liveBytes
   * @param indexedSeqs per query index, the sequence it is current with: below {@code lastSeq} while it
   *     catches up (its progress), or for a map index no process here keeps
   */
  public record DatabaseStats(
      String name, int carLogLength, int carFiles, long carBytes, long documents, long generation,
      long compactions, long lastSeq, String clock, long indexedBlocks, long indexHeapBytes,
      long carLogBytes, long liveBytes, long majorCompactions, long minorCompactions, long compactedBytes,
      java.util.SortedMap<String, Long> indexedSeqs) implements KilnSerializable {
    public DatabaseStats {
      indexedSeqs = indexedSeqs == null ? java.util.Collections.emptySortedMap()
          : java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(indexedSeqs));
    }

    /** Stats without index progress. */
    public DatabaseStats(String name, int carLogLength, int carFiles, long carBytes, long documents, long generation,
        long compactions, long lastSeq, String clock, long indexedBlocks, long indexHeapBytes,
        long carLogBytes, long liveBytes, long majorCompactions, long minorCompactions, long compactedBytes) {
      this(name, carLogLength, carFiles, carBytes, documents, generation, compactions, lastSeq, clock, indexedBlocks,
          indexHeapBytes, carLogBytes, liveBytes, majorCompactions, minorCompactions, compactedBytes, null);
    }
  }
}
