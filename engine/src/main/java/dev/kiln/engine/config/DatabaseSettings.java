package dev.kiln.engine.config;

import com.typesafe.config.Config;
import dev.kiln.engine.index.IndexDefinition;
import dev.kiln.engine.index.IndexRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The settings of one database, read from the {@code kiln} block of the configuration.
 *
 * @param autoCompact compact when more CARs than this were appended since the last compaction; 0 turns
 *     auto-compaction off
 * @param maxSpaceAmplification an automatic compaction is major (rewrites every live block) when the
 *     CarLog's bytes would exceed this times the live bytes, minor otherwise; at least 1
 * @param requestWindow how many answers of writes with a request id a database remembers (a bulk
 *     write counts its documents), so that a write sent again is not committed twice; at least 1
 */
public record DatabaseSettings(
    Path dataDir,
    boolean fsync,
    int autoCompact,
    Duration compactionMaxWait,
    int maxDocBytes,
    int maxPendingWrites,
    int maxHeldWrites,
    int maxBatchWrites,
    Duration readTimeout,
    Duration viewIdleTimeout,
    IndexRegistry indexes,
    int maxPendingReads,
    int maxWaitingRequests,
    int indexCatchUpBatch,
    double maxSpaceAmplification,
    int requestWindow) {

  /** Defaults of the bounds that older constructors do not name (as in Kiln's shipped configuration). */
  public static final int DEFAULT_MAX_PENDING_READS = 1000;
  public static final int DEFAULT_MAX_WAITING_REQUESTS = 10_000;
  public static final int DEFAULT_INDEX_CATCH_UP_BATCH = 2000;
  public static final double DEFAULT_MAX_SPACE_AMPLIFICATION = 2.0;
  public static final int DEFAULT_REQUEST_WINDOW = 2000;

  public DatabaseSettings {
    if (indexCatchUpBatch < 1) {
      throw new IllegalArgumentException("kiln.index.catch-up-batch must be at least 1, got " + indexCatchUpBatch);
    }
    if (!(maxSpaceAmplification >= 1.0)) {
      throw new IllegalArgumentException("compaction.max-space-amplification must be at least 1.0, got "
          + maxSpaceAmplification);
    }
    if (requestWindow < 1) {
      throw new IllegalArgumentException("kiln.commit.request-window must be at least 1, got " + requestWindow);
    }
  }

  public DatabaseSettings(Path dataDir, boolean fsync, int autoCompact, Duration compactionMaxWait, int maxDocBytes,
      int maxPendingWrites, int maxHeldWrites, int maxBatchWrites, Duration readTimeout, Duration viewIdleTimeout,
      IndexRegistry indexes, int maxPendingReads, int maxWaitingRequests, int indexCatchUpBatch,
      double maxSpaceAmplification) {
    this(dataDir, fsync, autoCompact, compactionMaxWait, maxDocBytes, maxPendingWrites, maxHeldWrites, maxBatchWrites,
        readTimeout, viewIdleTimeout, indexes, maxPendingReads, maxWaitingRequests, indexCatchUpBatch,
        maxSpaceAmplification, DEFAULT_REQUEST_WINDOW);
  }

  public DatabaseSettings(Path dataDir, boolean fsync, int autoCompact, Duration compactionMaxWait, int maxDocBytes,
      int maxPendingWrites, int maxHeldWrites, int maxBatchWrites, Duration readTimeout, Duration viewIdleTimeout,
      IndexRegistry indexes, int maxPendingReads, int maxWaitingRequests) {
    this(dataDir, fsync, autoCompact, compactionMaxWait, maxDocBytes, maxPendingWrites, maxHeldWrites, maxBatchWrites,
        readTimeout, viewIdleTimeout, indexes, maxPendingReads, maxWaitingRequests, DEFAULT_INDEX_CATCH_UP_BATCH,
        DEFAULT_MAX_SPACE_AMPLIFICATION);
  }

  public DatabaseSettings(Path dataDir, boolean fsync, int autoCompact, Duration compactionMaxWait, int maxDocBytes,
      int maxPendingWrites, int maxHeldWrites, int maxBatchWrites, Duration readTimeout, Duration viewIdleTimeout,
      IndexRegistry indexes) {
    this(dataDir, fsync, autoCompact, compactionMaxWait, maxDocBytes, maxPendingWrites, maxHeldWrites, maxBatchWrites,
        readTimeout, viewIdleTimeout, indexes, DEFAULT_MAX_PENDING_READS, DEFAULT_MAX_WAITING_REQUESTS);
  }

  /** Settings without registered indexes. */
  public DatabaseSettings(Path dataDir, boolean fsync, int autoCompact, Duration compactionMaxWait, int maxDocBytes,
      int maxPendingWrites, int maxHeldWrites, int maxBatchWrites, Duration readTimeout, Duration viewIdleTimeout) {
    this(dataDir, fsync, autoCompact, compactionMaxWait, maxDocBytes, maxPendingWrites, maxHeldWrites, maxBatchWrites,
        readTimeout, viewIdleTimeout, IndexRegistry.none());
  }

  public static DatabaseSettings from(Config config) {
    Config k = config.getConfig("kiln");
    return new DatabaseSettings(
        Path.of(k.getString("data-dir")),
        k.getBoolean("car.fsync"),
        k.getInt("auto-compact"),
        k.getDuration("compaction.max-wait"),
        (int) k.getBytes("max-doc-bytes").longValue(),
        k.getInt("commit.max-pending-writes"),
        k.getInt("compaction.max-held-writes"),
        k.getInt("commit.max-batch-writes"),
        k.getDuration("read-timeout"),
        k.getDuration("view-idle-timeout"),
        IndexRegistry.none(),
        k.getInt("max-pending-reads"),
        k.getInt("max-waiting-requests"),
        k.getInt("index.catch-up-batch"),
        k.getDouble("compaction.max-space-amplification"),
        k.getInt("commit.request-window"));
  }

  public DatabaseSettings withAutoCompact(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("auto-compact must be 0 (off) or more, got " + n);
    }
    return copy(c -> c.autoCompact = n);
  }

  public DatabaseSettings withDataDir(Path dir) {
    return copy(c -> c.dataDir = dir);
  }

  /**
   * These settings plus a registered index (a map function, or a field index to keep without
   * defining it at run time). Register the same definitions in every process that opens the
   * database: a map index whose function a process does not register falls behind there, and
   * queries on it fail until a process that registers it writes again.
   */
  public DatabaseSettings withIndex(IndexDefinition def) {
    return copy(c -> c.indexes = indexes.with(def));
  }

  public DatabaseSettings withCompactionMaxWait(Duration d) {
    return copy(c -> c.compactionMaxWait = d);
  }

  public DatabaseSettings withReadTimeout(Duration d) {
    return copy(c -> c.readTimeout = d);
  }

  /** These settings with other bounds on reads in flight and on requests waiting to be handled. */
  public DatabaseSettings withRequestBounds(int pendingReads, int waitingRequests) {
    if (pendingReads < 1 || waitingRequests < 1) {
      throw new IllegalArgumentException("request bounds must be at least 1, got " + pendingReads + " and " + waitingRequests);
    }
    return copy(c -> {
      c.maxPendingReads = pendingReads;
      c.maxWaitingRequests = waitingRequests;
    });
  }

  /** These settings with another number of documents per index catch-up commit. */
  public DatabaseSettings withIndexCatchUpBatch(int batch) {
    return copy(c -> c.indexCatchUpBatch = batch);
  }

  public DatabaseSettings withMaxSpaceAmplification(double amplification) {
    return copy(c -> c.maxSpaceAmplification = amplification);
  }

  /** These settings remembering the answers of {@code answers} writes with a request id. */
  public DatabaseSettings withRequestWindow(int answers) {
    return copy(c -> c.requestWindow = answers);
  }

  /** A copy of these settings with what {@code change} sets; checked by the canonical constructor. */
  private DatabaseSettings copy(Consumer<Copy> change) {
    Copy c = new Copy(this);
    change.accept(c);
    return c.build();
  }

  /**
   * The settings as fields a with-method sets: a new setting is one field here (and its line in the
   * constructor and {@link #build}), and its with-method a one-line change.
   */
  private static final class Copy {
    Path dataDir;
    boolean fsync;
    int autoCompact;
    Duration compactionMaxWait;
    int maxDocBytes;
    int maxPendingWrites;
    int maxHeldWrites;
    int maxBatchWrites;
    Duration readTimeout;
    Duration viewIdleTimeout;
    IndexRegistry indexes;
    int maxPendingReads;
    int maxWaitingRequests;
    int indexCatchUpBatch;
    double maxSpaceAmplification;
    int requestWindow;

    Copy(DatabaseSettings s) {
      dataDir = s.dataDir;
      fsync = s.fsync;
      autoCompact = s.autoCompact;
      compactionMaxWait = s.compactionMaxWait;
      maxDocBytes = s.maxDocBytes;
      maxPendingWrites = s.maxPendingWrites;
      maxHeldWrites = s.maxHeldWrites;
      maxBatchWrites = s.maxBatchWrites;
      readTimeout = s.readTimeout;
      viewIdleTimeout = s.viewIdleTimeout;
      indexes = s.indexes;
      maxPendingReads = s.maxPendingReads;
      maxWaitingRequests = s.maxWaitingRequests;
      indexCatchUpBatch = s.indexCatchUpBatch;
      maxSpaceAmplification = s.maxSpaceAmplification;
      requestWindow = s.requestWindow;
    }

    DatabaseSettings build() {
      return new DatabaseSettings(dataDir, fsync, autoCompact, compactionMaxWait, maxDocBytes, maxPendingWrites,
          maxHeldWrites, maxBatchWrites, readTimeout, viewIdleTimeout, indexes, maxPendingReads, maxWaitingRequests,
          indexCatchUpBatch, maxSpaceAmplification, requestWindow);
    }
  }
}
