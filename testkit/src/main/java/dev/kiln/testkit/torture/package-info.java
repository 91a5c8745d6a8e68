/**
 * Torture: a seeded workload that tries hard to break Kiln, and a checker of what it recorded.
 *
 * <p>{@link dev.kiln.testkit.torture.Torture#run} drives one database on real files with writers,
 * deleters and readers while compaction is forced, the database is reopened and (optionally) the
 * disk fails for short spells through {@link dev.kiln.testkit.fault.FaultyCarStore}. Every call is an
 * {@link dev.kiln.testkit.torture.Op} in a {@link dev.kiln.testkit.torture.History}: invoked and
 * completed at {@link System#nanoTime}, with an {@link dev.kiln.testkit.torture.Outcome}.
 * {@link dev.kiln.testkit.torture.HistoryChecker} then treats each document as a register and each
 * scan, query or changes read as a snapshot of the commit its clock names, and reports every
 * {@link dev.kiln.testkit.torture.Anomaly} with the few operations that show it. {@code kiln torture}
 * is the command line for it.
 */
package dev.kiln.testkit.torture;
