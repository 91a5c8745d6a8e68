/**
 * Kiln's persistence: the Pekko journal and snapshot store on an H2 file (embedded, the default), and
 * the settings that make an event acknowledged by {@code persist()} survive a crash; or, with {@code
 * kiln.storage = "postgres"}, the same plugins on PostgreSQL (see {@link KilnPersistence}), whose
 * schema {@link Journal#prepare} creates idempotently.
 *
 * <h2>What is configured (the engine's {@code reference.conf}, {@link KilnPersistence})</h2>
 *
 * <ul>
 *   <li>Kiln's own plugins, never the application's default ones: {@code kiln.journal.plugin-id =
 *       "kiln.persistence.journal"} and {@code kiln.journal.snapshot-plugin-id =
 *       "kiln.persistence.snapshot-store"}, both pekko-persistence-jdbc with a pool of their own
 *       ({@code kiln.journal.connections}, {@code kiln.journal.snapshot-connections}) on the same
 *       H2 file, opened with {@link KilnH2Driver}. The pools' URL, driver and sizes are passed when
 *       a persistent actor starts (runtime plugin config), derived from {@code kiln.data-dir} then.
 *   <li>The URL, unless {@code kiln.journal.url} overrides it:
 *       <pre>jdbc:h2:fsync:&lt;absolute data-dir&gt;/journal/kiln;WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE;TRACE_LEVEL_FILE=4</pre>
 *       that is, the file {@code <data-dir>/journal/kiln.mv.db}.
 *   <li>{@link dev.kiln.protocol.KilnSerializable} is bound to {@code jackson-cbor}: events and
 *       commands that implement it need no further serializer setup.
 *   <li>{@link DataDirLock}: one process per data directory.
 * </ul>
 *
 * <h2>What H2 does with a commit, and why each URL setting is there</h2>
 *
 * <p>H2 2.x stores data in an MVStore: a commit becomes durable only when the store writes a new
 * chunk to its file. Where that happens is decided by {@code WRITE_DELAY}, not by JDBC
 * auto-commit: Slick runs the journal's insert in a transaction and the plugin acknowledges the
 * event when the JDBC {@code commit()} returns, and what that return means is H2's business.
 *
 * <ul>
 *   <li><b>{@code WRITE_DELAY=0}</b> (H2's default is 500 ms). With a delay, {@code commit()}
 *       returns while the change is only in the JVM's heap; a background thread writes it up to
 *       that many milliseconds later (or sooner, once enough unsaved pages pile up). A process
 *       killed in between loses events whose {@code persist()} had already replied. With 0, the
 *       committing thread writes the chunk itself before {@code commit()} returns, so the change is
 *       at least in the operating system's page cache, which outlives the process.
 *   <li><b>{@code fsync:}</b>, Kiln's H2 file system ({@link FsyncFileSystem}). H2 2.x never
 *       fsyncs on commit: it calls {@code FileChannel.force} only when the database closes, when it
 *       compacts or moves chunks, and on {@code CHECKPOINT SYNC}, and it has no setting to change
 *       that. So with {@code WRITE_DELAY=0} alone, a power cut or kernel crash can still lose what
 *       the page cache held. The {@code fsync:} layer follows every write of the database file with
 *       {@code fdatasync} (and fsyncs a directory after creating a file in it), so a commit is on
 *       the device when {@code commit()} returns, provided the device honours flushes. It costs one
 *       {@code fdatasync} per chunk write, about 1.5 per commit: on the development VM a lone
 *       sequential event took about 3.5 ms instead of 1.1 ms (one commit per write batch keeps that
 *       cost per batch, not per document). Write {@code file:} instead of {@code fsync:} to trade
 *       power-loss safety for speed; kill -9 safety stays.
 *   <li><b>{@code DB_CLOSE_ON_EXIT=FALSE}</b>. By default H2 closes the database from its own JVM
 *       shutdown hook, which races with Pekko's coordinated shutdown (also a shutdown hook): actors
 *       still persisting would hit a closed database. The plugins close their pools when the actor
 *       system terminates, and that closes H2.
 *   <li><b>{@code TRACE_LEVEL_FILE=4}</b>: H2 reports its errors through SLF4J (logger {@code
 *       h2database}) instead of a {@code kiln.trace.db} file next to the journal.
 * </ul>
 *
 * <h2>Why H2 2.3.232 and not 2.5.252</h2>
 *
 * <p>After a crash H2 finds its newest commit from the store header and the "next chunk" hints in
 * each chunk. When a commit's chunk lands in reused space, away from where the previous chunk
 * predicted, H2 rewrites the header to point at the new chunk. H2 2.5.252 updates its notion of
 * the last chunk only after that header write, so the header names the previous chunk and recovery
 * silently drops the newest commit, one that {@code commit()} had already confirmed. Space is reused
 * once chunks are older than {@code RETENTION_TIME} (45 s), so any long-running journal is exposed:
 * the kill -9 test lost 20 acknowledged events after about 55 s on 2.5.252, and {@code
 * H2CrashImageTest} fails at its first commit there. 2.3.232 updates the last chunk before it writes
 * the header, and passes both. Run both tests before changing the H2 version.
 *
 * <p>H2 2.x locks the file with an operating-system lock held by the open channel, so the lock
 * dies with a killed process and a restarted one opens the journal at once. The pool opens one
 * connection at start ({@code initializationFailTimeout = 1}) so that a journal that cannot be
 * opened fails at once instead of after the connection timeout.
 *
 * <h2>Proof</h2>
 *
 * <p>{@code KillNineDurabilityTest} runs a writer JVM that persists 1, 2, 3, … and prints "ACK n"
 * after each confirmation, sends it SIGKILL after a random number of acknowledgements, and checks
 * that the next JVM recovers every acknowledged n; with {@code WRITE_DELAY=600000} the same scenario
 * loses acknowledged events, which shows the test can fail. {@code H2CrashImageTest} opens a copy
 * of the journal file taken right after each commit (what a kill at that instant leaves) with
 * space reuse from the start, the state a journal reaches after its first 45 s.
 *
 * <h2>Start-up</h2>
 *
 * <p>Call {@link Journal#prepare} before spawning any persistent actor: it creates the schema if
 * absent (idempotent) and checks the tables, or fails with a {@link JournalUnavailableException}
 * naming the URL. A persistent actor extends {@link KilnEventSourcedBehavior}, which names Kiln's
 * plugins and the retention of events and snapshots.
 */
package dev.kiln.engine.persist;
