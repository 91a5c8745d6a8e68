package dev.kiln.engine.car;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.kiln.engine.config.StorageSettings;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CAR tables of one PostgreSQL database and the connection pool every {@link PostgresCarStore} of
 * one Kiln shares: one instance per Kiln (per ActorSystem), one store per database name over it.
 *
 * <h2>Tables</h2>
 *
 * <pre>
 * kiln_car       (db, car) → upload, chunk_bytes,       one row per stored CAR, with its block index
 *                  byte_size, roots, idx, idx_crc       ({@link PostgresCarIndex})
 * kiln_car_chunk (upload, seq) → data                   the CAR's bytes, chunk_bytes a row (the last shorter)
 * kiln_car_owner (db) → epoch, owner                   the fencing epoch of each database name
 * </pre>
 *
 * <p>A CAR's chunks are keyed by a random upload id rather than by the CAR's CID, because the CID is
 * known only after the last byte is hashed; the {@code kiln_car} row that names them is inserted in
 * the same transaction, last. The chunk column is stored uncompressed out of line ({@code STORAGE
 * EXTERNAL}), so PostgreSQL reads only the pages a byte range needs ({@code substring}) and takes a
 * chunk's length from its header.
 *
 * <h2>Fencing</h2>
 *
 * <p>{@link #claim} makes the caller the owner of a database name by raising its epoch by one; a store
 * made with that epoch ({@link #store(String, long)}) writes and deletes only while the epoch is still
 * its own. Each write and delete runs in a transaction that first reads the owner row {@code FOR
 * SHARE}: a claim (an {@code UPDATE} of that row) waits for the writes and deletes in flight to
 * commit, and every later one of the old owner fails with {@link CarStoreFencedException}, changing
 * nothing. So a node that was cut off and comes back cannot delete or install what the new owner
 * relies on.
 *
 * <p>{@link #createSchema} is idempotent and takes a transaction-scoped advisory lock, so several nodes
 * may run it at once.
 */
public final class PostgresCarStorage implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresCarStorage.class);
  /** Advisory lock key of the CAR tables' DDL ("kilncar"). */
  private static final long SCHEMA_LOCK = 0x6b696c6e636172L;
  private static final String SPOOL_SEPARATOR = "+";
  private static final String SPOOL_SUFFIX = ".car-spool";
  private static final List<String> SCHEMA = List.of(
      "CREATE TABLE IF NOT EXISTS kiln_car ("
          + " db TEXT NOT NULL, car TEXT NOT NULL, upload BIGINT NOT NULL UNIQUE, chunk_bytes INTEGER NOT NULL,"
          + " byte_size BIGINT NOT NULL, roots TEXT NOT NULL, idx BYTEA NOT NULL, idx_crc INTEGER NOT NULL,"
          + " written TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (db, car))",
      "CREATE TABLE IF NOT EXISTS kiln_car_chunk ("
          + " upload BIGINT NOT NULL, seq INTEGER NOT NULL, data BYTEA NOT NULL, PRIMARY KEY (upload, seq))",
      "ALTER TABLE kiln_car_chunk ALTER COLUMN data SET STORAGE EXTERNAL",
      "CREATE TABLE IF NOT EXISTS kiln_car_owner ("
          + " db TEXT PRIMARY KEY, epoch BIGINT NOT NULL, owner TEXT NOT NULL, claimed TIMESTAMPTZ NOT NULL DEFAULT now())");

  private final DataSource pool;
  private final HikariDataSource ownPool;
  private final String url;
  private final int chunkBytes;
  private final Path spoolDir;

  private PostgresCarStorage(DataSource pool, HikariDataSource ownPool, String url, int chunkBytes, Path spoolDir) {
    this.pool = pool;
    this.ownPool = ownPool;
    this.url = url;
    this.chunkBytes = chunkBytes;
    this.spoolDir = spoolDir;
  }

  /**
   * Opens a pool on {@code settings.url()} and, when {@code settings.createSchema()}, creates the missing
   * tables; fails with a {@link CarStoreException} naming the URL when PostgreSQL cannot be used.
   */
  public static PostgresCarStorage start(StorageSettings settings, String poolName) {
    return start(settings, poolName, defaultSpoolDir());
  }

  /**
   * As {@link #start(StorageSettings, String)}, spooling CARs whose blocks are made while they are
   * written ({@link PostgresCarStore#write}) to files in {@code spoolDir} (created when needed).
   */
  public static PostgresCarStorage start(StorageSettings settings, String poolName, Path spoolDir) {
    HikariConfig config = new HikariConfig();
    config.setPoolName(poolName);
    config.setJdbcUrl(settings.jdbcUrl());
    config.setUsername(settings.user());
    config.setPassword(settings.password());
    config.setMaximumPoolSize(settings.poolSize());
    config.setMinimumIdle(Math.min(2, settings.poolSize()));
    config.setConnectionTimeout(Math.max(250, settings.connectionTimeout().toMillis()));
    // Start even when PostgreSQL is down at this instant; every operation meanwhile fails typed.
    config.setInitializationFailTimeout(-1);
    HikariDataSource pool = new HikariDataSource(config);
    PostgresCarStorage storage = new PostgresCarStorage(pool, pool, settings.url(), settings.carChunkBytes(), spoolDir);
    try {
      if (settings.createSchema()) {
        storage.createSchema();
      } else {
        storage.checkSchema();
      }
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
    return storage;
  }

  /**
   * Over a data source the caller owns (and closes); for tests and applications with a pool of their
   * own. Spools to {@code java.io.tmpdir}.
   */
  public static PostgresCarStorage over(DataSource pool, String url, int chunkBytes) {
    if (chunkBytes < StorageSettings.MIN_CHUNK_BYTES || chunkBytes > StorageSettings.MAX_CHUNK_BYTES) {
      throw new IllegalArgumentException("chunk of " + chunkBytes + " bytes");
    }
    return new PostgresCarStorage(Objects.requireNonNull(pool, "pool"), null, url, chunkBytes, defaultSpoolDir());
  }

  private static Path defaultSpoolDir() {
    return Path.of(System.getProperty("java.io.tmpdir"));
  }

  /** A new spool file of database {@code db}: its name starts with {@code db+}, which no database name holds. */
  Path spoolFile(String db) throws IOException {
    Files.createDirectories(spoolDir);
    return Files.createTempFile(spoolDir, db + SPOOL_SEPARATOR, SPOOL_SUFFIX);
  }

  /** Removes the spool files of database {@code db} (a crash mid-write left them); how many. */
  int removeSpoolFiles(String db) {
    if (!Files.isDirectory(spoolDir)) {
      return 0;
    }
    int removed = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(spoolDir, db + SPOOL_SEPARATOR + "*" + SPOOL_SUFFIX)) {
      for (Path file : files) {
        if (Files.deleteIfExists(file)) {
          removed++;
        }
      }
    } catch (IOException e) {
      LOG.warn("cannot remove the spool files of database {} in {}: {}", db, spoolDir, e.toString());
    }
    return removed;
  }

  /** Creates the CAR tables that are missing; changes nothing that is there. */
  public void createSchema() {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.execute("SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK + ")");
        for (String sql : SCHEMA) {
          LOG.debug("CAR schema: {}", sql);
          s.execute(sql);
        }
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw failure("cannot create the CAR tables", e);
    }
  }

  private void checkSchema() {
    try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
      s.executeQuery("SELECT 1 FROM kiln_car, kiln_car_chunk, kiln_car_owner WHERE false").close();
    } catch (SQLException e) {
      throw failure("the CAR tables cannot be read (kiln.postgres.create-schema is off; create them as "
          + "PostgresCarStorage's javadoc shows)", e);
    }
  }

  /**
   * Makes {@code owner} the owner of database {@code db}: raises its epoch by one and returns the new
   * epoch, once every write and delete of earlier owners in flight has committed. Stores with an older
   * epoch are fenced from then on.
   */
  public long claim(String db, String owner) {
    String sql = "INSERT INTO kiln_car_owner (db, epoch, owner) VALUES (?, 1, ?) ON CONFLICT (db) DO UPDATE"
        + " SET epoch = kiln_car_owner.epoch + 1, owner = EXCLUDED.owner, claimed = now() RETURNING epoch";
    try (Connection c = pool.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, db);
      s.setString(2, owner);
      try (ResultSet r = s.executeQuery()) {
        r.next();
        return r.getLong(1);
      }
    } catch (SQLException e) {
      throw failure("cannot claim database " + db, e);
    }
  }

  /** Every database name ever claimed (opened) on this PostgreSQL, sorted. */
  public List<String> databases() {
    List<String> names = new java.util.ArrayList<>();
    try (Connection c = pool.getConnection(); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT db FROM kiln_car_owner ORDER BY db")) {
      while (r.next()) {
        names.add(r.getString(1));
      }
    } catch (SQLException e) {
      throw failure("cannot list the databases", e);
    }
    return names;
  }

  /** The current epoch of database {@code db}, or 0 when nobody has claimed it. */
  public long epoch(String db) {
    try (Connection c = pool.getConnection();
        PreparedStatement s = c.prepareStatement("SELECT epoch FROM kiln_car_owner WHERE db = ?")) {
      s.setString(1, db);
      try (ResultSet r = s.executeQuery()) {
        return r.next() ? r.getLong(1) : 0;
      }
    } catch (SQLException e) {
      throw failure("cannot read the epoch of database " + db, e);
    }
  }

  /** The CARs of database {@code db}, written and deleted only while {@code epoch} is its epoch. */
  public PostgresCarStore store(String db, long epoch) {
    if (epoch < 1) {
      throw new IllegalArgumentException("epoch " + epoch + " was never claimed");
    }
    return new PostgresCarStore(this, db, epoch);
  }

  /** The CARs of database {@code db} without fencing: for tools and tests, where no other owner can exist. */
  public PostgresCarStore unfencedStore(String db) {
    return new PostgresCarStore(this, db, 0);
  }

  DataSource pool() {
    return pool;
  }

  int chunkBytes() {
    return chunkBytes;
  }

  /** The JDBC URL, for messages. */
  public String url() {
    return url;
  }

  private CarStoreException failure(String what, SQLException e) {
    return new CarStoreException(url, "PostgreSQL: " + what, e);
  }

  /** Closes the pool when this storage opened it; stores over it fail from then on. */
  @Override
  public void close() {
    if (ownPool != null) {
      ownPool.close();
    }
  }
}
