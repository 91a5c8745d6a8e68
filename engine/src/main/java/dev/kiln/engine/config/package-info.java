/**
 * Configuration: loading Kiln's defaults under the application's settings ({@code KilnConfig}),
 * and {@code DatabaseSettings}, the settings of one database that users read from the
 * configuration or build in code.
 */
package dev.kiln.engine.config;
