package dev.kiln.engine.persist;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Where Kiln's persistent actors keep their events and snapshots: the plugin ids from {@code
 * kiln.journal.plugin-id} and {@code kiln.journal.snapshot-plugin-id}, and for Kiln's own embedded
 * plugins the database settings derived from {@code kiln.data-dir} and {@code kiln.journal.*}.
 *
 * <p>Derived, not substituted in {@code reference.conf}: a configuration changed after it was loaded
 * (say {@code withValue("kiln.data-dir", …)}) still moves the journal, and a relative data directory
 * is made absolute here, so H2 never sees a relative file name. Every {@code EventSourcedBehavior}
 * of Kiln returns {@link #journalPluginId()}, {@link #journalPluginConfig()} and the snapshot
 * counterparts, so an application's default journal is never used by Kiln nor Kiln's by it.
 */
public final class KilnPersistence {
  /** Kiln's embedded journal plugin, defined in the engine's {@code reference.conf}. */
  public static final String EMBEDDED_JOURNAL = "kiln.persistence.journal";
  /** Kiln's embedded snapshot store plugin, defined in the engine's {@code reference.conf}. */
  public static final String EMBEDDED_SNAPSHOT_STORE = "kiln.persistence.snapshot-store";
  private static final String URL_OPTIONS = ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE;TRACE_LEVEL_FILE=4";

  private final Path dataDir;
  private final String journalPluginId;
  private final String snapshotPluginId;
  private final String url;
  private final String driver;
  private final Optional<Config> journalPluginConfig;
  private final Optional<Config> snapshotPluginConfig;

  private KilnPersistence(Config config) {
    Config k = config.getConfig("kiln");
    this.dataDir = dataDir(config);
    this.journalPluginId = k.getString("journal.plugin-id");
    this.snapshotPluginId = k.getString("journal.snapshot-plugin-id");
    String configured = k.getString("journal.url");
    this.url = configured.isEmpty() ? embeddedUrl(dataDir) : configured;
    this.driver = k.getString("journal.driver");
    this.journalPluginConfig = embedded(journalPluginId, EMBEDDED_JOURNAL, k, k.getInt("journal.connections"));
    this.snapshotPluginConfig =
        embedded(snapshotPluginId, EMBEDDED_SNAPSHOT_STORE, k, k.getInt("journal.snapshot-connections"));
  }

  /** Kiln's persistence for an ActorSystem's configuration (which includes Kiln's reference.conf). */
  public static KilnPersistence from(Config config) {
    return new KilnPersistence(config);
  }

  /** {@code kiln.data-dir}, absolute and normalised (a relative one is resolved against the working directory). */
  public static Path dataDir(Config config) {
    return Path.of(config.getString("kiln.data-dir")).toAbsolutePath().normalize();
  }

  /** The embedded journal's URL for a data directory: the H2 file {@code <dataDir>/journal/kiln.mv.db}. */
  public static String embeddedUrl(Path dataDir) {
    return "jdbc:h2:fsync:" + dataDir.toAbsolutePath().normalize().resolve("journal").resolve("kiln") + URL_OPTIONS;
  }

  public Path dataDir() {
    return dataDir;
  }

  public String journalPluginId() {
    return journalPluginId;
  }

  public String snapshotPluginId() {
    return snapshotPluginId;
  }

  /** The settings to merge over the system's for the journal plugin; empty for a plugin that is not Kiln's. */
  public Optional<Config> journalPluginConfig() {
    return journalPluginConfig;
  }

  public Optional<Config> snapshotPluginConfig() {
    return snapshotPluginConfig;
  }

  /** True when the journal is Kiln's embedded H2 one, whose schema and lock Kiln looks after. */
  public boolean embeddedJournal() {
    return journalPluginConfig.isPresent();
  }

  /** The embedded journal's JDBC URL ({@code kiln.journal.url}, or derived from the data directory). */
  public String url() {
    return url;
  }

  /** The JDBC driver class of the embedded journal, {@code kiln.journal.driver}. */
  public String driver() {
    return driver;
  }

  private Optional<Config> embedded(String pluginId, String embeddedId, Config k, int connections) {
    if (!pluginId.equals(embeddedId)) {
      return Optional.empty();
    }
    Map<String, Object> db = new HashMap<>();
    db.put("url", url);
    db.put("driver", driver);
    db.put("numThreads", connections);
    db.put("maxConnections", connections);
    db.put("connectionTimeout", k.getDuration("journal.connection-timeout").toMillis() + "ms");
    Config slickDb = ConfigFactory.empty();
    for (Map.Entry<String, Object> e : db.entrySet()) {
      slickDb = slickDb.withValue(e.getKey(), ConfigValueFactory.fromAnyRef(e.getValue()));
    }
    return Optional.of(slickDb.atPath(pluginId + ".slick.db"));
  }
}
