/**
 * Content-addressed blocks: DAG-CBOR encoding and decoding, JSON to IPLD, the {@code BlockSource}
 * a reader gets blocks from, and {@code BlockGraph}, the walk over the links between blocks that
 * compaction, its tests and the benchmarks share.
 */
package dev.kiln.engine.block;
