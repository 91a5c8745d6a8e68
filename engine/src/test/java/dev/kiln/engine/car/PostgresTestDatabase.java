package dev.kiln.engine.car;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.UUID;

/**
 * The PostgreSQL database of the tests tagged {@code postgres} (run by {@code mvn -Ppostgres verify},
 * after {@code .ci/postgres.sh}). Connection settings come from system properties, with the defaults
 * the script creates: {@code kiln.test.pg.host} (127.0.0.1), {@code kiln.test.pg.port} (5432),
 * {@code kiln.test.pg.database} (kiln_store_test), {@code kiln.test.pg.user} (kiln),
 * {@code kiln.test.pg.password} (kiln). Tests share the database and keep apart by database names of
 * their own ({@link #uniqueName}).
 */
public final class PostgresTestDatabase {
  /** The JUnit tag of every test that needs the server; the default build leaves them out. */
  public static final String TAG = "postgres";

  private PostgresTestDatabase() {}

  public static String host() {
    return System.getProperty("kiln.test.pg.host", "127.0.0.1");
  }

  public static int port() {
    return Integer.getInteger("kiln.test.pg.port", 5432);
  }

  public static String database() {
    return System.getProperty("kiln.test.pg.database", "kiln_store_test");
  }

  public static String user() {
    return System.getProperty("kiln.test.pg.user", "kiln");
  }

  public static String password() {
    return System.getProperty("kiln.test.pg.password", "kiln");
  }

  /** The JDBC URL of the test database, reached at {@code host:port} (a proxy's, say). */
  public static String url(String host, int port) {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database();
  }

  public static String url() {
    return url(host(), port());
  }

  /** A pool on the test database; the caller closes it. */
  public static HikariDataSource pool(String url, int size) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setUsername(user());
    config.setPassword(password());
    config.setMaximumPoolSize(size);
    config.setConnectionTimeout(2000);
    return new HikariDataSource(config);
  }

  /** A database name no other test uses. */
  public static String uniqueName(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Runs one statement with parameters on a connection of its own (autocommit). */
  public static int execute(HikariDataSource pool, String sql, Object... params) {
    try (Connection c = pool.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        s.setObject(i + 1, params[i]);
      }
      return s.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException(sql, e);
    }
  }
}
