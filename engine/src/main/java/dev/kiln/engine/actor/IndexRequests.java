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
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.pekko.pattern.StatusReply;

/**
 * The DatabaseActor's requests that change query indexes or the whole data set (define, drop,
 * import), the catch-up of indexes that are behind, and the requests that wait for it. Each change
 * is a write through {@link WriteAdmission}; the commit decides what the store holds. Used on the
 * actor's thread only.
 *
 * <p>An index is behind when it is new over existing documents, a registered map index's version
 * changed, or a catch-up stopped (a crash, a close). It is brought current by {@code RefreshIndexes}
 * commits, each catching up at most {@code kiln.index.catch-up-batch} documents and advancing the
 * index's sequence; the next is sent only when the previous is installed, so writes admitted
 * meanwhile go into the commits between them. A define is answered, and a query on such an index
 * runs, once the index is current; a close stops the catch-up (they are answered CLOSED) and the
 * next open resumes it where the last commit left it.
 */
final class IndexRequests {
  private final DatabaseContext db;
  private final WriteAdmission writes;
  /** The roots of the newest commit installed. */
  private final Supplier<CommitRoots> roots;
  private final BooleanSupplier closing;
  /** Queries on an index that is behind, sent to the actor again once it is current. */
  private final List<DatabaseProtocol.Query> waitingForIndex = new ArrayList<>();
  /** Defines answered once their index is current. */
  private final List<DatabaseProtocol.DefineIndex> waitingDefines = new ArrayList<>();
  private boolean refreshPending;

  IndexRequests(DatabaseContext db, WriteAdmission writes, Supplier<CommitRoots> roots, BooleanSupplier closing) {
    this.db = db;
    this.writes = writes;
    this.roots = roots;
    this.closing = closing;
  }

  /** True if {@code cmd} names an index that is behind: it waits, and is sent to the actor again once current. */
  boolean waitsForIndex(DatabaseProtocol.Query cmd) {
    if (cmd.index() == null || !behind(cmd.index())) {
      return false;
    }
    waitingForIndex.add(cmd);
    catchUp(null);
    return true;
  }

  /** After opening: an index left behind (a catch-up cut short by a crash or a close) is caught up. */
  void resume() {
    catchUp(null);
  }

  /** Whether the index is one this process keeps, and is not current with the head. */
  private boolean behind(String index) {
    IndexDefinition registered = db.settings().indexes().get(index);
    IndexRoot stored = roots.get().indexes().get(index);
    if (registered != null) {
      return stored == null || !stored.definition().equals(registered.fingerprint()) || stored.seq() < roots.get().seq();
    }
    // a stored field index is kept by every process; a map index only by one that registers it
    return stored != null && IndexDefinition.fromStored(index, stored.definition()) != null
        && stored.seq() < roots.get().seq();
  }

  private boolean anyBehind() {
    for (String name : roots.get().indexes().keySet()) {
      if (behind(name)) {
        return true;
      }
    }
    for (IndexDefinition def : db.settings().indexes().all()) {
      if (behind(def.name())) {
        return true;
      }
    }
    return false;
  }

  /**
   * One catch-up commit at a time while an index is behind; then the waiting requests go on.
   * {@code clock} is the head's clock, for defines answered now (null: none can be, no commit was
   * installed since the last call).
   */
  private void catchUp(Supplier<String> clock) {
    if (refreshPending) {
      return;
    }
    if (closing.getAsBoolean()) {
      stopWaiting(new KilnException(ErrorCode.CLOSED, "database " + db.name() + " closed before the index was"
          + " current; its catch-up goes on when the database opens again"));
      return;
    }
    release(clock);
    if (!anyBehind()) {
      return;
    }
    refreshPending = true;
    writes.admit(List.of(new CommitBuilder.RefreshIndexes()), new Replier() {
      @Override
      public void ok(List<CommitBuilder.Applied> applied, String at) {
        refreshPending = false;
        catchUp(() -> at);
      }

      @Override
      public void fail(KilnException error) {
        refreshPending = false;
        stopWaiting(new KilnException(error.code(), "could not bring the index current: " + error.getMessage()));
      }
    });
  }

  /** Sends on what waited for an index that is now current. */
  private void release(Supplier<String> clock) {
    List<DatabaseProtocol.Query> ready = new ArrayList<>();
    waitingForIndex.removeIf(q -> !behind(q.index()) && ready.add(q));
    ready.forEach(db.actor().getSelf()::tell); // now current: they go the normal way
    waitingDefines.removeIf(d -> {
      String name = IndexDefinition.field(d.field(), d.each()).name();
      if (behind(name) || clock == null) {
        return false;
      }
      d.replyTo().tell(StatusReply.success(new DatabaseProtocol.IndexDefined(name, clock.get())));
      return true;
    });
  }

  private void stopWaiting(KilnException why) {
    waitingForIndex.forEach(q -> q.replyTo().tell(StatusReply.error(why)));
    waitingForIndex.clear();
    waitingDefines.forEach(d -> d.replyTo().tell(StatusReply.error(why)));
    waitingDefines.clear();
  }

  /**
   * Defines a field index; one already stored with this definition is answered at {@code clock}, a
   * new one once it is current.
   */
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
      waitingDefines.add(cmd); // answered at once when current, else when its catch-up is
      catchUp(clock);
    } else {
      writes.admit(List.of(new CommitBuilder.DefineIndex(def.name(), def.fingerprint())), new Replier() {
        @Override
        public void ok(List<CommitBuilder.Applied> applied, String at) {
          waitingDefines.add(cmd);
          catchUp(() -> at);
        }

        @Override
        public void fail(KilnException error) {
          cmd.replyTo().tell(StatusReply.error(error));
        }
      });
    }
  }

  /** Whether the index exists is decided in the commit (CommitBuilder.DropIndex); registered ones are refused here. */
  void drop(DatabaseProtocol.DropIndex cmd, RequestWindow window) {
    if (db.settings().indexes().get(cmd.name()) != null) {
      cmd.fail(new KilnException(ErrorCode.INVALID_QUERY, "index '" + cmd.name() + "' is a map index registered in"
          + " code (DatabaseSettings.withIndex), which would build it again: remove the registration, then drop it"));
      return;
    }
    writes.admit(List.of(new CommitBuilder.DropIndex(cmd.name())),
        Replier.answering(cmd.replyTo(), clock -> new DatabaseProtocol.IndexDropped(cmd.name(), clock)),
        cmd.requestId(), window);
  }

  /** The file is read and checked in the commit (CommitBuilder.Import), on the CommitActor's blocking thread. */
  void importCar(DatabaseProtocol.Import cmd) {
    // answered once the commit is installed, so the roots are the imported ones
    writes.admit(List.of(new CommitBuilder.Import(Path.of(cmd.path()))), Replier.answering(cmd.replyTo(),
        clock -> new DatabaseProtocol.Imported(clock, roots.get().docCount(), roots.get().seq(), clock)));
  }
}
