package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The offline commands with {@code kiln.storage = "postgres"}: they use the storage Kiln is configured
 * with, not the data directory's files. {@code kiln verify} hashes the CARs in PostgreSQL with progress,
 * reports a damaged stored index and a damaged CAR, {@code dbs} lists the databases PostgreSQL holds,
 * and a name nobody opened is NOT_FOUND. The settings
 * go in as system properties (as {@code -D} on a real command line), set and cleared around each test.
 */
@Tag("postgres")
class PostgresVerifyCommandTest {
  private static final String MARKER = "pg-verify-marker-text";
  private static final String URL = "jdbc:postgresql://" + System.getProperty("kiln.test.pg.host", "127.0.0.1") + ":"
      + System.getProperty("kiln.test.pg.port", "5432") + "/" + System.getProperty("kiln.test.pg.database", "kiln_store_test");
  private static final String USER = System.getProperty("kiln.test.pg.user", "kiln");
  private static final String PASSWORD = System.getProperty("kiln.test.pg.password", "kiln");
  private static final Map<String, String> SETTINGS = Map.of("kiln.storage", "postgres", "kiln.postgres.url", URL,
      "kiln.postgres.user", USER, "kiln.postgres.password", PASSWORD);

  @TempDir Path dir;
  final String db = "verify-" + UUID.randomUUID().toString().substring(0, 8);

  @BeforeEach
  void onPostgres() {
    SETTINGS.forEach(System::setProperty);
  }

  @AfterEach
  void back() {
    SETTINGS.keySet().forEach(System::clearProperty);
  }

  private CliRun kiln(String... args) {
    return CliRun.kiln(dir, args);
  }

  private int sql(String statement, Object... params) throws SQLException {
    try (Connection c = DriverManager.getConnection(URL, USER, PASSWORD); PreparedStatement s = c.prepareStatement(statement)) {
      for (int i = 0; i < params.length; i++) {
        s.setObject(i + 1, params[i]);
      }
      return s.executeUpdate();
    }
  }

  @Test
  void verifyChecksTheCarsInPostgresqlAndReportsDamage() throws Exception {
    assertThat(kiln("put", db, "{\"_id\":\"a\",\"title\":\"" + MARKER + "\"}").status()).isZero();
    assertThat(kiln("put", db, "{\"_id\":\"b\",\"title\":\"two\"}").status()).isZero();
    assertThat(kiln("compact", db).status()).isZero();
    assertThat(kiln("put", db, "{\"_id\":\"c\",\"title\":\"three\"}").status()).isZero();
    try (Stream<Path> files = Files.walk(dir)) {
      assertThat(files.filter(p -> p.toString().endsWith(".car")).toList()).as("no CAR file on disk").isEmpty();
    }

    CliRun healthy = kiln("verify", db);
    assertThat(healthy.status()).as(healthy.out() + healthy.err()).isZero();
    assertThat(healthy.out()).contains("2 CARs").contains("verify " + db + ": OK").doesNotContain("problem");
    assertThat(healthy.err()).contains("verify: CARs 100%");
    CliRun stats = kiln("stats", db);
    assertThat(stats.status()).as(stats.err()).isZero();
    assertThat(stats.json().path("carFiles").asInt()).isEqualTo(2);
    CliRun dbs = kiln("dbs");
    assertThat(dbs.status()).as(dbs.err()).isZero();
    assertThat(dbs.json().path("databases").toString()).as("listed from PostgreSQL").contains("\"" + db + "\"");

    // a stored index that no longer fits its CAR: a problem (which the open in that same run repairs)
    assertThat(sql("UPDATE kiln_car SET idx_crc = idx_crc + 1 WHERE db = ? AND car = (SELECT min(car) FROM kiln_car"
        + " WHERE db = ?)", db, db)).isEqualTo(1);
    CliRun badIndex = kiln("verify", db);
    assertThat(badIndex.status()).as(badIndex.out()).isEqualTo(1);
    assertThat(badIndex.out()).contains("problem: the stored index of CAR").contains("checksum mismatch");
    assertThat(kiln("verify", db).status()).as("repaired by the open").isZero();

    // a flipped byte in the document's block: the CAR is damaged
    assertThat(sql("UPDATE kiln_car_chunk SET data = overlay(data PLACING '\\x58'::bytea FROM position(?::bytea IN data)"
        + " + 3 FOR 1) WHERE position(?::bytea IN data) > 0 AND upload IN (SELECT upload FROM kiln_car WHERE db = ?)",
        MARKER.getBytes(), MARKER.getBytes(), db)).isPositive();
    CliRun damaged = kiln("verify", db);
    assertThat(damaged.status()).isEqualTo(1);
    assertThat(damaged.out()).contains("problem: CAR").contains("is damaged");
  }

  @Test
  void aDatabaseNobodyOpenedIsNotFoundNamingPostgresql() {
    CliRun verify = kiln("verify", db);
    assertThat(verify.status()).isEqualTo(1);
    assertThat(verify.err()).contains("NOT_FOUND").contains(db).contains(URL);
    CliRun get = kiln("get", db, "a");
    assertThat(get.status()).isEqualTo(1);
    assertThat(get.err()).contains("NOT_FOUND").contains(db).contains(URL);
  }
}
