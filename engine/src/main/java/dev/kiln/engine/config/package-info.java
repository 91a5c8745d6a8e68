/**
 * Configuration: loading Kiln's configuration ({@code KilnConfig}), and {@code DatabaseSettings},
 * the settings of one database that users read from the configuration or build in code. The
 * defaults live in the engine jar's {@code reference.conf} (every key is listed with its default and
 * purpose in {@code conf/application.conf} of the source tree); an application overrides them in its
 * own {@code application.conf}.
 */
package dev.kiln.engine.config;
