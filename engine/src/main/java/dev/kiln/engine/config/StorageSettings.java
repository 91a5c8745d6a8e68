package dev.kiln.engine.config;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Locale;

/**
 * Where Kiln keeps its state, chosen by the one setting {@code kiln.storage}: {@link Kind#EMBEDDED}
 * (the default: the H2 journal file and CAR files under {@code kiln.data-dir}) or {@link
 * Kind#POSTGRES} (journal, snapshots and CARs in the PostgreSQL database {@code kiln.postgres.*}
 * names, which every node of a cluster reaches).
 *
 * @param kind which of the two
 * @param url JDBC URL of the PostgreSQL database ({@code jdbc:postgresql://host:port/database})
 * @param poolSize connections of the CAR store's pool (the journal's are {@code kiln.journal.connections})
 * @param createSchema create the missing tables at start (idempotent; safe from several nodes at once)
 * @param carChunkBytes CAR bytes per row: what one write statement sends and what memory a CAR write needs
 * @param connectionTimeout how long an operation waits for a connection before it fails
 * @param idleInTransactionTimeout how long PostgreSQL keeps a session of Kiln's that sits in an open
 *     transaction without a statement (a node paused mid-commit) before it ends it and frees its locks
 */
public record StorageSettings(Kind kind, String url, String user, String password, int poolSize,
    boolean createSchema, int carChunkBytes, Duration connectionTimeout, Duration idleInTransactionTimeout) {

  /** The two kinds of storage. */
  public enum Kind {
    EMBEDDED,
    POSTGRES
  }

  /** Smallest and largest chunk: a row per block would cost a statement each, a huge one memory. */
  public static final int MIN_CHUNK_BYTES = 1024;
  public static final int MAX_CHUNK_BYTES = 64 << 20;

  public StorageSettings {
    if (poolSize < 1) {
      throw new IllegalArgumentException("kiln.postgres.pool-size must be at least 1, not " + poolSize);
    }
    if (carChunkBytes < MIN_CHUNK_BYTES || carChunkBytes > MAX_CHUNK_BYTES) {
      throw new IllegalArgumentException("kiln.postgres.car-chunk-bytes must be between " + MIN_CHUNK_BYTES
          + " and " + MAX_CHUNK_BYTES + ", not " + carChunkBytes);
    }
  }

  /** Reads {@code kiln.storage} and {@code kiln.postgres.*}; an unknown kind is an IllegalArgumentException naming both. */
  public static StorageSettings from(Config config) {
    Config k = config.getConfig("kiln");
    String kind = k.getString("storage").trim().toLowerCase(Locale.ROOT);
    Kind parsed = switch (kind) {
      case "embedded" -> Kind.EMBEDDED;
      case "postgres", "postgresql" -> Kind.POSTGRES;
      default -> throw new IllegalArgumentException(
          "kiln.storage must be \"embedded\" or \"postgres\", not \"" + k.getString("storage") + "\"");
    };
    Config pg = k.getConfig("postgres");
    return new StorageSettings(parsed, pg.getString("url"), pg.getString("user"), pg.getString("password"),
        pg.getInt("pool-size"), pg.getBoolean("create-schema"), (int) Math.min(Integer.MAX_VALUE, pg.getBytes("car-chunk-bytes")),
        pg.getDuration("connection-timeout"), pg.getDuration("idle-in-transaction-timeout"));
  }

  /**
   * The URL both of Kiln's pools (journal and CARs) connect with: {@link #url} asking PostgreSQL to end
   * a session idle in a transaction after {@link #idleInTransactionTimeout}. A node paused (or cut off)
   * in the middle of a commit holds row locks that the next owner's claim of the database waits for;
   * this bounds that wait. A URL that sets {@code options} itself is used as it is.
   */
  public String jdbcUrl() {
    if (url.contains("options=") || idleInTransactionTimeout.isZero()) {
      return url;
    }
    String options = "-c idle_in_transaction_session_timeout=" + idleInTransactionTimeout.toMillis();
    return url + (url.contains("?") ? "&" : "?") + "options="
        + java.net.URLEncoder.encode(options, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
  }

  public boolean postgres() {
    return kind == Kind.POSTGRES;
  }

  /** The password is left out, so settings can be logged. */
  @Override
  public String toString() {
    return "StorageSettings[" + kind + ", " + url + ", user " + user + ", pool " + poolSize + ", chunk " + carChunkBytes + "]";
  }
}
