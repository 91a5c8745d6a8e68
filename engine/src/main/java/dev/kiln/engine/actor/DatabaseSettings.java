package dev.kiln.engine.actor;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The settings of one database, read from the {@code kiln} block of the configuration.
 *
 * @param autoCompact compact when the CarLog is longer than this; 0 turns auto-compaction off
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
    Duration viewIdleTimeout) {

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
        k.getDuration("view-idle-timeout"));
  }

  public DatabaseSettings withAutoCompact(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("auto-compact must be 0 (off) or more, got " + n);
    }
    return new DatabaseSettings(dataDir, fsync, n, compactionMaxWait, maxDocBytes, maxPendingWrites,
        maxHeldWrites, maxBatchWrites, readTimeout, viewIdleTimeout);
  }

  public DatabaseSettings withDataDir(Path dir) {
    return new DatabaseSettings(dir, fsync, autoCompact, compactionMaxWait, maxDocBytes, maxPendingWrites,
        maxHeldWrites, maxBatchWrites, readTimeout, viewIdleTimeout);
  }

  public DatabaseSettings withCompactionMaxWait(Duration d) {
    return new DatabaseSettings(dataDir, fsync, autoCompact, d, maxDocBytes, maxPendingWrites,
        maxHeldWrites, maxBatchWrites, readTimeout, viewIdleTimeout);
  }
}
