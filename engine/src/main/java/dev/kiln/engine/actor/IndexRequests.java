package dev.kiln.engine.actor;

import dev.kiln.engine.actor.WriteAdmission.Replier;
import dev.kiln.engine.commit.CommitBuilder;
import dev.kiln.engine.commit.CommitRoots;
import dev.kiln.engine.commit.IndexRoot;
import dev.kiln.engine.index.IndexDefinition;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.pekko.pattern.StatusReply;

/**
 * The DatabaseActor's requests that change query indexes or the whole data set (define, drop,
 * import) and the queries that wait for a registered index to be brought current. Each change is
 * a write through {@link WriteAdmission}; the commit decides what the store holds. Used on the
 * actor's thread only.
 */
final class IndexRequests {
  private final DatabaseContext db;
  private final WriteAdmission writes;
  /** The roots of the newest commit installed. */
  private final Supplier<CommitRoots> roots;
  /** Queries on a registered index that is not current yet, answered after the refresh commit. */
  private final List<DatabaseProtocol.Query> waitingForIndex = new ArrayList<>();
  private boolean refreshPending;

  IndexRequests(DatabaseContext db, WriteAdmission writes, Supplier<CommitRoots> roots) {
    this.db = db;
    this.writes = writes;
    this.roots = roots;
  }

  /**
   * Only the first commit after opening (or after registering a new definition) finds a registered
   * index behind; every later commit keeps it current. True if {@code cmd} waits for that commit,
   * and is sent to the actor again once it is installed.
   */
  boolean waitsForIndex(DatabaseProtocol.Query cmd) {
    if (!registeredButBehind(cmd.index())) {
      return false;
    }
    waitingForIndex.add(cmd);
    if (!refreshPending) {
      refreshPending = true;
      writes.admit(List.of(new CommitBuilder.RefreshIndexes()), new Replier() {
        @Override
        public void ok(List<CommitBuilder.Applied> applied, String clock) {
          refreshPending = false;
          List<DatabaseProtocol.Query> ready = new ArrayList<>(waitingForIndex);
          waitingForIndex.clear();
          ready.forEach(db.actor().getSelf()::tell); // now current: they go the normal way
        }

        @Override
        public void fail(KilnException error) {
          refreshPending = false;
          KilnException why = new KilnException(error.code(), "could not bring the index current: " + error.getMessage());
          waitingForIndex.forEach(q -> q.replyTo().tell(StatusReply.error(why)));
          waitingForIndex.clear();
        }
      });
    }
    return true;
  }

  private boolean registeredButBehind(String index) {
    IndexDefinition def = index == null ? null : db.settings().indexes().get(index);
    if (def == null) {
      return false;
    }
    IndexRoot stored = roots.get().indexes().get(index);
    return stored == null || !stored.definition().equals(def.fingerprint()) || stored.seq() < roots.get().seq();
  }

  /** Defines a field index; one already stored with this definition is answered at {@code clock}. */
  void define(DatabaseProtocol.DefineIndex cmd, Supplier<String> clock) {
    IndexDefinition def;
    try {
      def = IndexDefinition.field(cmd.field(), cmd.each());
    } catch (KilnException e) {
      cmd.replyTo().tell(StatusReply.error(e));
      return;
    }
    IndexDefinition registered = db.settings().indexes().get(def.name());
    IndexRoot stored = roots.get().indexes().get(def.name());
    String clash = registered != null && !registered.fingerprint().equals(def.fingerprint()) ? registered.fingerprint()
        : stored != null && !stored.definition().equals(def.fingerprint()) ? stored.definition() : null;
    if (clash != null) {
      cmd.replyTo().tell(StatusReply.error(new KilnException(ErrorCode.INVALID_QUERY, "an index named '" + def.name()
          + "' already exists with another definition (" + clash + ")")));
    } else if (stored != null) {
      cmd.replyTo().tell(StatusReply.success(new DatabaseProtocol.IndexDefined(def.name(), clock.get())));
    } else {
      writes.admit(List.of(new CommitBuilder.DefineIndex(def.name(), def.fingerprint())),
          Replier.answering(cmd.replyTo(), c -> new DatabaseProtocol.IndexDefined(def.name(), c)));
    }
  }

  /** Whether the index exists is decided in the commit (CommitBuilder.DropIndex); registered ones are refused here. */
  void drop(DatabaseProtocol.DropIndex cmd) {
    if (db.settings().indexes().get(cmd.name()) != null) {
      cmd.fail(new KilnException(ErrorCode.INVALID_QUERY, "index '" + cmd.name() + "' is a map index registered in"
          + " code (DatabaseSettings.withIndex), which would build it again: remove the registration, then drop it"));
      return;
    }
    writes.admit(List.of(new CommitBuilder.DropIndex(cmd.name())),
        Replier.answering(cmd.replyTo(), clock -> new DatabaseProtocol.IndexDropped(cmd.name(), clock)));
  }

  /** The file is read and checked in the commit (CommitBuilder.Import), on the CommitActor's blocking thread. */
  void importCar(DatabaseProtocol.Import cmd) {
    // answered once the commit is installed, so the roots are the imported ones
    writes.admit(List.of(new CommitBuilder.Import(Path.of(cmd.path()))), Replier.answering(cmd.replyTo(),
        clock -> new DatabaseProtocol.Imported(clock, roots.get().docCount(), roots.get().seq(), clock)));
  }
}
