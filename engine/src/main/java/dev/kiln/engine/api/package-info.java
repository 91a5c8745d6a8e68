/**
 * The Java facade users call: {@code Kiln} opens databases by name, {@code Database} wraps the
 * protocol in typed futures, {@code View} reads a fixed snapshot. It holds no database state of its
 * own; it asks the DatabaseActor with a bounded timeout and copies what callers hand it.
 */
package dev.kiln.engine.api;
