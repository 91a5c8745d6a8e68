/**
 * The full check of a stored database ({@code kiln verify}): every CAR read and hashed, every
 * per-CAR index file compared with its CAR, every block reachable from the head present and
 * verified. It reads what the engine wrote and repairs nothing; opening a database stays the cheap
 * path (index files, every block checked as it is read).
 */
package dev.kiln.engine.verify;
