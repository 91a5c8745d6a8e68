package dev.kiln.engine.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * Loads configuration with Kiln's defaults ({@code conf/application.conf}, shipped in the engine
 * jar) under the application's own settings: system properties, then the application's
 * {@code application.conf}, then Kiln's defaults, then every library's {@code reference.conf}.
 */
public final class KilnConfig {
  /** Where Kiln's defaults sit on the classpath. */
  public static final String DEFAULTS_RESOURCE = "dev/kiln/application.conf";

  private KilnConfig() {}

  /** The full configuration, resolved. */
  public static Config load() {
    return withDefaults(ConfigFactory.defaultApplication());
  }

  /** {@code application} over Kiln's defaults and the libraries' references, resolved. */
  public static Config withDefaults(Config application) {
    ConfigFactory.invalidateCaches();
    return ConfigFactory.defaultOverrides()
        .withFallback(application)
        .withFallback(defaults())
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }

  /** Kiln's defaults alone, unresolved. */
  public static Config defaults() {
    Config defaults = ConfigFactory.parseResources(KilnConfig.class.getClassLoader(), DEFAULTS_RESOURCE);
    if (!defaults.hasPath("kiln")) {
      throw new IllegalStateException(DEFAULTS_RESOURCE + " is missing from the classpath: the engine jar is incomplete");
    }
    return defaults;
  }
}
