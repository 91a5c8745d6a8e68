/**
 * The actors of one database and their protocol inside the engine: the event-sourced
 * {@code DatabaseActor} (journal, command table, signals, and the orchestration of events that touch
 * several parts), its {@code Phase} and one refusal guard, with its package-private parts
 * {@code Opening}, {@code HeadMigration}, {@code Fencing}, {@code Installed}, {@code WriteAdmission},
 * {@code Compaction}, {@code SnapshotLeases}, {@code Reads}, {@code IndexRequests},
 * {@code Subscribers} and {@code Shutdown} sharing one {@code DatabaseContext}, its children {@code CommitActor} (group commit) and {@code CompactorActor}, the
 * sealed {@code Internal} protocol they and the database's timers and futures share, the journal's
 * {@code Events}, and the {@code ReplayGate} that answers and bounds requests outside Pekko's restarts.
 *
 * <p>Goes here: a new message between these actors, a new phase or rule of the database's life
 * cycle (in the part it concerns; a new request's route in the command table and its work in a
 * part). Not here: how a commit is shaped ({@code commit}), how a snapshot is read
 * ({@code snapshot}), file formats ({@code car}, {@code block}).
 *
 * <p>The invariants the DatabaseActor and its parts keep together (numbered as in the tests that
 * check them, {@code InvariantNN...Test}):
 *
 * <ul>
 *   <li>Writes go to the {@code CommitActor}; a writer is answered only after its CAR is fsynced and
 *       its {@code CarAppended} is persisted (invariant 1).
 *   <li>Compaction waits until the CommitActor reports {@code Idle} for the newest write sent; a
 *       stale Idle does not count (2). A request waiting longer than
 *       {@code kiln.compaction.max-wait} holds new writes back until the queue drains (3). The
 *       install keeps every CAR appended after the snapshot (4); one runs at a time and further
 *       requests join it (5).
 *   <li>Reads run on the read dispatcher against a leased snapshot; a replaced CAR is deleted
 *       only after {@code Compacted} is persisted and no older lease remains (7).
 *   <li>When persisting fails, every write in flight fails and the actor recovers from the
 *       journal; the CommitActor starts again from what the journal holds (11).
 * </ul>
 */
package dev.kiln.engine.actor;
