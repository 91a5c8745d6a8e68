/**
 * Kiln over HTTP: {@link dev.kiln.http.KilnHttpServer} serves the Java facade ({@link
 * dev.kiln.engine.api.Kiln}, {@link dev.kiln.engine.api.Database}) with pekko-http's Java DSL.
 * Routes, JSON bodies, error statuses, bearer-token checks, live change feeds as Server-Sent Events
 * and Prometheus metrics belong here; nothing here reaches into the engine's internals.
 */
package dev.kiln.http;
