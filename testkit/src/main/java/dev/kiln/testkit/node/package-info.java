/**
 * Kiln nodes as processes of their own, for the multi-process cluster tests and benchmarks: starting
 * a {@code kiln serve} JVM and learning its address, and a PostgreSQL database emptied before a run.
 */
package dev.kiln.testkit.node;
