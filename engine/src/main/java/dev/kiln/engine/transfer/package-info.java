/**
 * Moving a whole database in and out as one CARv1 file: export writes every block reachable from
 * the head commit with the commit as the root; import reads such a file, verifies every block
 * against its CID and that the graph below the root is complete, and only then hands the blocks
 * to a commit. Plain documents (NDJSON) go through the ordinary reads and bulk writes instead.
 */
package dev.kiln.engine.transfer;
