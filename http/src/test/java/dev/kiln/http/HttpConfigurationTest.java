package dev.kiln.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import java.net.URL;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The http module's defaults: only kiln.http.*, and listed with the same values in conf/application.conf. */
class HttpConfigurationTest {
  @Test
  void confApplicationConfListsEveryHttpKeyWithItsDefault() throws Exception {
    Config shipped = ConfigFactory.parseURL(new URL(KilnHttpServer.class.getProtectionDomain().getCodeSource()
        .getLocation(), "reference.conf"));
    assertThat(shipped.root().keySet()).as("sets nothing but kiln.http").containsExactly("kiln");
    assertThat(shipped.getConfig("kiln").root().keySet()).containsExactly("http");

    Config listed = ConfigFactory.parseFile(Path.of("..", "conf", "application.conf").toFile(),
        ConfigParseOptions.defaults().setAllowMissing(false)).resolve();
    assertThat(leaves(listed.getConfig("kiln.http"))).isEqualTo(leaves(shipped.getConfig("kiln.http")));
  }

  @Test
  void defaultsListenOnLoopbackWithoutAToken() {
    HttpSettings settings = HttpSettings.from(ConfigFactory.load());
    assertThat(settings.host()).isEqualTo("127.0.0.1");
    assertThat(settings.token()).isEmpty();
    settings.checkExposure(); // loopback: no token needed
  }

  @Test
  void aTokenFileGivesTheToken(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path file = dir.resolve("token");
    java.nio.file.Files.writeString(file, "from-a-file\nignored\n");
    Config config = ConfigFactory.parseMap(Map.of("kiln.http.token-file", file.toString()))
        .withFallback(ConfigFactory.load());
    HttpSettings settings = HttpSettings.from(config).withHost("0.0.0.0");
    assertThat(settings.token()).hasValue("from-a-file");
    settings.checkExposure(); // a token: any address may be used
  }

  private static Map<String, Object> leaves(Config config) {
    Map<String, Object> leaves = new TreeMap<>();
    for (Map.Entry<String, ConfigValue> e : config.entrySet()) {
      leaves.put(e.getKey(), e.getValue().unwrapped());
    }
    return leaves;
  }
}
