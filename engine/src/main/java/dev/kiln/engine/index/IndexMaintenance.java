package dev.kiln.engine.index;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.block.Block;
import dev.kiln.engine.block.BlockSource;
import dev.kiln.engine.block.JsonIpld;
import dev.kiln.engine.commit.CommitRoots;
import dev.kiln.engine.doc.DocumentCodec;
import dev.kiln.engine.commit.IndexRoot;
import dev.kiln.engine.commit.IndexUpdater;
import dev.kiln.engine.doc.DocumentKeys;
import dev.kiln.engine.doc.DocEntry;
import dev.kiln.engine.doc.DocumentReads;
import dev.kiln.engine.tree.Entry;
import dev.kiln.engine.tree.Mutation;
import dev.kiln.engine.tree.ProllyTree;
import dev.kiln.engine.tree.ScanOptions;
import dev.kiln.engine.tree.TreeWrite;
import dev.kiln.protocol.Cid;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Keeps query indexes current in the commit that changes the documents, so an index is never
 * rebuilt because a write happened. An index that is behind the commit it is stored in (new, or
 * kept by a process that could not run its map function) is caught up from the by-sequence tree,
 * which holds each document's latest change once: the work follows the changes, not the size of
 * the database. A commit catches up at most {@code catchUpBatch} documents per index and stores
 * the index as current up to the last of them, so a long catch-up is many bounded commits (the
 * DatabaseActor sends them, see {@code IndexRequests}) with writes between them. An index whose registered definition differs from the stored one starts again from
 * empty, which is the same catch-up from sequence 0.
 *
 * <p>Per index, the entries tree maps {@link Collation#indexKey (emitted key, document id)} to
 * {@code {d: document block, v: emitted value}} (no {@code v} when none was emitted), and the back
 * tree maps the document id to the list of its entry keys, so a changed or deleted document's old
 * entries are found without running the map function on the old version.
 */
public final class IndexMaintenance implements IndexUpdater {

  private final IndexRegistry registry;
  private final int catchUpBatch;

  /** Catch-up without a bound per commit: for tests of whole catch-ups. */
  public IndexMaintenance(IndexRegistry registry) {
    this(registry, Integer.MAX_VALUE);
  }

  /**
   * @param catchUpBatch documents an index behind catches up per commit at most
   *     ({@code kiln.index.catch-up-batch})
   */
  public IndexMaintenance(IndexRegistry registry, int catchUpBatch) {
    if (catchUpBatch < 1) {
      throw new IllegalArgumentException("catch-up batch must be at least 1, got " + catchUpBatch);
    }
    this.registry = registry;
    this.catchUpBatch = catchUpBatch;
  }

  @Override
  public Update update(BlockSource src, CommitRoots base, Map<String, DocChange> changed, long seq,
                       Map<String, String> defined) {
    SortedMap<String, IndexRoot> out = new TreeMap<>(base.indexes());
    List<Block> blocks = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    // Indexes behind by the same amount (all new ones, say) share one scan of the by-sequence tree.
    Map<Long, CatchUp> catchUps = new HashMap<>();
    for (Map.Entry<String, IndexRoot> e : plan(base, defined).entrySet()) {
      IndexDefinition def = definitionOf(e.getKey(), e.getValue().definition());
      long since = e.getValue().seq();
      IndexRoot updated;
      if (since >= base.seq()) {
        updated = apply(src, def, e.getValue(), Map.of(), changed, seq, blocks, warnings);
      } else {
        CatchUp c = catchUps.computeIfAbsent(since, s -> catchUp(src, base, s, catchUpBatch));
        // Done in this commit: the batch's own changes too, and current with it. Otherwise only the
        // missed documents, current up to the last one: the batch's changes have later sequences,
        // so a later catch-up reaches them.
        updated = c.complete()
            ? apply(src, def, e.getValue(), c.missed(), changed, seq, blocks, warnings)
            : apply(src, def, e.getValue(), c.missed(), Map.of(), c.upTo(), blocks, warnings);
      }
      out.put(def.name(), updated);
    }
    return new Update(out, blocks, warnings);
  }

  /** Every index this process keeps current, with the state it starts this commit from. */
  private Map<String, IndexRoot> plan(CommitRoots base, Map<String, String> defined) {
    Map<String, IndexRoot> from = new LinkedHashMap<>();
    for (Map.Entry<String, IndexRoot> e : base.indexes().entrySet()) {
      IndexDefinition registered = registry.get(e.getKey());
      String stored = e.getValue().definition();
      if (registered != null) {
        from.put(e.getKey(), registered.fingerprint().equals(stored) ? e.getValue() : IndexRoot.empty(registered.fingerprint()));
      } else if (IndexDefinition.fromStored(e.getKey(), stored) != null) {
        from.put(e.getKey(), e.getValue());
      } // else: a map index this process cannot run stays as stored, behind, until one that can writes
    }
    for (IndexDefinition def : registry.all()) {
      from.putIfAbsent(def.name(), IndexRoot.empty(def.fingerprint()));
    }
    for (Map.Entry<String, String> d : defined.entrySet()) {
      from.putIfAbsent(d.getKey(), IndexRoot.empty(d.getValue()));
    }
    return from;
  }

  private IndexDefinition definitionOf(String name, String fingerprint) {
    IndexDefinition registered = registry.get(name);
    if (registered != null && registered.fingerprint().equals(fingerprint)) {
      return registered;
    }
    IndexDefinition stored = IndexDefinition.fromStored(name, fingerprint);
    if (stored == null) {
      throw new IllegalStateException("index " + name + " has no definition for " + fingerprint);
    }
    return stored;
  }

  /** Brings one index from {@code from} to {@code seq}: the documents it missed, then this batch's. */
  private static IndexRoot apply(BlockSource src, IndexDefinition def, IndexRoot from, Map<String, DocChange> missed,
                                 Map<String, DocChange> changed, long seq, List<Block> blocks, List<String> warnings) {
    Map<String, DocChange> work = new LinkedHashMap<>(missed);
    work.putAll(changed);

    NavigableMap<byte[], Mutation> entries = new TreeMap<>(ProllyTree.KEY_ORDER);
    NavigableMap<byte[], Mutation> back = new TreeMap<>(ProllyTree.KEY_ORDER);
    for (Map.Entry<String, DocChange> w : work.entrySet()) {
      String id = w.getKey();
      DocChange c = w.getValue();
      byte[] idKey = DocumentKeys.id(id);
      List<?> oldKeys = from.back().equals(ProllyTree.emptyRoot()) ? null : (List<?>) ProllyTree.get(src, from.back(), idKey);
      Map<Key, Object> now = c.doc() == null ? Map.of() : emits(def, id, c, warnings);
      if (oldKeys != null) {
        for (Object k : oldKeys) {
          if (!now.containsKey(new Key((byte[]) k))) {
            entries.put((byte[]) k, Mutation.delete());
          }
        }
      }
      List<Object> keys = new ArrayList<>(now.size());
      for (Map.Entry<Key, Object> n : now.entrySet()) {
        entries.put(n.getKey().bytes(), Mutation.put(n.getValue()));
        keys.add(n.getKey().bytes());
      }
      if (!keys.isEmpty()) {
        back.put(idKey, Mutation.put(keys));
      } else if (oldKeys != null) {
        back.put(idKey, Mutation.delete());
      }
    }
    TreeWrite entriesWrite = ProllyTree.apply(src, from.entries(), entries);
    TreeWrite backWrite = ProllyTree.apply(src, from.back(), back);
    blocks.addAll(entriesWrite.newBlocks());
    blocks.addAll(backWrite.newBlocks());
    return new IndexRoot(def.fingerprint(), entriesWrite.root(), backWrite.root(), seq);
  }

  /**
   * Documents changed after {@code since}, at most {@code limit}, with their latest state, in
   * sequence order; {@code upTo} is the last one's sequence, {@code complete} whether no later one
   * exists in {@code base}.
   */
  private record CatchUp(Map<String, DocChange> missed, long upTo, boolean complete) {}

  private static CatchUp catchUp(BlockSource src, CommitRoots base, long since, int limit) {
    Map<String, DocChange> work = new LinkedHashMap<>();
    Iterator<Entry> it = ProllyTree.scan(src, base.bySeq(), ScanOptions.all().start(DocumentKeys.seq(since + 1)));
    long upTo = since;
    while (work.size() < limit && it.hasNext()) {
      Entry e = it.next();
      upTo = DocumentKeys.seq(e.key());
      String id = DocumentReads.idAt(base, upTo, e.value());
      DocEntry entry = DocumentReads.entryAt(src, base, upTo, id);
      work.put(id, new DocChange(entry.block(), entry.deleted() ? null : DocumentCodec.toJson(src.get(entry.block()))));
    }
    boolean complete = !it.hasNext();
    return new CatchUp(work, complete ? base.seq() : upTo, complete);
  }

  /** The entries {@code def} makes of one live document: entry key → entry value. */
  private static Map<Key, Object> emits(IndexDefinition def, String id, DocChange c, List<String> warnings) {
    Map<Key, Object> out = new LinkedHashMap<>();
    ObjectNode doc = def.isField() ? c.doc() : c.doc().deepCopy();
    try {
      def.function().map(doc, (key, value) -> {
        if (key == null) {
          throw new IllegalArgumentException("emitted a Java null key (use NullNode for JSON null)");
        }
        byte[] k = Collation.indexKey(key, id);
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("d", c.block());
        if (value != null && !value.isNull()) {
          v.put("v", JsonIpld.toIpld(value));
        }
        out.put(new Key(k), v);
      });
    } catch (RuntimeException e) {
      warnings.add("index " + def.name() + " left out document " + id + ": " + e);
      return Map.of();
    }
    return out;
  }

  /** Entry-key bytes with value equality, for finding which old entries survive. */
  private record Key(byte[] bytes) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }
  }

  /** The value stored with an entry, or null when none was emitted. */
  static JsonNode valueOf(Map<?, ?> entryValue) {
    Object v = entryValue.get("v");
    return v == null ? null : JsonIpld.toJson(v);
  }
}
