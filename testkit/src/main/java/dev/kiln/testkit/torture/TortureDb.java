package dev.kiln.testkit.torture;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.api.Database;
import dev.kiln.protocol.DatabaseProtocol.AllDocsQuery;
import dev.kiln.protocol.DatabaseProtocol.AllDocsResult;
import dev.kiln.protocol.DatabaseProtocol.ChangesResult;
import dev.kiln.protocol.DatabaseProtocol.CompactResult;
import dev.kiln.protocol.DatabaseProtocol.CompactionKind;
import dev.kiln.protocol.DatabaseProtocol.IndexQuery;
import dev.kiln.protocol.DatabaseProtocol.QueryResult;
import dev.kiln.protocol.DatabaseProtocol.WriteResult;
import java.util.concurrent.CompletionStage;

/**
 * The calls the torture workload makes, so a test can put a wrapper between the workload and the
 * database (one that loses a write, say) and check that the checker notices.
 */
public interface TortureDb {
  CompletionStage<WriteResult> put(ObjectNode doc);

  CompletionStage<WriteResult> delete(String id);

  CompletionStage<ObjectNode> get(String id);

  CompletionStage<AllDocsResult> allDocs();

  CompletionStage<ChangesResult> changes(long since);

  CompletionStage<CompactResult> compact(CompactionKind kind);

  /** The documents whose {@code writer} field is {@code writer}, through the index on that field, with their documents. */
  CompletionStage<QueryResult> queryByWriter(String writer);

  /** The facade's database, unchanged. */
  static TortureDb of(Database db) {
    return new TortureDb() {
      @Override
      public CompletionStage<WriteResult> put(ObjectNode doc) {
        return db.put(doc);
      }

      @Override
      public CompletionStage<WriteResult> delete(String id) {
        return db.delete(id);
      }

      @Override
      public CompletionStage<ObjectNode> get(String id) {
        return db.get(id);
      }

      @Override
      public CompletionStage<AllDocsResult> allDocs() {
        return db.allDocs(AllDocsQuery.all());
      }

      @Override
      public CompletionStage<ChangesResult> changes(long since) {
        return db.changes(since, 0);
      }

      @Override
      public CompletionStage<CompactResult> compact(CompactionKind kind) {
        return db.compact(kind);
      }

      @Override
      public CompletionStage<QueryResult> queryByWriter(String writer) {
        return db.query(Torture.WRITER_INDEX, IndexQuery.all().withKey(IndexQuery.json(writer)).withIncludeDocs(true));
      }
    };
  }
}
