package dev.kiln.engine.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * Shorthands for loading configuration the standard way. Kiln's defaults are the engine jar's
 * {@code reference.conf}, so plain {@code ConfigFactory.load()} already includes them; these
 * methods only add a way to lay settings over the defaults in code.
 */
public final class KilnConfig {
  private KilnConfig() {}

  /** {@code ConfigFactory.load()}: system properties, the application's {@code application.conf}, every {@code reference.conf}. */
  public static Config load() {
    return ConfigFactory.load();
  }

  /**
   * {@code settings} (given in code) over the application's {@code application.conf} and the
   * libraries' {@code reference.conf} files (Kiln's included), with system properties over all,
   * resolved; re-reads system properties so a test's {@code -D…} counts.
   */
  public static Config withDefaults(Config settings) {
    ConfigFactory.invalidateCaches();
    return ConfigFactory.load(settings.withFallback(ConfigFactory.defaultApplication()));
  }
}
