/**
 * The actors of one database and their protocol inside the engine: the event-sourced
 * {@code DatabaseActor} (journal, command table, signals, and the orchestration of events that touch
 * several parts), its {@code Phase} and one refusal guard, with its package-private parts
 * {@code Opening}, {@code Installed}, {@code WriteAdmission}, {@code Compaction},
 * {@code SnapshotLeases}, {@code Reads}, {@code IndexRequests} and {@code Subscribers} sharing one
 * {@code DatabaseContext}, its children {@code CommitActor} (group commit) and {@code CompactorActor}, the
 * sealed {@code Internal} protocol they and the database's timers and futures share, the journal's
 * {@code Events}, and the {@code ReplayGate} that answers and bounds requests outside Pekko's restarts.
 *
 * <p>Goes here: a new message between these actors, a new phase or rule of the database's life
 * cycle (in the part it concerns; a new request's route in the command table and its work in a
 * part). Not here: how a commit is shaped ({@code commit}), how a snapshot is read
 * ({@code snapshot}), file formats ({@code car}, {@code block}).
 */
package dev.kiln.engine.actor;
