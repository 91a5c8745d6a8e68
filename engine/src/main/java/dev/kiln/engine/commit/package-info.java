/**
 * The shape of a commit: {@code CommitBuilder} turns a batch of writes into the blocks of one
 * commit, {@code CommitRoots} is what a commit block names, {@code IndexRoot} one query index's
 * trees, {@code IndexUpdater} keeps the indexes current in the same commit. Pure: no actors, no
 * files; the CommitActor runs it.
 */
package dev.kiln.engine.commit;
