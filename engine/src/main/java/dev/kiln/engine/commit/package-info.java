/**
 * The shape of a commit: {@code CommitBuilder} turns a batch of writes into the blocks of one
 * commit, {@code CommitRoots} is what a commit block names, {@code IndexRoot} one query index's
 * trees, {@code IndexUpdater} keeps the indexes current in the same commit, {@code FormatMigration}
 * turns a head of an older commit format into the current one. Pure: no actors, no files; the
 * CommitActor (and, for a migration, the opening) runs it.
 */
package dev.kiln.engine.commit;
