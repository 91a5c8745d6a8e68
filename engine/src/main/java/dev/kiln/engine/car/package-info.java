/**
 * CARv1 files: writing, streaming reading with verification of every block, the compact
 * per-file block index, and the stores that keep CAR files (on disk, in PostgreSQL for a cluster, or
 * in memory for tests). How a store groups nearby blocks of one CAR into one read is
 * {@code SpanPlanner}, shared by the file and PostgreSQL stores.
 *
 * <p>Errors: {@link dev.kiln.engine.car.CarFormatException} for bytes that are not a well-formed
 * CAR, {@link dev.kiln.engine.block.CorruptBlockException} for bytes that do not hash to their CID
 * (a block's, or the whole file's), {@link dev.kiln.engine.car.CarStoreException} for IO failures
 * and {@link dev.kiln.engine.car.CarNotFoundException} for a CAR the store does not hold. Every
 * message names the file, and the byte offset and CID where they are known.
 */
package dev.kiln.engine.car;
