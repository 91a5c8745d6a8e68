package dev.kiln.engine.actor;

import dev.kiln.engine.car.CarIndex;
import dev.kiln.engine.car.CarNotFoundException;
import dev.kiln.engine.car.CarStore;
import dev.kiln.engine.doc.DocumentReads;
import dev.kiln.engine.index.IndexReads;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.transfer.CarTransfer;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.AllDocs;
import dev.kiln.protocol.DatabaseProtocol.AllDocsResult;
import dev.kiln.protocol.DatabaseProtocol.Changes;
import dev.kiln.protocol.DatabaseProtocol.DatabaseStats;
import dev.kiln.protocol.DatabaseProtocol.Get;
import dev.kiln.protocol.DatabaseProtocol.Stats;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.nio.file.Path;

/**
 * The DatabaseActor's read requests: each runs on the read dispatcher against a leased snapshot
 * (the current one, or an open view's) through {@link SnapshotLeases}, and the lease ends with the
 * read. Nothing here changes the database. Used on the actor's thread only.
 */
final class Reads {
  private final DatabaseContext db;
  private final SnapshotLeases leases;

  Reads(DatabaseContext db, SnapshotLeases leases) {
    this.db = db;
    this.leases = leases;
  }

  /** Whether {@code command} is a read of the current snapshot that {@link #run} serves as it is. */
  static boolean isRead(DatabaseProtocol.Command command) {
    return command instanceof Get || command instanceof AllDocs || command instanceof Changes
        || command instanceof DatabaseProtocol.ListIndexes || command instanceof DatabaseProtocol.Export
        || command instanceof Stats;
  }

  /**
   * Runs {@code read} against {@code snap}; false if it is no read this part runs. {@code inView}
   * allows only the reads a view serves (get, all-docs, changes, query).
   */
  boolean run(DatabaseProtocol.Command read, Snapshot snap, boolean inView, Events.State state) {
    if (read instanceof Get g) {
      leases.read(snap, g.replyTo(), (s, src) -> DocumentReads.read(src, s.roots(), g.id(), s.clock()));
    } else if (read instanceof AllDocs a) {
      leases.read(snap, a.replyTo(), (s, src) ->
          new AllDocsResult(DocumentReads.allDocs(src, s.roots(), a.query()), s.clock()));
    } else if (read instanceof Changes c) {
      leases.read(snap, c.replyTo(), (s, src) -> DocumentReads.changes(src, s.roots(), c, s.clock(),
          c.range() == null ? null : IndexReads.inRange(src, s.roots(), c.range())));
    } else if (read instanceof DatabaseProtocol.Query q) {
      leases.read(snap, q.replyTo(), (s, src) ->
          new DatabaseProtocol.QueryResult(IndexReads.query(src, s.roots(), q.index(), q.query()), s.clock()));
    } else if (inView) {
      return false;
    } else if (read instanceof DatabaseProtocol.ListIndexes l) {
      leases.read(snap, l.replyTo(), (s, src) ->
          new DatabaseProtocol.IndexList(IndexReads.list(src, s.roots(), db.settings().indexes()), s.clock()));
    } else if (read instanceof DatabaseProtocol.Export e) {
      leases.read(snap, e.replyTo(), (s, src) -> CarTransfer.export(src, s.head(), Path.of(e.path())));
    } else if (read instanceof Stats st) {
      leases.read(snap, st.replyTo(), (s, src) -> stats(s, state));
    } else {
      return false;
    }
    return true;
  }

  /** A read in an open view, against the view's snapshot (and the view's idle timer starts again). */
  void inView(DatabaseProtocol.InView cmd, Events.State state) {
    Snapshot view = leases.view(cmd.view());
    DatabaseProtocol.Command read = cmd.read();
    if (view == null) {
      Internal.replyError(read, new KilnException(ErrorCode.INVALID_QUERY, "view " + cmd.view()
          + " is not open (closed, idle past kiln.view-idle-timeout, or from before a restart)"));
    } else if (!run(read, view, true, state)) {
      Internal.replyError(read, new KilnException(ErrorCode.INVALID_QUERY, "only get, all-docs, changes and query run"
          + " in a view, not " + read.getClass().getSimpleName()));
    }
  }

  /** Opens a view on {@code snap}, leased until the view closes. */
  void openView(DatabaseProtocol.OpenView cmd, Snapshot snap) {
    long id = leases.openView(snap);
    cmd.replyTo().tell(org.apache.pekko.pattern.StatusReply.success(new DatabaseProtocol.ViewOpened(id, snap.clock())));
  }

  private DatabaseStats stats(Snapshot snap, Events.State state) {
    CarStore store = db.store();
    int files = 0;
    long bytes = 0;
    for (Cid f : store.list()) {
      try {
        bytes += store.size(f);
        files++;
      } catch (CarNotFoundException e) {
        // a replaced CAR deleted between the listing and now: it no longer counts
      }
    }
    long indexedBlocks = 0;
    long indexHeapBytes = 0;
    for (CarIndex c : snap.carLog()) {
      indexedBlocks += c.blockCount();
      indexHeapBytes += c.approximateHeapBytes();
    }
    java.util.SortedMap<String, Long> indexedSeqs = new java.util.TreeMap<>();
    snap.roots().indexes().forEach((name, ix) -> indexedSeqs.put(name, ix.seq()));
    return new DatabaseStats(db.name(), snap.carLog().size(), files, bytes, snap.roots().docCount(),
        snap.generation(), state.compactions(), snap.roots().seq(), snap.clock(), indexedBlocks, indexHeapBytes,
        snap.carBytes(), state.liveBytes(), state.compactions() - state.minorCompactions(), state.minorCompactions(),
        Compaction.compactedBytes(snap, state.base()), indexedSeqs);
  }
}
