/**
 * {@code kiln bench}: runs the whole-process workloads of {@code bench/} (each in a JVM of its own),
 * shows their progress, and turns their result lines and time series into a report: a Markdown
 * table, a CSV of every figure, and SVG plots drawn here (no plotting library).
 */
package dev.kiln.cli.bench;
