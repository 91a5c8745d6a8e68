package dev.kiln.engine.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.protocol.DatabaseProtocol;
import dev.kiln.protocol.DatabaseProtocol.AllDocsQuery;
import dev.kiln.protocol.DatabaseProtocol.AllDocsResult;
import dev.kiln.protocol.DatabaseProtocol.ChangesResult;
import dev.kiln.protocol.DatabaseProtocol.IndexQuery;
import dev.kiln.protocol.DatabaseProtocol.QueryResult;
import java.util.concurrent.CompletionStage;

/**
 * A consistent read view of a database: every read sees the state as of {@link #clock()}, while
 * writes and compactions go on. Close it when done: an open view keeps the CAR files it needs.
 */
public final class View implements AutoCloseable {
  private final Database db;
  private final long id;
  private final String clock;

  View(Database db, long id, String clock) {
    this.db = db;
    this.id = id;
    this.clock = clock;
  }

  /** The commit this view shows. */
  public String clock() {
    return clock;
  }

  public CompletionStage<ObjectNode> get(String docId) {
    return db.<DatabaseProtocol.DocResult>ask(r -> new DatabaseProtocol.InView(id, new DatabaseProtocol.Get(docId, r)))
        .thenApply(DatabaseProtocol.DocResult::doc);
  }

  public CompletionStage<AllDocsResult> allDocs(AllDocsQuery query) {
    return db.ask(r -> new DatabaseProtocol.InView(id, new DatabaseProtocol.AllDocs(query, r)));
  }

  public CompletionStage<ChangesResult> changes(long since, int limit) {
    return db.ask(r -> new DatabaseProtocol.InView(id, new DatabaseProtocol.Changes(since, limit, r)));
  }

  /** A query as of this view's commit. */
  public CompletionStage<QueryResult> query(String index, IndexQuery query) {
    return db.ask(r -> new DatabaseProtocol.InView(id, new DatabaseProtocol.Query(index, query, r)));
  }

  @Override
  public void close() {
    db.recipient().tell(new DatabaseProtocol.CloseView(id));
  }
}
