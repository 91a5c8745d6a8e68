package dev.kiln.engine.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.kiln.engine.persist.KilnPersistence;
import org.junit.jupiter.api.Test;

/** The one setting that chooses the storage, and what it makes of the journal plugins' settings. */
class StorageSettingsTest {
  private static Config with(String key, Object value) {
    return KilnConfig.withDefaults(ConfigFactory.empty().withValue(key, ConfigValueFactory.fromAnyRef(value)));
  }

  @Test
  void theDefaultIsTheEmbeddedH2JournalWithItsOwnPluginIds() {
    Config config = KilnConfig.withDefaults(ConfigFactory.empty());
    KilnPersistence persistence = KilnPersistence.from(config);

    assertThat(StorageSettings.from(config).kind()).isEqualTo(StorageSettings.Kind.EMBEDDED);
    assertThat(persistence.url()).startsWith("jdbc:h2:fsync:");
    Config journal = persistence.journalPluginConfig().orElseThrow().withFallback(config)
        .getConfig(KilnPersistence.EMBEDDED_JOURNAL + ".slick");
    assertThat(journal.getString("profile")).isEqualTo("slick.jdbc.H2Profile$");
  }

  @Test
  void postgresPutsJournalAndSnapshotsOnPostgresUnderTheSamePluginIds() {
    Config config = KilnConfig.withDefaults(ConfigFactory.parseString("""
        kiln.storage = postgres
        kiln.postgres { url = "jdbc:postgresql://db.example:5433/k", user = u, password = p }
        """));
    KilnPersistence persistence = KilnPersistence.from(config);

    assertThat(persistence.storage().postgres()).isTrue();
    assertThat(persistence.journalPluginId()).isEqualTo(KilnPersistence.EMBEDDED_JOURNAL);
    assertThat(persistence.embeddedJournal()).as("Kiln's own plugins: Kiln prepares their schema").isTrue();
    var plugins = java.util.Map.of(
        KilnPersistence.EMBEDDED_JOURNAL, persistence.journalPluginConfig().orElseThrow(),
        KilnPersistence.EMBEDDED_SNAPSHOT_STORE, persistence.snapshotPluginConfig().orElseThrow());
    plugins.forEach((id, runtime) -> {
      Config slick = runtime.withFallback(config).getConfig(id + ".slick");
      assertThat(slick.getString("profile")).isEqualTo("slick.jdbc.PostgresProfile$");
      // PostgreSQL ends a session left idle in a transaction (a paused node's) after 10 s
      assertThat(slick.getString("db.url")).isEqualTo(
          "jdbc:postgresql://db.example:5433/k?options=-c%20idle_in_transaction_session_timeout%3D10000");
      assertThat(slick.getString("db.driver")).isEqualTo(KilnPersistence.POSTGRES_DRIVER);
      assertThat(slick.getString("db.user")).isEqualTo("u");
      assertThat(slick.getString("db.password")).isEqualTo("p");
    });
    assertThat(config.getString("pekko.persistence.journal.plugin"))
        .as("no global pekko setting changed").isEqualTo(ConfigFactory.load().getString("pekko.persistence.journal.plugin"));
  }

  @Test
  void theIdleInTransactionTimeoutJoinsTheUrlUnlessTheUrlSetsItsOwnOptions() {
    assertThat(StorageSettings.from(with("kiln.postgres.url", "jdbc:postgresql://h/k?ssl=true")).jdbcUrl())
        .isEqualTo("jdbc:postgresql://h/k?ssl=true&options=-c%20idle_in_transaction_session_timeout%3D10000");
    assertThat(StorageSettings.from(with("kiln.postgres.url", "jdbc:postgresql://h/k?options=-c%20x%3D1")).jdbcUrl())
        .isEqualTo("jdbc:postgresql://h/k?options=-c%20x%3D1");
    assertThat(StorageSettings.from(with("kiln.postgres.idle-in-transaction-timeout", "0s")).jdbcUrl())
        .isEqualTo(StorageSettings.from(with("kiln.postgres.idle-in-transaction-timeout", "0s")).url());
  }

  @Test
  void anUnknownStorageOrChunkSizeIsRefusedNamingTheSetting() {
    assertThatThrownBy(() -> StorageSettings.from(with("kiln.storage", "cassandra")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("kiln.storage").hasMessageContaining("cassandra");
    assertThatThrownBy(() -> StorageSettings.from(with("kiln.postgres.car-chunk-bytes", 10)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("kiln.postgres.car-chunk-bytes");
    assertThat(StorageSettings.from(with("kiln.storage", "postgres")).toString()).doesNotContain("password");
  }
}
