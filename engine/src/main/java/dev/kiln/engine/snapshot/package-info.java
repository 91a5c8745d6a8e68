/**
 * Snapshots: one generation's CarLog, head and roots ({@code Snapshot}), and the block source
 * that reads a snapshot through the shared cache and its CAR files ({@code CarLogBlocks}),
 * optionally cancelled at the next block read.
 */
package dev.kiln.engine.snapshot;
