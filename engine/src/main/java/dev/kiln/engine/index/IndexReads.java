package dev.kiln.engine.index;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.engine.commit.CommitRoots;
import dev.kiln.engine.doc.DocumentCodec;
import dev.kiln.engine.doc.DocumentKeys;
import dev.kiln.engine.commit.IndexRoot;
import dev.kiln.engine.tree.Entry;
import dev.kiln.engine.tree.ProllyTree;
import dev.kiln.engine.tree.ScanOptions;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.DatabaseProtocol.IndexInfo;
import dev.kiln.protocol.DatabaseProtocol.IndexQuery;
import dev.kiln.protocol.DatabaseProtocol.KeyRange;
import dev.kiln.protocol.DatabaseProtocol.QueryRow;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Index queries against one commit's roots. Every option is pushed down to the tree: a key, a
 * range or a prefix becomes the bounds of one scan, {@code descending} the scan's direction and
 * {@code limit} where it stops, so a query reads the path to its first row and then only the
 * nodes holding the rows it returns, whatever the size of the index. Blocking: run on the IO
 * dispatcher.
 */
public final class IndexReads {
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private IndexReads() {}

  /**
   * Every index the commit holds, and every registered one it does not hold yet, with its size
   * (reads every node of its trees) and how far behind the commit it is.
   */
  public static List<IndexInfo> list(BlockSource src, CommitRoots roots, IndexRegistry registry) {
    List<IndexInfo> out = new ArrayList<>();
    for (Map.Entry<String, IndexRoot> e : roots.indexes().entrySet()) {
      IndexRoot r = e.getValue();
      long[] blocks = {0, 0};
      for (Cid tree : List.of(r.entries(), r.back())) {
        ProllyTree.walk(src, tree, b -> {
          blocks[0]++;
          blocks[1] += b.size();
        });
      }
      out.add(new IndexInfo(e.getKey(), IndexDefinition.kindOf(r.definition()), r.definition(),
          ProllyTree.count(src, r.entries()), ProllyTree.count(src, r.back()), blocks[0], blocks[1], r.seq(),
          roots.seq() - r.seq(), registry.get(e.getKey()) != null));
    }
    for (IndexDefinition def : registry.all()) {
      if (!roots.indexes().containsKey(def.name())) {
        out.add(new IndexInfo(def.name(), IndexDefinition.kindOf(def.fingerprint()), def.fingerprint(), 0, 0, 0, 0, 0,
            roots.seq(), true));
      }
    }
    out.sort(java.util.Comparator.comparing(IndexInfo::name));
    return out;
  }

  /** The query's rows, or NOT_FOUND for an index this commit does not hold. */
  public static List<QueryRow> query(BlockSource src, CommitRoots roots, String index, IndexQuery q) {
    IndexRoot root = current(roots, index);
    Plan plan = plan(q);
    List<QueryRow> rows = new ArrayList<>();
    for (ScanOptions scan : plan.scans()) {
      int left = q.limit() == 0 ? 0 : q.limit() - rows.size();
      Iterator<Entry> it = ProllyTree.scan(src, root.entries(), scan.limit(left));
      while (it.hasNext()) {
        rows.add(row(src, it.next(), q.includeDocs()));
      }
      if (q.limit() > 0 && rows.size() >= q.limit()) {
        break;
      }
    }
    return rows;
  }

  /**
   * A change feed's filter by a key range of an index, at one commit: whether a document has an
   * entry in the range, looked up in the index's back tree (id to entry keys), so a test costs one
   * tree lookup and not a scan. NOT_FOUND and INVALID_QUERY as for a query of the same index.
   */
  public static Predicate<String> inRange(BlockSource src, CommitRoots roots, KeyRange range) {
    IndexRoot root = current(roots, range.index());
    List<ScanOptions> scans = plan(range.asQuery()).scans();
    return id -> {
      List<?> keys = root.back().equals(ProllyTree.emptyRoot()) ? null
          : (List<?>) ProllyTree.get(src, root.back(), DocumentKeys.id(id));
      if (keys != null) {
        for (Object k : keys) {
          for (ScanOptions scan : scans) {
            if (scan.admits((byte[]) k)) {
              return true;
            }
          }
        }
      }
      return false;
    };
  }

