package dev.kiln.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.kiln.engine.api.Kiln;
import dev.kiln.engine.config.KilnConfig;
import java.nio.file.Path;
import java.util.Map;

/** Starts Kiln on its embedded defaults (H2 journal, file CARs, fsync on) in a directory of the caller's. */
public final class TestKiln {
  private TestKiln() {}

  /** Kiln with every database and the journal under {@code dataDir}. */
  public static Kiln start(Path dataDir) {
    return Kiln.start(config(dataDir, Map.of()));
  }

  /** As {@link #start(Path)}, with extra settings, e.g. {@code Map.of("kiln.compaction.max-wait", "200ms")}. */
  public static Kiln start(Path dataDir, Map<String, Object> settings) {
    return Kiln.start(config(dataDir, settings));
  }

  public static Config config(Path dataDir, Map<String, Object> settings) {
    Config overrides = ConfigFactory.empty()
        .withValue("kiln.data-dir", ConfigValueFactory.fromAnyRef(dataDir.toAbsolutePath().toString()));
    for (Map.Entry<String, Object> e : settings.entrySet()) {
      overrides = overrides.withValue(e.getKey(), ConfigValueFactory.fromAnyRef(e.getValue()));
    }
    return KilnConfig.withDefaults(overrides);
  }
}
