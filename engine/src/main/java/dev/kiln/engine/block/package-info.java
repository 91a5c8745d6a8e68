/**
 * Content-addressed blocks: DAG-CBOR encoding and decoding, JSON to IPLD, the {@code BlockSource}
 * a reader gets blocks from, {@code BlockGraph}, the walk over the links between blocks that
 * compaction, its tests and the benchmarks share, and {@code CidSet}, the packed set of CIDs with
 * the one open-addressing probe that the walk and a CAR index's builder share.
 */
package dev.kiln.engine.block;
