package dev.kiln.engine.persist;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.kiln.engine.config.StorageSettings;
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
 *
 * <p>With {@code kiln.storage = "postgres"} ({@link StorageSettings}) the same two plugin ids keep the
 * events and snapshots in PostgreSQL instead: the runtime plugin config then names Slick's PostgreSQL
 * profile, the PostgreSQL driver and {@code kiln.postgres.url}, user and password. No {@code pekko.*}
 * setting changes either way.
 */
public final class KilnPersistence {
  /** Kiln's embedded journal plugin, defined in the engine's {@code reference.conf}. */
  public static final String EMBEDDED_JOURNAL = "kiln.persistence.journal";
  /** Kiln's embedded snapshot store plugin, defined in the engine's {@code reference.conf}. */
  public static final String EMBEDDED_SNAPSHOT_STORE = "kiln.persistence.snapshot-store";
  private static final String URL_OPTIONS = ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE;TRACE_LEVEL_FILE=4";
  /** The JDBC driver and Slick profile of the journal on PostgreSQL. */
  public static final String POSTGRES_DRIVER = "org.postgresql.Driver";
  private static final String POSTGRES_PROFILE = "slick.jdbc.PostgresProfile$";

  private final Path dataDir;
  private final StorageSettings storage;
  private final String journalPluginId;
  private final String snapshotPluginId;
  private final String url;
  private final String driver;
  private final Optional<Config> journalPluginConfig;
  private final Optional<Config> snapshotPluginConfig;

  private KilnPersistence(Config config) {
    Config k = config.getConfig("kiln");
    this.dataDir = dataDir(config);
    this.storage = StorageSettings.from(config);
    this.journalPluginId = k.getString("journal.plugin-id");
    this.snapshotPluginId = k.getString("journal.snapshot-plugin-id");
    String configured = k.getString("journal.url");
    if (storage.postgres()) {
      this.url = storage.jdbcUrl();
      this.driver = POSTGRES_DRIVER;
    } else {
      this.url = configured.isEmpty() ? embeddedUrl(dataDir) : configured;
      this.driver = k.getString("journal.driver");
    }
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

  /** {@code kiln.storage} and {@code kiln.postgres.*}: where the journal and the CARs are kept. */
  public StorageSettings storage() {
    return storage;
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

  /**
   * True when the journal is one of Kiln's own plugins (on the H2 file, or on PostgreSQL with {@code
   * kiln.storage = "postgres"}), whose schema Kiln looks after; false for a plugin the application names.
   */
  public boolean embeddedJournal() {
    return journalPluginConfig.isPresent();
  }

  /**
   * The JDBC URL of Kiln's journal: {@code kiln.postgres.url} on PostgreSQL, else {@code kiln.journal.url}
   * or the H2 file derived from the data directory.
   */
  public String url() {
    return url;
  }

  /** The JDBC driver class of Kiln's journal: PostgreSQL's, or {@code kiln.journal.driver} for the embedded one. */
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
    if (storage.postgres()) {
      db.put("user", storage.user());
      db.put("password", storage.password());
      // PostgreSQL may be down when a database starts; the pool then connects once it is back, and
      // each operation meanwhile fails after the connection timeout (a typed JOURNAL error upstream).
      db.put("initializationFailTimeout", -1);
    }
    Config slickDb = ConfigFactory.empty();
    for (Map.Entry<String, Object> e : db.entrySet()) {
      slickDb = slickDb.withValue(e.getKey(), ConfigValueFactory.fromAnyRef(e.getValue()));
    }
    Config slick = slickDb.atPath("db");
    if (storage.postgres()) {
      slick = slick.withValue("profile", ConfigValueFactory.fromAnyRef(POSTGRES_PROFILE));
    }
    return Optional.of(slick.atPath(pluginId + ".slick"));
  }
}
