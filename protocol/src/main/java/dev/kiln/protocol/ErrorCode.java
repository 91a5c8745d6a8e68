package dev.kiln.protocol;

/** What kind of failure a {@link KilnException} reports; callers branch on this, not on messages. */
public enum ErrorCode {
  /** The document is not a JSON object, or cannot be stored as DAG-CBOR. */
  INVALID_DOCUMENT,
  /** The document id is empty, too long, or holds characters Kiln does not accept. */
  INVALID_ID,
  /** The encoded document is larger than {@code kiln.max-doc-bytes}. */
  DOCUMENT_TOO_LARGE,
  /** A database name that cannot be used (it names a directory, so the rules are strict). */
  INVALID_NAME,
  /** No live document has this id. */
  NOT_FOUND,
  /**
   * A conditional write found the document at another version than it expected (or existing when it
   * expected none). Nothing of this request was stored: read the document again and decide.
   */
  CONFLICT,
  /** Options of a read that do not make sense together (a bad range, a negative limit). */
  INVALID_QUERY,
  /** The database was closed; open it again. */
  CLOSED,
  /** Too many writes are waiting; retry later. Nothing of this request was stored. */
  OVERLOADED,
  /** Stored data failed its check (a block that does not match its CID, a truncated CAR). */
  CORRUPT,
  /** The CAR store failed (IO error, disk full). Nothing of this request was acknowledged. */
  STORAGE,
  /** The journal could not persist or be reached. Nothing of this request was acknowledged. */
  JOURNAL,
  /**
   * This node no longer owns the database: a newer owner (another node of a cluster, or a later open on
   * the same PostgreSQL) claimed it, and the store refused to write or delete under the old claim. Nothing
   * of this request was stored. Ask again: on a cluster the request then reaches the database's new owner.
   */
  FENCED,
  /**
   * The data directory is in use by another process (or another Kiln of this process); the message
   * names the process. Nothing was opened or changed.
   */
  LOCKED,
  /** The database did not answer in time. The write may or may not have been applied. */
  TIMEOUT,
  /** A bug: an invariant did not hold. */
  INTERNAL
}
