package dev.kiln.engine.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import dev.kiln.engine.api.Kiln;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * What Kiln's engine jar brings to an application's configuration: its defaults as a {@code
 * reference.conf} that sets nothing global, the same keys and values as the documented list in
 * {@code conf/application.conf}, and no logging configuration.
 */
class ConfigurationFileTest {
  private static final Path LISTED = Path.of("..", "conf", "application.conf");

  @Test
  void confApplicationConfListsEveryKeyOfReferenceConfWithItsDefault() {
    Map<String, Object> defaults = leaves(ConfigFactory.defaultReference().getConfig("kiln").withoutPath("persistence"));
    Config listed = ConfigFactory.parseFile(LISTED.toFile(), ConfigParseOptions.defaults().setAllowMissing(false)).resolve();

    assertThat(listed.root().keySet()).as("conf/application.conf sets only kiln.*").containsExactly("kiln");
    // kiln.http.* ships with the http module; its own test compares that block
    assertThat(leaves(listed.getConfig("kiln").withoutPath("http"))).isEqualTo(defaults);
  }

  @Test
  void kilnsReferenceConfChangesNoGlobalPekkoSetting() throws Exception {
    Config engineOnly = ConfigFactory.parseURL(new URL(engineLocation(), "reference.conf"));

    assertThat(engineOnly.root().keySet()).containsExactlyInAnyOrder("kiln", "pekko");
    Config pekko = engineOnly.getConfig("pekko");
    // The only pekko.* entries bind Kiln's own classes to a serializer: nothing an application relies on.
    assertThat(pekko.root().keySet()).containsExactly("actor");
    assertThat(pekko.getConfig("actor").root().keySet()).containsExactly("serialization-bindings");
    assertThat(pekko.getConfig("actor.serialization-bindings").root().keySet()).allMatch(c -> c.startsWith("dev.kiln."));
  }

  @Test
  void plainConfigFactoryLoadHasKilnsDefaults() {
    ConfigFactory.invalidateCaches();
    Config loaded = ConfigFactory.load();
    assertThat(loaded.getInt("kiln.auto-compact")).isEqualTo(100);
    assertThat(loaded.getString("kiln.journal.plugin-id")).isEqualTo("kiln.persistence.journal");
    // The engine tests' own application.conf chose the default journal; Kiln's defaults left it alone.
    assertThat(loaded.getString("pekko.persistence.journal.plugin")).isEqualTo("pekko.persistence.testkit.journal");
  }

  @Test
  void theEngineShipsNoLoggingConfiguration() throws Exception {
    try (URLClassLoader engineOnly = new URLClassLoader(new URL[] {engineLocation()}, null)) {
      assertThat(engineOnly.findResource("logback.xml")).isNull();
      assertThat(engineOnly.findResource("logback-test.xml")).isNull();
      assertThat(engineOnly.findResource("log4j2.xml")).isNull();
      assertThat(engineOnly.findResource("reference.conf")).isNotNull();
    }
  }

  /** The engine's classes directory or jar. */
  private static URL engineLocation() {
    return Kiln.class.getProtectionDomain().getCodeSource().getLocation();
  }

  private static Map<String, Object> leaves(Config config) {
    Map<String, Object> leaves = new TreeMap<>();
    for (Map.Entry<String, ConfigValue> e : config.entrySet()) {
      leaves.put(e.getKey(), e.getValue().unwrapped());
    }
    return leaves;
  }
}