  /** The index, current with the commit, or why it cannot be read. */
  private static IndexRoot current(CommitRoots roots, String index) {
    IndexDefinition.validateName(index);
    IndexRoot root = roots.indexes().get(index);
    if (root == null) {
      throw new KilnException(ErrorCode.NOT_FOUND, "no index named '" + index + "': define a field index"
          + " with DefineIndex (kiln index DB " + index + "), or register a map function in DatabaseSettings.withIndex");
    }
    if (root.seq() < roots.seq()) {
      throw new KilnException(ErrorCode.INVALID_QUERY, "index '" + index + "' stops at sequence " + root.seq()
          + " of " + roots.seq() + " in this commit: "
          + (IndexDefinition.fromStored(index, root.definition()) != null
              ? "it is catching up over existing documents (query the database, not a view, to wait for it)"
              : "its map function is not registered in this process, so it cannot be brought current (register it"
                  + " in DatabaseSettings.withIndex), or this is a view opened before it was"));
    }
    return root;
  }

  /** The scans a query needs, in order: one, or one per key of {@code keys}. */
  record Plan(List<ScanOptions> scans) {}

  static Plan plan(IndexQuery q) {
    if (q == null) {
      throw invalid("a query needs options (IndexQuery.all() for every row)");
    }
    if (q.limit() < 0) {
      throw invalid("limit must be 0 (no limit) or more, got " + q.limit());
    }
    int kinds = (q.key() != null ? 1 : 0) + (q.keys() != null ? 1 : 0)
        + (q.start() != null || q.end() != null ? 1 : 0) + (q.prefix() != null ? 1 : 0);
    if (kinds > 1) {
      throw invalid("use at most one of key, keys, a start/end range and prefix");
    }
    if (q.key() != null) {
      return new Plan(List.of(Collation.keyEquals(parse("key", q.key())).descending(q.descending())));
    }
    if (q.keys() != null) {
      List<ScanOptions> scans = new ArrayList<>(q.keys().size());
      for (int i = 0; i < q.keys().size(); i++) {
        scans.add(Collation.keyEquals(parse("keys[" + i + "]", q.keys().get(i))).descending(q.descending()));
      }
      return new Plan(scans);
    }
    if (q.prefix() != null) {
      try {
        return new Plan(List.of(Collation.keyStartsWith(q.prefix()).descending(q.descending())));
      } catch (IllegalArgumentException e) {
        throw invalid("prefix " + e.getMessage());
      }
    }
    JsonNode start = q.start() == null ? null : parse("start", q.start());
    JsonNode end = q.end() == null ? null : parse("end", q.end());
    JsonNode low = q.descending() ? end : start;
    JsonNode high = q.descending() ? start : end;
    if (low != null && high != null && Collation.compare(low, high) > 0) {
      throw invalid("start and end are the wrong way round for a " + (q.descending() ? "descending" : "ascending")
          + " query: start " + q.start() + ", end " + q.end()
          + (q.descending() ? " (descending queries start at the high end)" : ""));
    }
    return new Plan(List.of(Collation.keyRange(low, true, high, true, q.descending())));
  }

  /** Parses one JSON key of a query, refusing text that is not exactly one JSON value the collation accepts. */
  static JsonNode parse(String what, String text) {
    JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw invalid(what + " is not JSON: " + text + " (" + e.getOriginalMessage()
          + "; a string key needs quotes, e.g. \"abc\")");
    }
    if (node == null || node.isMissingNode()) {
      throw invalid(what + " is empty: give a JSON value, e.g. null, 42 or \"abc\"");
    }
    try {
      Collation.encode(node);
    } catch (IllegalArgumentException e) {
      throw invalid(what + " cannot be an index key: " + e.getMessage());
    }
    return node;
  }

  private static QueryRow row(BlockSource src, Entry e, boolean includeDocs) {
    Collation.IndexKey k = Collation.parseIndexKey(e.key());
    Map<?, ?> v = (Map<?, ?>) e.value();
    JsonNode value = IndexMaintenance.valueOf(v);
    ObjectNode doc = includeDocs ? DocumentCodec.toJson(src.get((Cid) v.get("d"))) : null;
    return new QueryRow(k.key(), k.docId(), value == null ? NullNode.getInstance() : value, doc);
  }

  private static KilnException invalid(String why) {
    return new KilnException(ErrorCode.INVALID_QUERY, why);
  }

}
