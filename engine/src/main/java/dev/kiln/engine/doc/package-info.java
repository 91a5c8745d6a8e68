/**
 * Documents: their encoding into blocks (ids, reserved fields, tombstones), their tree keys, their
 * id-tree entry ({@code DocEntry}: block, sequence, deleted), and the reads of documents, all-docs
 * and changes from a commit's roots.
 */
package dev.kiln.engine.doc;
